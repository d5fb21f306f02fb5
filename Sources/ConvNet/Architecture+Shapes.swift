import Exact

/// An architecture that cannot be built, naming the layer and the fix.
public struct ArchitectureError: Error, Equatable, CustomStringConvertible {
  /// The 0-based layer index (in `Architecture.layers`), or nil for the input / whole net.
  public let layer: Int?
  /// What is wrong and how to fix it.
  public let message: String

  /// An error about one layer (or the whole architecture when `layer` is nil).
  public init(layer: Int?, _ message: String) {
    self.layer = layer
    self.message = message
  }

  /// One line for the user.
  public var description: String {
    if let layer { return "layer \(layer): \(message)" }
    return message
  }
}

/// Where one parametric layer's parameters sit in the flat parameter vector θ.
///
/// The order is PyTorch's `state_dict` order: layers in sequence, weight then bias. Conv weights
/// are [out, in, k] or [out, in, kh, kw] in C order; dense weights [out, in].
public struct ParameterSlice: Equatable, Hashable, Sendable {
  /// Offset of the first weight in θ.
  public let weightOffset: Int
  /// Number of weights.
  public let weightCount: Int
  /// Offset of the first bias in θ (nil when the layer has no bias).
  public let biasOffset: Int?
  /// Number of biases (0 when none).
  public let biasCount: Int

  /// Total parameters of the layer.
  public var count: Int { weightCount + biasCount }
  /// θ indices of the layer.
  public var range: Range<Int> { weightOffset..<(weightOffset + count) }
}

/// Shapes and sizes of one layer, as `hessrank describe` reports them.
public struct LayerInfo: Equatable, Hashable, Sendable {
  /// Index in `Architecture.layers`.
  public let index: Int
  /// The layer.
  public let layer: Layer
  /// Input shape.
  public let input: TensorShape
  /// Output shape.
  public let output: TensorShape
  /// Parameter placement (nil for activations and pooling).
  public let parameters: ParameterSlice?
  /// Receptive field per spatial dimension of one output position on the network input
  /// (empty once the signal has been flattened by a dense layer).
  public let receptiveField: [Int]
  /// Distance on the network input between neighbouring outputs, per spatial dimension.
  public let jump: [Int]

  /// The linear map's matrix size (rows = outputs, columns = inputs), for linear layers.
  public var matrixSize: (rows: Int, cols: Int)? {
    switch layer {
    case .conv, .dense, .avgPool, .maxPool: return (output.count, input.count)
    case .activation: return nil
    }
  }
}

extension Architecture {
  /// The largest parameter count accepted: the exact instance (θ as exact rationals, the
  /// stage values of every sample) must fit in memory. The rank paths check their own memory
  /// estimates (dense p × p matrices, or the matrix-free sketches) before any work.
  public static let maxParameters = 20_000_000

