import Exact
import Testing
@testable import ConvNet

@Suite struct ArchitectureShapeTests {
  struct Expected {
    var output: String
    var weight: [Int]?
    var bias: Int?
    var receptiveField: [Int]
    var matrix: (Int, Int)?
  }

  func check(_ text: String, p: Int, _ expected: [Expected]) throws {
    let a = try Architecture(parsing: text)
    let infos = try a.layerInfos()
    #expect(infos.count == expected.count)
    for (info, e) in zip(infos, expected) {
      #expect(info.output.description == e.output, "\(text) layer \(info.index)")
      let tensors = info.parameterTensors
      #expect(tensors.first(where: { !$0.isBias })?.shape == e.weight, "\(text) layer \(info.index)")
      #expect(tensors.first(where: \.isBias)?.count == e.bias, "\(text) layer \(info.index)")
      #expect(info.receptiveField == e.receptiveField, "\(text) layer \(info.index)")
      #expect(info.matrixSize?.rows == e.matrix?.0 && info.matrixSize?.cols == e.matrix?.1, "\(text) layer \(info.index)")
    }
    #expect(try a.parameterCount() == p)
  }

  /// The issue's three examples, computed by hand.
  @Test func issueExamplesByHand() throws {
    // 16 − 3 + 1 = 14, 14 − 3 + 1 = 12; p = 4·1·3 + 4·4·3 + 2·48 = 156.
    try check("1x16 conv(4,k=3) conv(4,k=3) dense(2)", p: 156, [
      Expected(output: "4x14", weight: [4, 1, 3], receptiveField: [3], matrix: (56, 16)),
      Expected(output: "4x12", weight: [4, 4, 3], receptiveField: [5], matrix: (48, 56)),
      Expected(output: "2", weight: [2, 48], receptiveField: [], matrix: (2, 48)),
    ])
    // ⌊(8 + 2 − 3)/2⌋ + 1 = 4; p = 6·3·3·3 + 6 + 10·96 = 1128.
    try check("3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)", p: 1128, [
      Expected(output: "6x4x4", weight: [6, 3, 3, 3], bias: 6, receptiveField: [3, 3], matrix: (96, 192)),
      Expected(output: "6x4x4", receptiveField: [3, 3], matrix: nil),
      Expected(output: "10", weight: [10, 96], receptiveField: [], matrix: (10, 96)),
    ])
    // 64·10 + 10·10 + 10·10 = 840.
    try check("64 dense(10) dense(10) dense(10)", p: 840, [
      Expected(output: "10", weight: [10, 64], receptiveField: [], matrix: (10, 64)),
      Expected(output: "10", weight: [10, 10], receptiveField: [], matrix: (10, 10)),
      Expected(output: "10", weight: [10, 10], receptiveField: [], matrix: (10, 10)),
    ])
    // 2-D, k = 3 rows × 2 columns, then 2×2 pooling: 7×6 → 5×5 → 2×2 (PyTorch floors).
    try check("2x7x6 conv(3,k=3x2,bias) leaky(1/4) avgpool(k=2) dense(2,bias)", p: 3 * 2 * 6 + 3 + 2 * 12 + 2, [
      Expected(output: "3x5x5", weight: [3, 2, 3, 2], bias: 3, receptiveField: [3, 2], matrix: (75, 84)),
      Expected(output: "3x5x5", receptiveField: [3, 2], matrix: nil),
      Expected(output: "3x2x2", receptiveField: [4, 3], matrix: (12, 75)),
      Expected(output: "2", weight: [2, 12], bias: 2, receptiveField: [], matrix: (2, 12)),
    ])
  }

  /// p of every network in the tables of `reference/rank-formulas.md`.
  @Test(arguments: [
    ("1x12 conv(2,k=3) dense(2)", 46), ("1x12 conv(2,k=5) dense(3)", 58), ("1x16 conv(3,k=7) dense(4)", 141),
    ("1x12 conv(6,k=3) dense(2)", 138), ("1x12 conv(3,k=3) dense(1)", 39), ("1x10 conv(2,k=8) dense(4)", 40),
    ("2x8 conv(4,k=3) dense(3)", 96), ("2x8 conv(6,k=3) dense(3)", 144), ("3x6 conv(8,k=3) dense(4)", 200),
    ("8 dense(6) dense(6) dense(3)", 102), ("8 dense(2) dense(6) dense(3)", 46), ("10 dense(4) dense(4) dense(6)", 80),
    ("8 dense(5) dense(4)", 60),
  ])
  func rankFormulaTableParameterCounts(text: String, p: Int) throws {
    let a = try Architecture(parsing: text)
    #expect(try a.parameterCount() == p)
    // p = Σ m_l m_{l−1} k_l + K m_L d_L for one conv layer (rank-formulas.md).
    if case .conv(let c) = a.layers[0], case .dense(let head) = a.layers[1] {
      let c0 = a.input.shape.channels, d = a.input.shape.spatial[0]
      let dPrime = d - c.kernel[0] + 1
      #expect(c.outChannels * c0 * c.kernel[0] + head.outputs * c.outChannels * dPrime == p)
    }
  }

