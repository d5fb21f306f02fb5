import ConvNet
import Exact

/// An independent, deliberately plain implementation of a network's forward pass over exact
/// rationals: nested loops that follow PyTorch's definitions literally.
///
/// This is test-support code. It shares nothing with the fast Toeplitz path except the
/// `Architecture` value and `Architecture.layerInfos()` for validation: shapes and the
/// parameter layout (PyTorch `state_dict` order: per parametric layer the weight block
/// [out, in, k], [out, in, kh, kw] or [out, in] in C order, then the bias) are recomputed here.
///
/// * conv (1-D and 2-D) is cross-correlation with zero padding:
///   out[o][y][x] = bias[o] + Σ_{c,i,j} w[o][c][i][j] · in[c][y·S_h + i·dil_h − P_h][x·S_w + j·dil_w − P_w];
///   a 1-D conv is the same loop with height 1.
/// * dense is y = W x + b on the channel-major flattened input.
/// * avgpool is the mean over each window (no padding, floor mode).
/// * maxpool is the largest entry of each window (no padding, floor mode); tied largest entries
///   whose first and second derivatives (the ε parts) differ are a kink.
/// * activations are elementwise: identity, relu, leaky relu.
public struct ReferenceNetwork: Sendable {
  /// The largest parameter count for which the reference builds Hessians (their cost grows
  /// like p²·n forward passes).
  public static let parameterLimit = 500

  /// The architecture.
  public let architecture: Architecture
  /// Number of parameters p (recomputed here, independently of `ConvNet`).
  public let parameterCount: Int
  /// Length of a flattened input.
  public let inputCount: Int
  /// Number of outputs K.
  public let outputCount: Int
  /// Output shape of every layer, as computed here (spatial empty after a dense layer).
  public let outputShapes: [TensorShape]

  let steps: [Step]
  /// For every parameter index, the index of the layer that owns it.
  let ownerLayer: [Int]

  /// Prepares the loops for `architecture`.
  /// - Throws: `ReferenceError.architecture` when `Architecture.layerInfos()` rejects it.
  public init(_ architecture: Architecture) throws {
    do {
      _ = try architecture.layerInfos()
    } catch let error as ArchitectureError {
      throw ReferenceError.architecture(error)
    }
    self.architecture = architecture
    var channels = architecture.input.shape.channels
    var spatial = architecture.input.shape.spatial
    inputCount = channels * spatial.reduce(1, *)
    var steps: [Step] = []
    var shapes: [TensorShape] = []
    var owner: [Int] = []
    var offset = 0
    for (index, layer) in architecture.layers.enumerated() {
      // View a 1-D signal as height 1 so that one loop serves both.
      let (inH, inW) = spatial.count == 2 ? (spatial[0], spatial[1]) : (1, spatial.first ?? 1)
      switch layer {
      case .conv(let c):
        let two = c.kernel.count == 2
        let kH = two ? c.kernel[0] : 1, kW = c.kernel[two ? 1 : 0]
        let sH = two ? c.stride[0] : 1, sW = c.stride[two ? 1 : 0]
        let pH = two ? c.padding[0] : 0, pW = c.padding[two ? 1 : 0]
        let dH = two ? c.dilation[0] : 1, dW = c.dilation[two ? 1 : 0]
        // PyTorch: ⌊(n + 2P − dil·(k − 1) − 1) / S⌋ + 1.
        let outH = (inH + 2 * pH - dH * (kH - 1) - 1) / sH + 1
        let outW = (inW + 2 * pW - dW * (kW - 1) - 1) / sW + 1
        let weights = c.outChannels * channels * kH * kW
        let conv = ConvStep(inC: channels, inH: inH, inW: inW, outC: c.outChannels, outH: outH, outW: outW,
                            kH: kH, kW: kW, sH: sH, sW: sW, pH: pH, pW: pW, dH: dH, dW: dW,
                            weightOffset: offset, biasOffset: c.bias ? offset + weights : nil)
        steps.append(.conv(conv))
        let count = weights + (c.bias ? c.outChannels : 0)
        owner += Array(repeating: index, count: count)
        offset += count
        channels = c.outChannels
        spatial = two ? [outH, outW] : [outW]
      case .dense(let d):
        let inCount = channels * spatial.reduce(1, *)
        let weights = d.outputs * inCount
        steps.append(.dense(DenseStep(inCount: inCount, outCount: d.outputs, weightOffset: offset,
                                      biasOffset: d.bias ? offset + weights : nil)))
        let count = weights + (d.bias ? d.outputs : 0)
        owner += Array(repeating: index, count: count)
        offset += count
        channels = d.outputs
        spatial = []
      case .activation(let a):
        steps.append(.activation(a))
      case .avgPool(let pool):
        let two = pool.kernel.count == 2
        let kH = two ? pool.kernel[0] : 1, kW = pool.kernel[two ? 1 : 0]
        let sH = two ? pool.stride[0] : 1, sW = pool.stride[two ? 1 : 0]
        let outH = (inH - kH) / sH + 1, outW = (inW - kW) / sW + 1
        steps.append(.pool(PoolStep(channels: channels, inH: inH, inW: inW, outH: outH, outW: outW,
                                    kH: kH, kW: kW, sH: sH, sW: sW, scale: Rational(1, kH * kW))))
        spatial = two ? [outH, outW] : [outW]
      case .maxPool(let pool):
        let two = pool.kernel.count == 2
        let kH = two ? pool.kernel[0] : 1, kW = pool.kernel[two ? 1 : 0]
        let sH = two ? pool.stride[0] : 1, sW = pool.stride[two ? 1 : 0]
        let outH = (inH - kH) / sH + 1, outW = (inW - kW) / sW + 1
        steps.append(.maxPool(PoolStep(channels: channels, inH: inH, inW: inW, outH: outH, outW: outW,
                                       kH: kH, kW: kW, sH: sH, sW: sW, scale: Rational(1))))
        spatial = two ? [outH, outW] : [outW]
      }
      shapes.append(TensorShape(channels: channels, spatial: spatial))
    }
    self.steps = steps
    self.outputShapes = shapes
    self.ownerLayer = owner
    self.parameterCount = offset
    self.outputCount = channels * spatial.reduce(1, *)
  }