  /// Checks the architecture and computes every layer's shapes and parameter placement.
  /// - Throws: `ArchitectureError` naming the layer and the fix.
  public func layerInfos() throws -> [LayerInfo] {
    let s0 = input.shape
    guard s0.channels >= 1, !s0.spatial.isEmpty, s0.spatial.count <= 2, s0.spatial.allSatisfy({ $0 >= 1 }) else {
      throw ArchitectureError(layer: nil, "input \(s0) must have positive sizes, 1 or 2 spatial dimensions")
    }
    guard let inputCount = Architecture.checkedCount(s0), inputCount <= Architecture.maxTensorSize else {
      throw ArchitectureError(layer: nil, "input \(s0) has more than 10,000,000 entries; use a smaller input")
    }
    guard !layers.isEmpty else {
      throw ArchitectureError(layer: nil, "no layers: end the architecture with the output layer dense(K)")
    }
    guard case .dense = layers.last else {
      throw ArchitectureError(layer: layers.count - 1, "the last layer must be the output dense(K)")
    }
    var infos: [LayerInfo] = []
    var shape = s0
    var rf = Array(repeating: 1, count: s0.spatial.count)
    var jump = Array(repeating: 1, count: s0.spatial.count)
    var offset = 0
    for (i, layer) in layers.enumerated() {
      let inShape = shape
      var params: ParameterSlice?
      switch layer {
      case .conv(let c):
        let dims = shape.spatial.count
        guard dims > 0 else {
          throw ArchitectureError(layer: i, "conv after a dense layer: the signal is already flattened; put conv layers before dense layers")
        }
        guard c.kernel.count == dims, c.stride.count == dims, c.padding.count == dims, c.dilation.count == dims else {
          throw ArchitectureError(layer: i, "conv has \(c.kernel.count)-D sizes but its input \(shape) is \(dims)-D; give \(dims) size(s) per option (e.g. k=3\(dims == 2 ? "x3" : ""))")
        }
        guard c.outChannels >= 1 else { throw ArchitectureError(layer: i, "conv needs at least 1 output channel") }
        guard c.kernel.allSatisfy({ $0 >= 1 }) else { throw ArchitectureError(layer: i, "kernel sizes must be positive") }
        guard c.stride.allSatisfy({ $0 >= 1 }) else { throw ArchitectureError(layer: i, "stride must be at least 1 (s=1 means no striding)") }
        guard c.padding.allSatisfy({ $0 >= 0 }) else { throw ArchitectureError(layer: i, "padding must be non-negative") }
        guard c.dilation.allSatisfy({ $0 >= 1 }) else { throw ArchitectureError(layer: i, "dilation must be at least 1") }
        guard (c.kernel + c.stride + c.padding + c.dilation).allSatisfy({ $0 <= Architecture.maxTensorSize }) else {
          throw ArchitectureError(layer: i, "conv sizes must be at most 10,000,000")
        }
        var out: [Int] = []
        for d in 0..<dims {
          let span = c.dilation[d] * (c.kernel[d] - 1) + 1
          let padded = shape.spatial[d] + 2 * c.padding[d]
          guard span <= padded else {
            throw ArchitectureError(layer: i, "kernel span \(span) is larger than the padded input \(padded) (input \(shape)); use a smaller kernel or more padding")
          }
          out.append(c.outputSize(input: shape.spatial[d], dimension: d))
          try Architecture.grow(&rf[d], &jump[d], span: span, stride: c.stride[d], layer: i)
        }
        try Architecture.checkOutputSize(TensorShape(channels: c.outChannels, spatial: out), layer: i)
        let weights = try checkedProduct([c.outChannels, shape.channels] + c.kernel, layer: i)
        params = ParameterSlice(weightOffset: offset, weightCount: weights,
                                biasOffset: c.bias ? offset + weights : nil, biasCount: c.bias ? c.outChannels : 0)
        shape = TensorShape(channels: c.outChannels, spatial: out)
      case .dense(let dl):
        guard dl.outputs >= 1 else { throw ArchitectureError(layer: i, "dense needs at least 1 output") }
        let weights = try checkedProduct([dl.outputs, shape.count], layer: i)
        params = ParameterSlice(weightOffset: offset, weightCount: weights,
                                biasOffset: dl.bias ? offset + weights : nil, biasCount: dl.bias ? dl.outputs : 0)
        shape = TensorShape(channels: dl.outputs, spatial: [])
        rf = []
        jump = []
      case .activation(let a):
        if case .leaky(let slope) = a, slope.isZero {
          throw ArchitectureError(layer: i, "leaky slope 0 is relu; write relu")
        }
      case .avgPool(let pl):
        shape = try Architecture.poolOutput(name: "avgpool", kernel: pl.kernel, stride: pl.stride, input: shape,
                                            rf: &rf, jump: &jump, layer: i)
      case .maxPool(let pl):
        shape = try Architecture.poolOutput(name: "maxpool", kernel: pl.kernel, stride: pl.stride, input: shape,
                                            rf: &rf, jump: &jump, layer: i)
      }
      if let params { offset += params.count }
      guard offset <= Architecture.maxParameters else {
        throw ArchitectureError(layer: i, "the network has more than \(Architecture.maxParameters) parameters (\(offset) so far); the exact instance would not fit in memory — use fewer channels or a smaller dense layer")
      }
      infos.append(LayerInfo(index: i, layer: layer, input: inShape, output: shape, parameters: params,
                             receptiveField: rf, jump: jump))
    }
    return infos
  }

