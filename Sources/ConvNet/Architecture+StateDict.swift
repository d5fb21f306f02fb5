/// One tensor of PyTorch's `state_dict` for an architecture: a weight or a bias.
///
/// Names follow an `nn.Sequential` of the layers in order, with the flatten before the first
/// dense layer implicit: the weight of layer 0 is `0.weight`, its bias `0.bias`. A tensor's
/// entries sit contiguously in θ in C order (last index fastest), exactly as
/// `torch.cat([t.flatten() for t in model.state_dict().values()])`.
public struct ParameterTensor: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// `<layer index>.weight` or `<layer index>.bias`.
  public let name: String
  /// Index of the layer in `Architecture.layers`.
  public let layer: Int
  /// True for a bias vector.
  public let isBias: Bool
  /// PyTorch shape: conv weight [out, in, k] or [out, in, kh, kw], dense weight [out, in],
  /// bias [out].
  public let shape: [Int]
  /// Offset of the first entry in θ.
  public let offset: Int

  /// Number of entries.
  public var count: Int { shape.reduce(1, *) }
  /// θ indices of the tensor.
  public var range: Range<Int> { offset..<(offset + count) }
  /// `0.weight [4, 1, 3]`.
  public var description: String { "\(name) [\(shape.map(String.init).joined(separator: ", "))]" }
}

extension Architecture {
  /// The parameter tensors in `state_dict` order (throws when the architecture is invalid).
  public func parameterTensors() throws -> [ParameterTensor] {
    try layerInfos().flatMap { $0.parameterTensors }
  }
}

extension LayerInfo {
  /// This layer's weight and bias tensors (empty for activations and pooling).
  public var parameterTensors: [ParameterTensor] {
    guard let slice = parameters else { return [] }
    let weightShape: [Int]
    let outputs: Int
    switch layer {
    case .conv(let c):
      weightShape = [c.outChannels, input.channels] + c.kernel
      outputs = c.outChannels
    case .dense(let d):
      weightShape = [d.outputs, input.count]
      outputs = d.outputs
    case .activation, .avgPool, .maxPool:
      return []
    }
    var tensors = [ParameterTensor(name: "\(index).weight", layer: index, isBias: false, shape: weightShape,
                                   offset: slice.weightOffset)]
    if let biasOffset = slice.biasOffset {
      tensors.append(ParameterTensor(name: "\(index).bias", layer: index, isBias: true, shape: [outputs], offset: biasOffset))
    }
    return tensors
  }
}
