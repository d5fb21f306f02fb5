import Exact
import ResourceLimits

/// Errors in building or evaluating an exact network instance.
public enum InstanceError: Error, Equatable, CustomStringConvertible {
  /// n = 0 or negative.
  case noSamples
  /// A bad range or denominator setting.
  case badRange(String)
  /// Explicit values of the wrong length or shape.
  case shapeMismatch(String)
  /// The instance and its forward pass would not fit in the memory budget.
  case tooLarge(String)
  /// A ReLU / leaky ReLU pre-activation exactly 0: the Hessian does not exist there.
  case nonDifferentiable(layer: Int, sample: Int, position: Int, seed: UInt64)
  /// The same, at inputs read from a file: only the weights can move.
  case kinkAtFileData(layer: Int, sample: Int, position: Int, dataFile: String, weightsFromFile: Bool, seed: UInt64)
  /// A file named in the settings has not been read into explicit values.
  case unreadFile(role: String, path: String)
  /// A max-pooling window whose largest entries tie while being different functions of θ near
  /// the point: the Hessian does not exist there.
  case maxPoolTie(layer: Int, sample: Int, position: Int, inputs: [Int], seed: UInt64)

  /// One line for the user.
  public var description: String {
    switch self {
    case .noSamples: return "the number of samples n must be at least 1"
    case .badRange(let s): return s
    case .shapeMismatch(let s): return s
    case .tooLarge(let s): return s
    case .nonDifferentiable(let layer, let sample, let position, let seed):
      return "non-differentiable point: the pre-activation of layer \(layer) (sample \(sample), position \(position)) is exactly 0, where the activation has a kink and the Hessian does not exist; resample with another seed (e.g. --seed \(seed &+ 1)) or draw from a wider range (e.g. --range 1000000), where exact zeros are rare"
    case .kinkAtFileData(let layer, let sample, let position, let file, let weightsFromFile, let seed):
      let help = weightsFromFile
        ? "perturb the weights, or leave out sample \(sample) (e.g. --samples \(sample) takes the rows before it)"
        : "draw other weights (e.g. --seed \(seed &+ 1) or a wider --range)"
      return "non-differentiable point: the pre-activation of layer \(layer) at sample \(sample) (row \(sample) of \(file)), position \(position), is exactly 0, where the activation has a kink and the Hessian does not exist; the data come from a file, so only the weights can move: \(help)"
    case .unreadFile(let role, let path):
      return "the \(role) file '\(path)' has not been read (load the settings with InstanceFiles first)"
    case .maxPoolTie(let layer, let sample, let position, let inputs, let seed):
      return "non-differentiable point: max pooling layer \(layer) (sample \(sample), output position \(position)) has a tie between its input positions \(inputs.map(String.init).joined(separator: " and ")), which are different functions of the parameters near the point, so the maximum has a kink and the Hessian does not exist; resample with another seed (e.g. --seed \(seed &+ 1)) or draw from a wider range"
    }
  }
}

/// An exact network instance: architecture, weights θ, inputs X and targets Y, all rational.
///
/// Random instances draw, in this order, the p weights, then the n inputs (each flattened
/// channel-major), then the n target rows, from one `SeededRandom(seed:)` stream.
public struct NetworkInstance: Sendable {
  /// The compiled architecture.
  public let plan: NetworkPlan
  /// The settings the instance was made from.
  public let settings: InstanceSettings
  /// Weights θ (length p, PyTorch `state_dict` order).
  public let theta: [Rational]
  /// Inputs, one row per sample (flattened channel-major).
  public let inputs: [[Rational]]
  /// Targets, one row of K per sample.
  public let targets: [[Rational]]

  /// Number of samples n.
  public var sampleCount: Int { inputs.count }

  /// Bytes an exact value takes (a GMP rational of word-size numerator and denominator,
  /// with its box and the array slot); calibrated on measured peaks (BENCHMARKS.md).
  public static let bytesPerExactValue = 96