  /// Total number of parameters p (throws when the architecture is invalid).
  public func parameterCount() throws -> Int {
    try layerInfos().compactMap(\.parameters).reduce(0) { $0 + $1.count }
  }

  /// Number of network outputs K (the last dense layer's width).
  public var outputCount: Int {
    if case .dense(let d) = layers.last { return d.outputs }
    return 0
  }

  /// The largest number of entries of the input or of any layer's output.
  static let maxTensorSize = 10_000_000

  /// channels · positions, or nil on overflow.
  static func checkedCount(_ shape: TensorShape) -> Int? {
    var r = shape.channels
    for x in shape.spatial {
      let (v, o) = r.multipliedReportingOverflow(by: x)
      if o { return nil }
      r = v
    }
    return r
  }

  static func checkOutputSize(_ shape: TensorShape, layer: Int) throws {
    guard let n = checkedCount(shape), n <= maxTensorSize else {
      throw ArchitectureError(layer: layer, "the output \(shape) has more than 10,000,000 entries; use less padding or fewer channels")
    }
  }

  /// The output shape of a pooling layer (no padding, floor mode), growing the receptive field.
  static func poolOutput(name: String, kernel: [Int], stride: [Int], input shape: TensorShape,
                         rf: inout [Int], jump: inout [Int], layer i: Int) throws -> TensorShape {
    let dims = shape.spatial.count
    guard dims > 0 else { throw ArchitectureError(layer: i, "\(name) after a dense layer: the signal is already flattened") }
    guard kernel.count == dims, stride.count == dims else {
      throw ArchitectureError(layer: i, "\(name) has \(kernel.count)-D sizes but its input \(shape) is \(dims)-D")
    }
    guard kernel.allSatisfy({ $0 >= 1 }), stride.allSatisfy({ $0 >= 1 }) else {
      throw ArchitectureError(layer: i, "\(name) window and stride must be positive")
    }
    guard (kernel + stride).allSatisfy({ $0 <= Architecture.maxTensorSize }) else {
      throw ArchitectureError(layer: i, "\(name) sizes must be at most 10,000,000")
    }
    var out: [Int] = []
    for d in 0..<dims {
      guard kernel[d] <= shape.spatial[d] else {
        throw ArchitectureError(layer: i, "\(name) window \(kernel[d]) is larger than the input \(shape)")
      }
      out.append((shape.spatial[d] - kernel[d]) / stride[d] + 1)
      try Architecture.grow(&rf[d], &jump[d], span: kernel[d], stride: stride[d], layer: i)
    }
    return TensorShape(channels: shape.channels, spatial: out)
  }

  /// rf += (span − 1) · jump; jump *= stride, without overflow.
  static func grow(_ rf: inout Int, _ jump: inout Int, span: Int, stride: Int, layer: Int) throws {
    let (extent, o1) = (span - 1).multipliedReportingOverflow(by: jump)
    let (newRF, o2) = rf.addingReportingOverflow(extent)
    let (newJump, o3) = jump.multipliedReportingOverflow(by: stride)
    guard !o1, !o2, !o3 else {
      throw ArchitectureError(layer: layer, "the strides multiply to more than 2^63 input positions per output; use smaller strides")
    }
    rf = newRF
    jump = newJump
  }

  private func checkedProduct(_ xs: [Int], layer: Int) throws -> Int {
    var r = 1
    for x in xs {
      let (v, o) = r.multipliedReportingOverflow(by: x)
      guard !o, v <= Architecture.maxParameters else {
        throw ArchitectureError(layer: layer, "the layer has more than \(Architecture.maxParameters) parameters; the exact instance would not fit in memory — use fewer channels or outputs")
      }
      r = v
    }
    return r
  }
}
