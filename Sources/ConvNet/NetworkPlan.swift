import Exact

/// One step of the network as a chain of maps: parametric, fixed linear, or elementwise.
public enum NetworkStage: Sendable, Equatable {
  /// A conv or dense layer, with the offset of its parameters in θ.
  case parametric(ToeplitzStructure, thetaOffset: Int, layer: Int)
  /// A fixed linear map (average pooling).
  case fixed(FixedLinearMap, layer: Int)
  /// An elementwise activation on `size` values.
  case activation(Activation, size: Int, layer: Int)
  /// Max pooling: at the point, each output copies one input of its window (a 0/1 selection
  /// fixed per sample, like an activation mask).
  case selection(PoolingWindows, layer: Int)

  /// The architecture layer this stage comes from.
  public var layer: Int {
    switch self {
    case .parametric(_, _, let l), .fixed(_, let l), .activation(_, _, let l), .selection(_, let l): return l
    }
  }
}

/// An architecture compiled into its chain of maps: the symbolic Toeplitz structure of every
/// parametric layer, the fixed maps and the activations.
public struct NetworkPlan: Sendable {
  /// The architecture.
  public let architecture: Architecture
  /// Shapes and parameter placement per layer.
  public let layerInfos: [LayerInfo]
  /// The stages in order.
  public let stages: [NetworkStage]
  /// Total number of parameters p.
  public let parameterCount: Int
  /// Size of the flattened input.
  public let inputSize: Int
  /// Number of outputs K.
  public let outputSize: Int

  /// Compiles a (validated) architecture.
  public init(_ architecture: Architecture) throws {
    self.architecture = architecture
    let infos = try architecture.layerInfos()
    layerInfos = infos
    var stages: [NetworkStage] = []
    for info in infos {
      switch info.layer {
      case .conv(let c):
        stages.append(.parametric(ToeplitzStructure(conv: c, input: info.input, output: info.output),
                                  thetaOffset: info.parameters?.weightOffset ?? 0, layer: info.index))
      case .dense(let d):
        stages.append(.parametric(ToeplitzStructure(dense: d, inputs: info.input.count),
                                  thetaOffset: info.parameters?.weightOffset ?? 0, layer: info.index))
      case .avgPool(let pl):
        stages.append(.fixed(FixedLinearMap(avgPool: pl, input: info.input, output: info.output), layer: info.index))
      case .maxPool(let pl):
        stages.append(.selection(PoolingWindows(maxPool: pl, input: info.input, output: info.output), layer: info.index))
      case .activation(let a):
        if a != .identity { stages.append(.activation(a, size: info.input.count, layer: info.index)) }
      }
    }
    self.stages = stages
    parameterCount = infos.compactMap(\.parameters).reduce(0) { $0 + $1.count }
    inputSize = architecture.input.shape.count
    outputSize = architecture.outputCount
  }

  /// Indices (into `stages`) of the parametric stages, in order.
  public var parametricStageIndices: [Int] {
    stages.indices.filter { if case .parametric = stages[$0] { return true } else { return false } }
  }
}