  /// Output sizes agree with PyTorch's documented formula and with counting window positions.
  @Test func outputSizesFollowPyTorch() throws {
    var generator = ArchitectureGenerator(seed: 31)
    var convs = 0
    for _ in 0..<500 {
      let a = generator.next()
      let infos = try a.layerInfos()
      var expectedP = 0
      for info in infos {
        let input = info.input.spatial
        switch info.layer {
        case .conv(let c):
          convs += 1
          for d in input.indices {
            // torch.nn.Conv1d/Conv2d docs: ⌊(L + 2·padding − dilation·(kernel_size − 1) − 1)/stride + 1⌋.
            let documented = (input[d] + 2 * c.padding[d] - c.dilation[d] * (c.kernel[d] - 1) - 1) / c.stride[d] + 1
            // Count the window starts t = 0, S, 2S, … whose last tap stays inside the padded input.
            var windows = 0, t = 0
            while t + c.dilation[d] * (c.kernel[d] - 1) <= input[d] + 2 * c.padding[d] - 1 { windows += 1; t += c.stride[d] }
            #expect(info.output.spatial[d] == documented)
            #expect(info.output.spatial[d] == windows)
          }
          #expect(info.output.channels == c.outChannels)
          expectedP += c.outChannels * info.input.channels * c.kernel.reduce(1, *) + (c.bias ? c.outChannels : 0)
        case .avgPool(let pool):
          for d in input.indices {
            // torch.nn.AvgPool1d/2d docs with padding 0: ⌊(L − kernel_size)/stride + 1⌋.
            #expect(info.output.spatial[d] == (input[d] - pool.kernel[d]) / pool.stride[d] + 1)
          }
          #expect(info.output.channels == info.input.channels)
        case .maxPool(let pool):
          for d in input.indices {
            // torch.nn.MaxPool1d/2d docs with padding 0, dilation 1: ⌊(L − kernel_size)/stride + 1⌋.
            #expect(info.output.spatial[d] == (input[d] - pool.kernel[d]) / pool.stride[d] + 1)
          }
          #expect(info.output.channels == info.input.channels)
        case .dense(let dl):
          #expect(info.output == TensorShape(channels: dl.outputs, spatial: []))
          expectedP += dl.outputs * info.input.count + (dl.bias ? dl.outputs : 0)
        case .activation:
          #expect(info.output == info.input)
        }
      }
      #expect(try a.parameterCount() == expectedP)
    }
    #expect(convs > 300)
  }

  /// For stride-1 conv chains without dilation, RF_l = 1 + Σ_{i≤l} (k_i − 1) (rank-formulas.md).
  @Test func receptiveFieldsOfStrideOneChains() throws {
    var random = SeededRandom(seed: 5)
    for _ in 0..<100 {
      let kernels = (0..<random.nextInt(in: 1...4)).map { _ in random.nextInt(in: 1...5) }
      let d = kernels.reduce(0) { $0 + $1 - 1 } + random.nextInt(in: 1...6)
      let text = "1x\(d) " + kernels.map { "conv(2,k=\($0))" }.joined(separator: " ") + " dense(1)"
      let infos = try Architecture(parsing: text).layerInfos()
      for l in kernels.indices {
        #expect(infos[l].receptiveField == [1 + kernels[...l].reduce(0) { $0 + $1 - 1 }], "\(text)")
      }
    }
  }

  /// With strides, dilation and pooling, the receptive field equals the span of input
  /// coordinates that output position 0 depends on, found by composing the index maps.
  @Test func receptiveFieldsMatchComposedIndexMaps() throws {
    var generator = ArchitectureGenerator(seed: 77)
    for _ in 0..<300 {
      let a = generator.next()
      let infos = try a.layerInfos()
      // Per dimension: the layers' maps output j ↦ first/last input coordinate.
      var maps: [[(start: Int, step: Int, span: Int)]] = Array(repeating: [], count: a.input.shape.spatial.count)
      for info in infos {
        switch info.layer {
        case .conv(let c):
          for d in maps.indices { maps[d].append((-c.padding[d], c.stride[d], c.dilation[d] * (c.kernel[d] - 1))) }
        case .avgPool(let p):
          for d in maps.indices { maps[d].append((0, p.stride[d], p.kernel[d] - 1)) }
        case .maxPool(let p):
          for d in maps.indices { maps[d].append((0, p.stride[d], p.kernel[d] - 1)) }
        case .dense:
          maps = []
        case .activation:
          break
        }
        var field: [Int] = []
        for d in maps.indices {
          var lo = 0, hi = 0  // output position 0 of this layer
          for m in maps[d].reversed() {
            lo = lo * m.step + m.start
            hi = hi * m.step + m.start + m.span
          }
          field.append(hi - lo + 1)
        }
        #expect(info.receptiveField == field, "\(a) layer \(info.index)")
      }
    }
  }

  /// Parameter tensors tile θ in state_dict order with PyTorch's shapes.
  @Test func parameterTensorsTileTheta() throws {
    var generator = ArchitectureGenerator(seed: 3)
    for _ in 0..<300 {
      let a = generator.next()
      let tensors = try a.parameterTensors()
      var offset = 0
      var lastLayer = -1
      for t in tensors {
        #expect(t.offset == offset)
        #expect(t.layer >= lastLayer)
        #expect(t.name == "\(t.layer).\(t.isBias ? "bias" : "weight")")
        offset += t.count
        lastLayer = t.layer
        let info = try a.layerInfos()[t.layer]
        switch info.layer {
        case .conv(let c):
          #expect(t.shape == (t.isBias ? [c.outChannels] : [c.outChannels, info.input.channels] + c.kernel))
        case .dense(let d):
          #expect(t.shape == (t.isBias ? [d.outputs] : [d.outputs, info.input.count]))
        default:
          Issue.record("parameters on a layer without any")
        }
      }
      #expect(offset == (try a.parameterCount()))
    }
  }
}
