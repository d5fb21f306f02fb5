import Exact

extension Architecture {
  /// True when some activation has a kink (ReLU or leaky ReLU), where the Hessian fails to exist.
  public var hasKinkedActivation: Bool {
    layers.contains { layer in
      if case .activation(let a) = layer { return a != .identity }
      return false
    }
  }
}

extension InstanceSettings {
  /// The value range of configs, architecture strings and sweeps that give none: wide enough
  /// that a degenerate point is improbable — a rank below the generic rank (Schwartz–Zippel:
  /// probability ≤ N·deg/(2B+1), `HessianRanks.schwartzZippelBound`) or a pre-activation exactly
  /// 0 at a ReLU (≤ N/(2B+1), `NetworkInstance.kinkProbabilityBound`). At [−5, 5] a single
  /// weight is 0 with probability 1/11, so a sweep would report spurious SHORT rows. The
  /// modular path reduces the values modulo primes, so the width costs little there; the
  /// certified path's larger integers are priced by `auto` (AutoMethodChoice).
  /// (`InstanceSettings()` itself keeps 5, the small range the library's tests use.)
  public static let wideDefaultRange = 1_000_000

  /// The range a network gets when none is given: `wideDefaultRange`, for every network.
  public static func defaultRange(for architecture: Architecture) -> Int {
    wideDefaultRange
  }
}

extension NetworkInstance {
  /// A bound on the probability that drawing this instance's weights puts some ReLU or
  /// leaky-ReLU pre-activation exactly at 0 (a kink), over the seed: N/(2B+1) for N
  /// pre-activations at kinked activations and integer weights uniform in [−B, B].
  ///
  /// Why: condition on everything but the weights of the conv/dense layer in front of the
  /// activation. A pre-activation is then an affine function of its unit's weight row (and
  /// bias) with coefficients the patch it reads; unless a bias is present it is constant only
  /// when that patch is 0, which happens only at an earlier kink (counted) or when the patch
  /// is 0 near the point (zero data, zero padding, ReLU units below 0: no kink, not refused).
  /// A nonconstant affine function of a uniform variable on 2B+1 integers is 0 with
  /// probability ≤ 1/(2B+1); the union bound over the N pre-activations gives the result.
  ///
  /// 0 without kinked activations; nil when the argument does not apply: weights from a file
  /// or explicit, fractions, an activation not directly after a conv or dense layer, or max pooling.
  public var kinkProbabilityBound: Rational? {
    var count = 0
    var previousIsParametric = false
    for stage in plan.stages {
      switch stage {
      case .parametric: previousIsParametric = true
      case .fixed: previousIsParametric = false
      case .selection: return nil  // max-pooling ties are not covered by this argument
      case .activation(let a, let size, _):
        if a != .identity {
          guard previousIsParametric else { return nil }
          count += size
        }
        previousIsParametric = false
      }
    }
    if count == 0 { return Rational() }
    guard settings.weights == nil, settings.maxDenominator == 1 else { return nil }
    return Rational(count * sampleCount, 2 * settings.range + 1)
  }
}
