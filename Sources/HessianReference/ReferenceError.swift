import ConvNet

/// Why the reference builder refused its input.
public enum ReferenceError: Error, Equatable, CustomStringConvertible {
  /// The architecture is invalid (the message names the layer and the fix).
  case architecture(ArchitectureError)
  /// θ has the wrong length.
  case parameterCount(expected: Int, got: Int)
  /// One input row has the wrong length.
  case inputLength(sample: Int, expected: Int, got: Int)
  /// One target row has the wrong length.
  case targetLength(sample: Int, expected: Int, got: Int)
  /// Inputs and targets have different numbers of rows.
  case sampleCountMismatch(inputs: Int, targets: Int)
  /// No samples: the loss 1/(2n) Σ … is undefined for n = 0.
  case noSamples
  /// The reference is for small configurations; p is over its limit.
  case tooLarge(parameters: Int, limit: Int)
  /// A pre-activation is exactly 0 before a ReLU or leaky ReLU: the network is not
  /// differentiable at this point. `layer` is the activation's index in `Architecture.layers`,
  /// `position` the index in its channel-major flattened input.
  case nonDifferentiable(layer: Int, sample: Int, position: Int)

  /// One line for the user.
  public var description: String {
    switch self {
    case .architecture(let e): return e.description
    case .parameterCount(let expected, let got):
      return "θ has \(got) values but the network has \(expected) parameters"
    case .inputLength(let sample, let expected, let got):
      return "input row \(sample) has \(got) values; the network input has \(expected)"
    case .targetLength(let sample, let expected, let got):
      return "target row \(sample) has \(got) values; the network has \(expected) outputs"
    case .sampleCountMismatch(let inputs, let targets):
      return "\(inputs) input rows but \(targets) target rows; give one target row per input"
    case .noSamples:
      return "no samples: the MSE loss needs at least one (n ≥ 1)"
    case .tooLarge(let parameters, let limit):
      return "the reference builder is for small networks: p = \(parameters) is over its limit of \(limit)"
    case .nonDifferentiable(let layer, let sample, let position):
      return "not differentiable: the pre-activation at position \(position) of layer \(layer) is exactly 0 for sample \(sample) (a ReLU kink); choose other weights or data (another seed)"
    }
  }
}
