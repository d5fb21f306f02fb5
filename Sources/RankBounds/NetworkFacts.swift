import ConvNet

/// The architecture classes the bound hypotheses speak of.
public enum ArchitectureClass: String, Sendable, CaseIterable, Codable {
  /// Only dense layers (activations allowed between them).
  case fullyConnected = "fully-connected"
  /// One conv layer (1-D or 2-D) followed by the dense output layer.
  case oneConv = "one-conv"
  /// Two or more conv layers followed by the dense output layer.
  case deepCNN = "deep-cnn"
  /// Anything else: pooling, several dense layers after convs, an activation before the first layer.
  case other

  /// Words for reports.
  public var phrase: String {
    switch self {
    case .fullyConnected: return "fully connected net"
    case .oneConv: return "one conv layer + dense head"
    case .deepCNN: return "deep CNN (≥ 2 conv layers + dense head)"
    case .other: return "other architecture (pooling, several dense layers after convs, …)"
    }
  }
}

/// The structural facts about a network that hypotheses test.
public struct NetworkFacts: Sendable, Equatable {
  /// The class.
  public let architectureClass: ArchitectureClass
  /// Spatial dimensions of the input (1 or 2).
  public let dimensions: Int
  /// True when every activation is the identity (the network is linear in its input).
  public let isLinear: Bool
  /// True when some activation is a ReLU.
  public let hasReLU: Bool
  /// True when some activation is a leaky ReLU.
  public let hasLeaky: Bool
  /// True when some layer has a bias.
  public let hasBias: Bool
  /// Number of conv layers.
  public let convCount: Int
  /// Number of dense layers.
  public let denseCount: Int
  /// True when there is average or max pooling.
  public let hasPooling: Bool

  /// Classifies an architecture.
  public init(_ architecture: Architecture) {
    var conv = 0, dense = 0, pooling = false, linear = true, relu = false, leaky = false, bias = false
    var convAfterDense = false, leadingActivation = false
    for (i, layer) in architecture.layers.enumerated() {
      switch layer {
      case .conv(let c):
        if dense > 0 { convAfterDense = true }
        conv += 1
        bias = bias || c.bias
      case .dense(let d):
        dense += 1
        bias = bias || d.bias
      case .activation(let a):
        if i == 0 { leadingActivation = true }
        switch a {
        case .identity: break
        case .relu:
          linear = false
          relu = true
        case .leaky:
          linear = false
          leaky = true
        }
      case .avgPool:
        pooling = true
      case .maxPool:
        pooling = true
        linear = false  // piecewise linear: a selection that depends on the point
      }
    }
    dimensions = architecture.input.shape.spatial.count
    isLinear = linear
    hasReLU = relu
    hasLeaky = leaky
    hasBias = bias
    convCount = conv
    denseCount = dense
    hasPooling = pooling
    if pooling || convAfterDense || leadingActivation {
      architectureClass = .other
    } else if conv == 0 {
      architectureClass = .fullyConnected
    } else if dense != 1 {
      architectureClass = .other
    } else {
      architectureClass = conv == 1 ? .oneConv : .deepCNN
    }
  }

  /// "one conv layer + dense head (1-D), linear, no bias".
  public var summary: String {
    var shape: String
    switch architectureClass {
    case .fullyConnected: shape = "fully connected net, \(denseCount) layer\(denseCount == 1 ? "" : "s")"
    case .oneConv: shape = "one conv layer (\(dimensions)-D) + dense head"
    case .deepCNN: shape = "deep CNN: \(convCount) conv layers (\(dimensions)-D) + dense head"
    case .other: shape = "other architecture (\(hasPooling ? "with pooling" : "\(convCount) conv, \(denseCount) dense layers"))"
    }
    let activation = isLinear ? "linear" : ([hasReLU ? "ReLU" : nil, hasLeaky ? "leaky ReLU" : nil].compactMap { $0 } + (hasReLU || hasLeaky ? [] : ["max pooling"])).joined(separator: " and ")
    return "\(shape), \(activation), \(hasBias ? "with bias" : "no bias")"
  }
}
