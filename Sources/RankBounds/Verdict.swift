import Exact
import ExactLinearAlgebra
import Hessian

/// The outcome of comparing an exact rank with a bound's value at one point.
public enum Verdict: String, Sendable, Codable, CaseIterable {
  /// rank > bound: the bound is false at this point (proved by a nonzero minor).
  case violated = "VIOLATED"
  /// rank = bound.
  case tight = "TIGHT"
  /// rank < bound at this point, for an upper bound (≤).
  case holds = "HOLDS"
  /// rank < value at this point, for a claimed formula (=): the formula is not attained here.
  /// Over several seeds a formula is SHORT when no seed attains it (the largest rank over the
  /// seeds, a lower bound on the generic rank, is still below the value): the formula is false
  /// unless every seed is degenerate.
  case short = "SHORT"

  /// The verdict of `rank` against `value` for a bound that claims `claim`: VIOLATED (>),
  /// TIGHT (=), and below the value HOLDS for an upper bound, SHORT for a claimed formula.
  public static func judge(rank: BigInt, value: BigInt, claim: BoundClaim) -> Verdict {
    if rank > value { return .violated }
    if rank == value { return .tight }
    return claim == .equality ? .short : .holds
  }

  /// The verdict of one bound over several seeds: VIOLATED if some seed violates it, else TIGHT
  /// if some seed attains it, else HOLDS, else SHORT (no seed attains a claimed formula); nil
  /// for no verdicts.
  public static func overSeeds<S: Sequence>(_ verdicts: S) -> Verdict? where S.Element == Verdict {
    let all = Set(verdicts)
    for v in [Verdict.violated, .tight, .holds, .short] where all.contains(v) { return v }
    return nil
  }
}

/// What is proved about one Hessian's rank at a point.
public struct RankEvidence: Sendable, Equatable {
  /// The rank (exact when `isExact`, otherwise a proved lower bound).
  public var rank: Int
  /// True when the rank is proved exactly.
  public var isExact: Bool
  /// How rank ≥ `rank` is proved ("a nonzero 24×24 minor of J").
  public var lowerProof: String
  /// How rank ≤ `rank` is proved, when `isExact` ("22 exact kernel vectors").
  public var upperProof: String?
  /// Schwartz–Zippel: a bound on the probability that this random point's rank is below the
  /// generic rank (nil when no such bound applies, e.g. ReLU or explicit values).
  public var degenerateProbability: Rational?

  /// Evidence from a rank result of the Hessian pipeline.
  public init(_ result: HessianRankResult) {
    rank = result.rank
    isExact = result.isProved
    degenerateProbability = result.genericFailureBound
    // H_o's rank is J's (MSE) or the stacked C·J_i's (cross-entropy): the matrix the result names.
    let outer = result.matrix.hasPrefix("C·J") ? "C·J" : "J"
    let matrix = result.kind == .outer ? outer : "n·\(result.kind.symbol)"
    if let c = result.certificate {
      lowerProof = "a nonzero \(c.rank)×\(c.rank) minor of \(matrix)"
      upperProof = RankEvidence.upperProof(c)
    } else if let w = result.crossEntropyWitness {
      lowerProof = "a nonzero \(w.rank)×\(w.rank) minor of \(matrix) modulo the prime \(w.prime) at t ≡ \(w.t) (cross-entropy, t = e^(1/D))"
      upperProof = result.isProved ? "rank = p" : nil
    } else {
      lowerProof = "the rank of \(matrix) modulo random primes (rank mod p ≤ rank over Q)"
      upperProof = result.isProved ? "rank = min(rows, cols)" : nil
    }
  }

  /// Evidence from a verified rank certificate.
  public init(kind: HessianKind, certificate c: RankCertificate, exact: Bool) {
    rank = c.rank
    isExact = exact
    lowerProof = "a nonzero \(c.rank)×\(c.rank) minor of \(kind == .outer ? "J" : "n·\(kind.symbol)")"
    upperProof = exact ? RankEvidence.upperProof(c) : nil
  }

  /// Evidence stated directly.
  public init(rank: Int, isExact: Bool, lowerProof: String, upperProof: String?) {
    self.rank = rank
    self.isExact = isExact
    self.lowerProof = lowerProof
    self.upperProof = upperProof
  }

