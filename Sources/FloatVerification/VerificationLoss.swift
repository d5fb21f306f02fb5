import ConvNet
import Exact
import ExactLinearAlgebra
import FloatCheck
import Hessian

/// The exact side of a verification: a reference matrix H_ref over Q with a rigorous bound
/// ‖H − H_ref‖₂ ≤ `error` on its distance to the Hessian H at the point (0 when H is rational).
struct ReferenceHessian {
  /// H_ref (p × p, C order) at hessrank's mean scale.
  var entries: [Rational]
  /// ‖H − H_ref‖₂ ≤ error.
  var error: Rational
  /// What the reference is, in words.
  var description: String
}

/// The exact rank r* and how sure it is.
struct ExactRankOutcome {
  var rank: Int
  var proved: Bool
  var failureBound: Double?
  var proof: String
  /// One line for the report, e.g. "rank(H_L) = 12 over Q, proved (…)".
  var statement: String
}

/// What a loss supplies to a float verification: the float64 Hessian hessrank builds, the
/// exact reference it is compared with, and the exact rank. One conformance per loss
/// (`MSEVerification`, `CrossEntropyVerification`), chosen once in `FloatHessianVerification`.
protocol VerificationLoss {
  /// n·H of `kind` in float64 (the mean-reduction Hessian times n).
  func floatScaledHessian(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind) throws -> ScalarMatrix<Double>
  /// The reference matrix and its distance bound (mean reduction).
  func reference(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind,
                 progress: (String) -> Void) throws -> ReferenceHessian
  /// r* for `kind`; `reference` is the matrix `reference(...)` returned.
  func exactRank(_ instance: NetworkInstance, kind: HessianKind, reference: ReferenceHessian,
                 method: ExactRankMethod, progress: (String) -> Void) throws -> ExactRankOutcome
}

extension LossFunction {
  /// The verification seam of this loss.
  var verification: any VerificationLoss {
    switch self {
    case .mse: return MSEVerification()
    case .crossEntropy: return CrossEntropyVerification()
    }
  }
}

/// MSE: every Hessian is rational at a rational point, so the reference is H itself over Q.
struct MSEVerification: VerificationLoss {
  func floatScaledHessian(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind) throws -> ScalarMatrix<Double> {
    try HessianBuilder(instance: instance, pattern: pattern, ring: FloatRing()).scaled(kind)
  }

  func reference(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind,
                 progress: (String) -> Void) throws -> ReferenceHessian {
    progress("exact Hessian over Q")
    let inv = Rational(1, instance.sampleCount)
    let h = try HessianRanks.exactScaledHessian(instance, pattern: pattern, kind: kind).map { $0 * inv }
    return ReferenceHessian(entries: h.storage, error: Rational(), description: "exact over Q")
  }

  func exactRank(_ instance: NetworkInstance, kind: HessianKind, reference: ReferenceHessian,
                 method: ExactRankMethod, progress: (String) -> Void) throws -> ExactRankOutcome {
    let p = instance.plan.parameterCount
    let rows = (0..<p).map { Array(reference.entries[($0 * p)..<(($0 + 1) * p)]) }
    let integerMatrix = IntegerMatrix(rationalRows: rows)
    switch method {
    case .certified:
      progress("exact rank, certified (p = \(p), entries up to \(integerMatrix.maxEntryBits) bits)")
      let certificate = ExactRank.certify(integerMatrix)
      let proof = certificate.method ?? "certified"
      return ExactRankOutcome(
        rank: certificate.rank, proved: certificate.provesExactRank, failureBound: nil, proof: proof,
        statement: "rank(\(kind.symbol)) = \(certificate.rank) over Q, proved (\(proof))")
    case .modular(let primes):
      progress("exact rank modulo \(primes) prime(s) (p = \(p))")
      let result = ModularRank.rank(of: integerMatrix, primes: max(primes, 1))
      let proof = "largest rank modulo \(result.primes.count) random prime(s) in [2^24, 2^25)" + (result.rank == p ? ", full rank" : "")
      let bound = result.isProved ? nil : result.failureProbabilityBound
      let statement = result.isProved
        ? "rank(\(kind.symbol)) = \(result.rank) over Q, proved (\(proof))"
        : "rank(\(kind.symbol)) ≥ \(result.rank) over Q, proved lower bound (\(proof)); equal unless every prime divides one nonzero minor (probability ≤ \(FloatHessianVerification.format(bound ?? 1))); verdicts take r* = \(result.rank), and a rule reporting fewer is proved WRONG"
      return ExactRankOutcome(rank: result.rank, proved: result.isProved, failureBound: bound, proof: proof,
                              statement: statement)
    }
  }
}