  /// The network output f(x; θ).
  public func forward(theta: [Rational], input: [Rational]) throws -> [Rational] {
    try trace(theta: theta, input: input).output
  }

  /// The network output evaluated in hyper-dual arithmetic, from scratch: with
  /// θ = θ₀ + ε1·u + ε2·v (and a constant input) the output's ε1 part is J u, its ε2 part J v
  /// and its ε1ε2 part uᵀ∇²f v, for every output.
  /// - Throws: `ReferenceError.nonDifferentiable` (sample 0) at a ReLU kink, or a length error.
  public func forward(theta: [HyperDual], input: [HyperDual]) throws -> [HyperDual] {
    guard theta.count == parameterCount else {
      throw ReferenceError.parameterCount(expected: parameterCount, got: theta.count)
    }
    guard input.count == inputCount else {
      throw ReferenceError.inputLength(sample: 0, expected: inputCount, got: input.count)
    }
    return try run(theta: theta, input: input, from: 0, sample: 0)
  }

  /// The network output f(x; θ) for `architecture`.
  public static func forward(architecture: Architecture, theta: [Rational], input: [Rational]) throws -> [Rational] {
    try ReferenceNetwork(architecture).forward(theta: theta, input: input)
  }

  /// Every layer's output on one input, from which pre-activations and kinks can be read.
  public func trace(theta: [Rational], input: [Rational]) throws -> ReferenceTrace {
    try checkTheta(theta)
    guard input.count == inputCount else {
      throw ReferenceError.inputLength(sample: 0, expected: inputCount, got: input.count)
    }
    var outputs: [[Rational]] = []
    outputs.reserveCapacity(steps.count)
    _ = try run(theta: theta, input: input, from: 0, sample: 0) { outputs.append($0) }
    return ReferenceTrace(architecture: architecture, input: input, layerOutputs: outputs)
  }