  static func upperProof(_ c: RankCertificate) -> String? {
    if let k = c.kernel { return "\(k.count) exact kernel vector\(k.count == 1 ? "" : "s") (\(c.cols) − \(k.count) = \(c.rank))" }
    if let ps = c.upperBoundPrimes {
      return "its rank modulo \(ps.count) prime\(ps.count == 1 ? "" : "s") whose product passes Hadamard's bound on the \(c.rank + 1)-minors"
    }
    if c.rank == min(c.rows, c.cols) { return "rank = min(rows, cols) = \(c.rank)" }
    return nil
  }
}

/// A bound compared with the exact rank at one seeded point.
public struct BoundCheck: Sendable {
  /// The bound.
  public let bound: RankBound
  /// The instance seed.
  public let seed: UInt64
  /// The bound's exact value at the point.
  public let value: BigInt
  /// What is known of the rank.
  public let evidence: RankEvidence
  /// The verdict.
  public let verdict: Verdict
  /// True when the verdict is proved at this point (not only likely).
  public let proved: Bool
  /// One line for a reviewer: what was compared, and why the verdict holds.
  public let explanation: String

  /// Compares `evidence` with `value`.
  /// - Parameter valueIsExact: false when the value depends on ranks known only as lower bounds.
  public init(bound: RankBound, seed: UInt64, value: BigInt, evidence: RankEvidence, valueIsExact: Bool = true) {
    self.bound = bound
    self.seed = seed
    self.value = value
    self.evidence = evidence
    let rank = BigInt(evidence.rank)
    let h = "rank(\(bound.hessian.symbol))"
    if rank > value {
      verdict = .violated
      proved = valueIsExact
      explanation = valueIsExact
        ? "\(h) ≥ \(evidence.rank) > \(value): the bound is false at this point, proved by \(evidence.lowerProof)"
        : "\(h) ≥ \(evidence.rank) > \(value), but the value uses ranks known only as lower bounds: not proved"
    } else if rank == value {
      verdict = .tight
      if evidence.isExact, let up = evidence.upperProof {
        proved = true
        explanation = "\(h) = \(value), the bound's value; proved at this point: rank ≥ \(value) by \(evidence.lowerProof), rank ≤ \(value) by \(up)"
      } else if let theorem = bound.upperBoundProof, valueIsExact {
        proved = true
        explanation = "\(h) = \(value), the bound's value; proved at this point: rank ≥ \(value) by \(evidence.lowerProof), rank ≤ \(value) by the theorem (\(theorem))"
      } else {
        proved = false
        explanation = "\(h) ≥ \(value) (proved, by \(evidence.lowerProof)) and equals the bound's value unless the rank over Q is larger: TIGHT with high probability, not proved (use --certificate for a proof of the upper bound)"
      }
    } else if bound.claim == .equality {
      verdict = .short
      let gap = value - rank
      proved = evidence.isExact
      let rankText = evidence.isExact ? "\(h) = \(evidence.rank)" : "\(h) ≥ \(evidence.rank) (a lower bound)"
      explanation = "\(rankText) < \(value): the claimed formula is NOT attained at this point (\(gap) short); "
        + "it is false unless this point is degenerate" + BoundCheck.degenerateText(evidence.degenerateProbability)
        + (evidence.isExact ? "" : ", or the rank over Q is larger (not proved)")
    } else {
      verdict = .holds
      let gap = value - rank
      if evidence.isExact {
        proved = true
        explanation = "\(h) = \(evidence.rank) < \(value): the bound holds at this point with room \(gap)"
      } else {
        proved = false
        explanation = "\(h) ≥ \(evidence.rank) (a lower bound) and \(evidence.rank) < \(value): the bound holds here unless the rank over Q is larger (not proved)"
      }
    }
  }

  /// ", probability ≤ 3/1001 (Schwartz–Zippel)", or why no probability is given.
  static func degenerateText(_ probability: Rational?) -> String {
    guard let q = probability else { return " (no probability bound applies to this instance: ReLU, fractions or explicit values)" }
    if q >= Rational(1) { return " (the Schwartz–Zippel bound on that probability is vacuous at this range; use a larger --range)" }
    return ", probability ≤ \(q) (Schwartz–Zippel)"
  }
}