  /// Bytes the instance and its exact forward pass take with `samples` samples: the inputs,
  /// targets and weights, and every stage's output for every sample (kept for the backward
  /// pass), as exact rationals. Checked against `MemoryBudget` before anything is drawn.
  public static func memoryEstimate(plan: NetworkPlan, samples: Int) -> Int {
    var perSample = plan.inputSize + plan.outputSize
    for info in plan.layerInfos { perSample = perSample.addingReportingOverflow(info.output.count).partialValue }
    let values = perSample.multipliedReportingOverflow(by: samples)
    guard !values.overflow else { return Int.max }
    let total = (values.partialValue + plan.parameterCount).multipliedReportingOverflow(by: bytesPerExactValue)
    return total.overflow ? Int.max : total.partialValue
  }

  /// Builds the instance an architecture and settings describe (random or explicit values).
  public init(architecture: Architecture, settings: InstanceSettings) throws {
    try self.init(plan: NetworkPlan(architecture), settings: settings)
  }

  /// Builds the instance for a compiled plan.
  public init(plan: NetworkPlan, settings: InstanceSettings) throws {
    let files = settings.files
    for (role, reference, value) in [("weights", files.weights, settings.weights != nil),
                                     ("data", files.data, settings.inputs != nil),
                                     ("targets", files.targets ?? files.labels, settings.targetValues != nil)] {
      if let reference, !value { throw InstanceError.unreadFile(role: role, path: reference.path) }
    }
    let n = settings.inputs?.count ?? settings.samples
    guard n >= 1 else { throw InstanceError.noSamples }
    guard settings.range >= 1, settings.range <= 1_000_000_000 else {
      throw InstanceError.badRange("the value range must be between 1 and 10^9, got \(settings.range)")
    }
    guard settings.maxDenominator >= 1, settings.maxDenominator <= 1_000_000 else {
      throw InstanceError.badRange("the largest denominator must be between 1 and 10^6, got \(settings.maxDenominator)")
    }
    let p = plan.parameterCount, d = plan.inputSize, k = plan.outputSize
    let needed = NetworkInstance.memoryEstimate(plan: plan, samples: n)
    guard needed <= MemoryBudget.bytes else {
      throw InstanceError.tooLarge("the instance (n = \(n) samples) and its exact forward pass need about \(MemoryBudget.describe(needed)); the memory budget is \(MemoryBudget.describe(MemoryBudget.bytes)) (\(MemoryBudget.source)); use fewer samples, or set --memory")
    }
    var rng = SeededRandom(seed: settings.seed)
    func draw() -> Rational { rng.nextRational(bound: settings.range, maxDenominator: settings.maxDenominator) }
    let theta = (0..<p).map { _ in draw() }
    let inputs = (0..<n).map { _ in (0..<d).map { _ in draw() } }
    let targets = (0..<n).map { _ in (0..<k).map { _ in settings.targets == .zero ? Rational() : draw() } }
    if let w = settings.weights, w.count != p {
      throw InstanceError.shapeMismatch("explicit weights have \(w.count) values; the architecture has p = \(p) parameters")
    }
    if let x = settings.inputs, let bad = x.firstIndex(where: { $0.count != d }) {
      throw InstanceError.shapeMismatch("input row \(bad) has \(x[bad].count) values; the input size is \(d)")
    }
    if let y = settings.targetValues {
      guard y.count == n else {
        throw InstanceError.shapeMismatch("there are \(y.count) target rows for n = \(n) samples")
      }
      if let bad = y.firstIndex(where: { $0.count != k }) {
        throw InstanceError.shapeMismatch("target row \(bad) has \(y[bad].count) values; the network has K = \(k) outputs")
      }
    }
    self.plan = plan
    self.settings = settings
    self.theta = settings.weights ?? theta
    self.inputs = settings.inputs ?? inputs
    self.targets = settings.targetValues ?? targets
  }

  /// The data matrix X with one column per sample (d × n); Σ_xx = X Xᵀ / n has the same rank.
  public var dataMatrix: ScalarMatrix<Rational> {
    ScalarMatrix(rows: plan.inputSize, cols: sampleCount,
                 storage: (0..<plan.inputSize).flatMap { i in inputs.map { $0[i] } })
  }
}