  /// The MSE loss ℓ(θ) = 1/(2n) Σ_i ‖f(x_i; θ) − y_i‖².
  public func loss(theta: [Rational], inputs: [[Rational]], targets: [[Rational]]) throws -> Rational {
    try checkTheta(theta)
    try checkSamples(inputs: inputs, targets: targets)
    var total = Rational()
    for (x, y) in zip(inputs, targets) {
      let f = try run(theta: theta, input: x, from: 0, sample: 0)
      for (fc, yc) in zip(f, y) {
        let r = fc - yc
        total += r * r
      }
    }
    return total / Rational(2 * inputs.count)
  }

  // MARK: validation

  func checkTheta(_ theta: [Rational]) throws {
    guard theta.count == parameterCount else {
      throw ReferenceError.parameterCount(expected: parameterCount, got: theta.count)
    }
  }

  func checkSamples(inputs: [[Rational]], targets: [[Rational]]) throws {
    guard !inputs.isEmpty else { throw ReferenceError.noSamples }
    guard inputs.count == targets.count else {
      throw ReferenceError.sampleCountMismatch(inputs: inputs.count, targets: targets.count)
    }
    for (i, row) in inputs.enumerated() where row.count != inputCount {
      throw ReferenceError.inputLength(sample: i, expected: inputCount, got: row.count)
    }
    for (i, row) in targets.enumerated() where row.count != outputCount {
      throw ReferenceError.targetLength(sample: i, expected: outputCount, got: row.count)
    }
  }

  // MARK: the loops

  /// Runs layers `start...` on `input` (the input of layer `start`), calling `record` with each
  /// layer's output. Throws `nonDifferentiable` when a hyper-dual value meets a kink.
  /// With `primal` (every layer's plain output), each layer's real parts are set from it.
  func run<T: ForwardScalar>(theta: [T], input: [T], from start: Int, sample: Int,
                             primal: [[Rational]]? = nil, record: (([T]) -> Void)? = nil) throws -> [T] {
    var h = input
    for index in start..<steps.count {
      switch steps[index] {
      case .conv(let c): h = c.apply(theta: theta, input: h)
      case .dense(let d): h = d.apply(theta: theta, input: h)
      case .pool(let p): h = p.apply(input: h)
      case .maxPool(let p):
        var out: [T] = []
        out.reserveCapacity(p.channels * p.outH * p.outW)
        for (position, window) in p.windows().enumerated() {
          guard let v = T.maximum(window.map { h[$0] }) else {
            throw ReferenceError.nonDifferentiable(layer: index, sample: sample, position: position)
          }
          out.append(v)
        }
        h = out
      case .activation(let a):
        var out: [T] = []
        out.reserveCapacity(h.count)
        for (position, z) in h.enumerated() {
          guard let v = z.activated(a) else {
            throw ReferenceError.nonDifferentiable(layer: index, sample: sample, position: position)
          }
          out.append(v)
        }
        h = out
      }
      if let primal {
        for i in h.indices { h[i].adoptRealPart(primal[index][i]) }
      }
      record?(h)
    }
    return h
  }
}

enum Step: Sendable {
  case conv(ConvStep)
  case dense(DenseStep)
  case activation(Activation)
  case pool(PoolStep)
  case maxPool(PoolStep)
}

/// A conv layer's loop bounds (1-D layers have height 1).
struct ConvStep: Sendable {
  let inC: Int, inH: Int, inW: Int
  let outC: Int, outH: Int, outW: Int
  let kH: Int, kW: Int, sH: Int, sW: Int, pH: Int, pW: Int, dH: Int, dW: Int
  let weightOffset: Int
  let biasOffset: Int?

  func apply<T: ForwardScalar>(theta: [T], input: [T]) -> [T] {
    var out: [T] = []
    out.reserveCapacity(outC * outH * outW)
    for o in 0..<outC {
      for y in 0..<outH {
        for x in 0..<outW {
          var acc = biasOffset.map { theta[$0 + o] } ?? T(constant: sharedZero)
          for c in 0..<inC {
            for i in 0..<kH {
              let row = y * sH + i * dH - pH
              guard row >= 0, row < inH else { continue }  // zero padding
              for j in 0..<kW {
                let col = x * sW + j * dW - pW
                guard col >= 0, col < inW else { continue }
                let w = theta[weightOffset + ((o * inC + c) * kH + i) * kW + j]
                acc.addProduct(w, input[(c * inH + row) * inW + col])
              }
            }
          }
          out.append(acc)
        }
      }
    }
    return out
  }
}

