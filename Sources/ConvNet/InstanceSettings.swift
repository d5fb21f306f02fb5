import Exact

/// How the exact instance of a network (weights θ, inputs X, targets Y) is chosen.
///
/// Random instances draw every value independently and uniformly: integers in [−range, range]
/// when `maxDenominator` is 1, otherwise fractions a/b with 1 ≤ b ≤ maxDenominator and value in
/// [−range, range]. The same seed gives the same instance on every machine. Explicit values,
/// when given, replace the random ones (weights in PyTorch `state_dict` order; inputs one row
/// per sample, flattened channel-major; targets one row per sample).
public struct InstanceSettings: Equatable, Hashable, Sendable {
  /// Number of samples n.
  public var samples: Int
  /// Seed of the generator.
  public var seed: UInt64
  /// Values lie in [−range, range].
  public var range: Int
  /// Largest denominator of random values (1: integers).
  public var maxDenominator: Int
  /// How targets are chosen when not given explicitly.
  public var targets: TargetMode
  /// Explicit weights θ (length p), or nil for random.
  public var weights: [Rational]?
  /// Explicit inputs (n rows of the flattened input), or nil for random.
  public var inputs: [[Rational]]?
  /// Explicit targets (n rows of K), or nil to follow `targets`.
  public var targetValues: [[Rational]]?
  /// Files the explicit values come from (read by the `InstanceFiles` module before use).
  public var files = InstanceFileSet()
  /// The loss whose Hessians are ranked (the config's `"loss"` key; MSE by default).
  public var loss = LossFunction.mse

  /// Settings with the project's defaults: n = 100, seed 1, integers in [−5, 5], random targets.
  public init(samples: Int = 100, seed: UInt64 = 1, range: Int = 5, maxDenominator: Int = 1,
              targets: TargetMode = .random, weights: [Rational]? = nil, inputs: [[Rational]]? = nil,
              targetValues: [[Rational]]? = nil) {
    self.samples = samples
    self.seed = seed
    self.range = range
    self.maxDenominator = maxDenominator
    self.targets = targets
    self.weights = weights
    self.inputs = inputs
    self.targetValues = targetValues
  }
}

/// How random instances choose their targets.
public enum TargetMode: String, Equatable, Hashable, Sendable, CaseIterable {
  /// Targets drawn like the data (generic residuals: the generic case of the rank formulas).
  case random
  /// All targets 0.
  case zero
}