/// A dense layer: W is [outCount, inCount] in C order, then the bias.
struct DenseStep: Sendable {
  let inCount: Int, outCount: Int
  let weightOffset: Int
  let biasOffset: Int?

  func apply<T: ForwardScalar>(theta: [T], input: [T]) -> [T] {
    var out: [T] = []
    out.reserveCapacity(outCount)
    for o in 0..<outCount {
      var acc = biasOffset.map { theta[$0 + o] } ?? T(constant: sharedZero)
      for j in 0..<inCount {
        acc.addProduct(theta[weightOffset + o * inCount + j], input[j])
      }
      out.append(acc)
    }
    return out
  }
}

/// Average pooling per channel (no padding, floor mode).
struct PoolStep: Sendable {
  let channels: Int, inH: Int, inW: Int, outH: Int, outW: Int
  let kH: Int, kW: Int, sH: Int, sW: Int
  let scale: Rational

  func apply<T: ForwardScalar>(input: [T]) -> [T] {
    var out: [T] = []
    out.reserveCapacity(channels * outH * outW)
    for c in 0..<channels {
      for y in 0..<outH {
        for x in 0..<outW {
          var acc = T(constant: sharedZero)
          for i in 0..<kH {
            for j in 0..<kW {
              acc.add(input[(c * inH + y * sH + i) * inW + x * sW + j])
            }
          }
          out.append(acc.scaled(by: scale))
        }
      }
    }
    return out
  }
}

extension PoolStep {
  /// The input positions of every window, output by output (channel-major).
  func windows() -> [[Int]] {
    var result: [[Int]] = []
    for c in 0..<channels {
      for y in 0..<outH {
        for x in 0..<outW {
          var window: [Int] = []
          for i in 0..<kH {
            for j in 0..<kW { window.append((c * inH + y * sH + i) * inW + x * sW + j) }
          }
          result.append(window)
        }
      }
    }
    return result
  }
}

/// One activation layer's input (its pre-activation values).
public struct PreActivation: Sendable, Equatable {
  /// Index of the activation layer in `Architecture.layers`.
  public let layer: Int
  /// The activation.
  public let activation: Activation
  /// The values entering it, channel-major.
  public let values: [Rational]

  /// Whether a value exactly 0 makes this activation non-differentiable (ReLU, leaky ReLU).
  public var hasKinkAtZero: Bool { activation != .identity }
}

/// The forward pass on one input, layer by layer.
public struct ReferenceTrace: Sendable {
  /// The architecture.
  public let architecture: Architecture
  /// The network input.
  public let input: [Rational]
  /// The output of every layer, in order; the last is the network output.
  public let layerOutputs: [[Rational]]

  /// The network output f(x; θ).
  public var output: [Rational] { layerOutputs.last ?? input }

  /// The input of every activation layer.
  public var preActivations: [PreActivation] {
    architecture.layers.indices.compactMap { index in
      guard case .activation(let a) = architecture.layers[index] else { return nil }
      return PreActivation(layer: index, activation: a, values: index == 0 ? input : layerOutputs[index - 1])
    }
  }

  /// The first pre-activation exactly 0 before a ReLU or leaky ReLU, if any.
  public var firstKink: (layer: Int, position: Int)? {
    for pre in preActivations where pre.hasKinkAtZero {
      if let position = pre.values.firstIndex(where: \.isZero) { return (pre.layer, position) }
    }
    return nil
  }

  /// Throws `ReferenceError.nonDifferentiable` when the network has a kink at this input.
  public func checkDifferentiable(sample: Int) throws {
    if let kink = firstKink {
      throw ReferenceError.nonDifferentiable(layer: kink.layer, sample: sample, position: kink.position)
    }
  }
}
