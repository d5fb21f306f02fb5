import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation

/// The softmax of exact rational logits as rational functions of t = e^{1/D}.
///
/// With D the least common denominator of all logits f_ic, write D·f_ic = e_ic ∈ Z and
/// a_ic = e_ic − min_k e_ik ≥ 0. Then π_ic = t^{a_ic} / S_i(t) with S_i(t) = Σ_k t^{a_ik}, a
/// polynomial of degree d_i = max_k a_ik. t = e^{1/D} is transcendental (Lindemann), so an
/// identity among these rational functions holds at the point iff it holds in Q(t)
/// (proofs/cross-entropy.md).
public struct SoftmaxExponents: Sendable {
  /// The common denominator D of the logits.
  public let denominator: BigInt
  /// a_ic ≥ 0, per sample and class.
  public let exponents: [[BigInt]]
  /// Σ_i d_i: the degree in t of Π_i S_i, which clears the denominators of n·H_f.
  public let degreeSum: BigInt

  /// The exponents of the logits `outputs` (n rows of K).
  public init(logits outputs: [[Rational]]) {
    var d = BigInt(1)
    for row in outputs { for q in row where !q.isInteger { d = BigInt.lcm(d, q.denominator) } }
    denominator = d
    var sum = BigInt(0)
    exponents = outputs.map { row in
      let e = row.map { $0.numerator * d.dividedExactly(by: $0.denominator) }
      let low = e.min { $0 < $1 }!, high = e.max { $0 < $1 }!
      sum += high - low
      return e.map { $0 - low }
    }
    degreeSum = sum
  }

  /// π_ic at t (a residue in [1, p)) modulo the prime of `field`, or nil when some S_i(t) ≡ 0.
  public func probabilities(at t: UInt64, prime: PrimeField) -> [[UInt64]]? {
    var out: [[UInt64]] = []
    for row in exponents {
      let powers = row.map { prime.power(t, $0.residue(modulo: prime.p - 1)) }  // t^(p−1) = 1
      let s = powers.reduce(0) { prime.add($0, $1) }
      guard let inv = prime.inverse(s) else { return nil }
      out.append(powers.map { prime.multiply($0, inv) })
    }
    return out
  }
}

/// The witness of a cross-entropy rank lower bound: n·H_f or n·H_L built modulo `prime` with
/// π evaluated at the residue `t` of t = e^{1/D}, and the rows and columns of an r × r minor
/// that is nonzero there (`CrossEntropyCertificate` records it; `check` rebuilds the matrix).
public struct CrossEntropyWitness: Sendable, Equatable {
  /// Which Hessian (`.functional` or `.loss`).
  public var kind: HessianKind
  /// The proved lower bound (the minor's size).
  public var rank: Int
  /// The prime, in [2^61, 2^62).
  public var prime: UInt64
  /// The residue of t modulo `prime`, in [1, prime).
  public var t: UInt64
  /// Rows of the nonzero minor.
  public var pivotRows: [Int]
  /// Columns of the nonzero minor.
  public var pivotCols: [Int]

  /// A witness.
  public init(kind: HessianKind, rank: Int, prime: UInt64, t: UInt64, pivotRows: [Int], pivotCols: [Int]) {
    self.kind = kind
    self.rank = rank
    self.prime = prime
    self.t = t
    self.pivotRows = pivotRows
    self.pivotCols = pivotCols
  }
}

/// Ranks of the cross-entropy H_f and H_L: rank modulo word-size primes at random t.
///
/// For each prime q the matrices n·H_f = Σ_i Σ_c (π_ic − y_ic) ∇²f_c(x_i) and
/// n·H_L = Σ_i J_iᵀ(diag π_i − π_i π_iᵀ)J_i + n·H_f are built modulo q with π_i evaluated at a
/// uniformly random t ∈ [1, q). Every such rank is a proved lower bound on the rank at the
/// point; it is the rank at the point unless a maximal nonzero minor vanishes there: by
/// Schwartz–Zippel in t, probability ≤ pΔ/(q − 1 − Σd_i) per prime (the true rank is at most
/// p; Δ = Σ d_i for H_f, 2Σ d_i for H_L), once q does not divide the minor's content (not
/// bounded here).
public enum CrossEntropyRanks {
  /// The primes the witnesses use: [2^61, 2^62) (`Primality.randomWordPrimes`).
  public static let primeRange: ClosedRange<UInt64> = (1 << 61)...((1 << 62) - 1)

  /// Ranks of `.functional` / `.loss` (the kinds asked for) at `instance` under cross-entropy.
  static func ranks(_ instance: NetworkInstance, pattern: ActivationPattern, outputs: [[Rational]], kinds: [HessianKind],
                    options: HessianRankOptions, progress: (String) -> Void) throws -> [HessianRankResult] {
    let wanted = kinds.filter { $0 != .outer }
    guard !wanted.isEmpty else { return [] }
    let targets = try CrossEntropyTargets.targets(instance)
    let softmax = SoftmaxExponents(logits: outputs)
    let p = instance.plan.parameterCount
    var best: [HessianKind: CrossEntropyWitness] = [:]
    var seconds: [HessianKind: Double] = [:]
    var usedPrimes: [UInt64] = []
    for prime in Primality.randomWordPrimes(count: options.primes + 16, seed: options.primeSeed) where usedPrimes.count < options.primes {
      let field = MontgomeryField(prime: prime)
      let pf = PrimeField(unchecked: prime)
      let builder: HessianBuilder<MontgomeryField>
      do {
        builder = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
      } catch is NoImageError {
        continue
      }
      var rng = SeededRandom(seed: options.primeSeed ^ prime)
      var drawn: (t: UInt64, pi: [[UInt64]])?
      for _ in 0..<64 where drawn == nil {
        let t = rng.next(in: 1...(prime - 1))
        if let pi = softmax.probabilities(at: t, prime: pf) { drawn = (t, pi) }
      }
      guard let drawn else { continue }
      let y = try targets.map { try $0.map { try field.element($0) } }
      usedPrimes.append(prime)
      progress("cross-entropy modulo prime \(usedPrimes.count)/\(options.primes) at a random t")
      var clock = Stopwatch()
      let matrices = scaledHessians(builder: builder, field: field, probabilities: drawn.pi, targets: y, kinds: wanted)
      for kind in wanted {
        guard let m = matrices[kind] else { continue }
        let profile = HessianRanks.modularMatrix(m, field: field, prime: pf).rankProfile(threads: options.threads)
        if profile.rank > best[kind]?.rank ?? -1 {
          best[kind] = CrossEntropyWitness(kind: kind, rank: profile.rank, prime: prime, t: drawn.t,
                                           pivotRows: profile.pivotRows, pivotCols: profile.pivotCols)
        }
        seconds[kind, default: 0] += clock.lap()
      }
    }
    guard !usedPrimes.isEmpty else { throw HessianRankError.noUsablePrime }
    let smallest = usedPrimes.min()!
    return wanted.map { kind in
      let witness = best[kind]
      let r = witness?.rank ?? 0
      let degree = kind == .functional ? softmax.degreeSum : softmax.degreeSum + softmax.degreeSum
      let full = r == p
      // Schwartz–Zippel in t per prime (`failureBound`), all primes independent.
      let perPrime = failureBound(kind: kind, parameters: p, softmax: softmax, prime: smallest)
      let bound: Double? = full ? 0 : perPrime.map { pow(Self.double($0), Double(usedPrimes.count)) }
      var result = HessianRankResult(
        kind: kind, rank: r, matrix: "n·H (\(p)×\(p))",
        isProved: full, failureBound: bound,
        method: "cross-entropy: max rank modulo \(usedPrimes.count) prime(s) in [2^61, 2^62) at a random t for t = e^(1/\(softmax.denominator)) (a proved lower bound; "
          + (full ? "full rank, so exact)" : bound.map { "exact unless a minor vanishes at t: probability ≤ \(formatProbability($0)), Schwartz–Zippel in t with degree ≤ \(p)·\(degree))" }
             ?? "the Schwartz–Zippel bound p·Δ/q with Δ = \(degree) is vacuous here)"),
        certificate: nil, seconds: seconds[kind] ?? 0)
      result.crossEntropyWitness = witness
      return result
    }
  }

  /// n·H_f and n·H_L (those in `kinds`) modulo the builder's prime, in Montgomery form, with
  /// the softmax values `probabilities` (π_ic residues, per sample) and targets `targets`
  /// (Montgomery form): n·H_f = Σ_i Σ_c (π_ic − y_ic) ∇²f_c(x_i), n·H_L = Σ_i J_iᵀ A_i J_i + n·H_f
  /// with A_i = diag π_i − π_i π_iᵀ.
  public static func scaledHessians(builder: HessianBuilder<MontgomeryField>, field: MontgomeryField,
                                    probabilities pi: [[UInt64]], targets y: [[UInt64]],
                                    kinds: [HessianKind]) -> [HessianKind: ScalarMatrix<UInt64>] {
    let n = pi.count, k = pi.first?.count ?? 0
    let piM = pi.map { $0.map { field.fromResidue($0) } }
    let residuals = (0..<n).map { i in (0..<k).map { c in field.subtract(piM[i][c], y[i][c]) } }
    let hf = builder.functionalScaled(residuals: residuals)
    var out: [HessianKind: ScalarMatrix<UInt64>] = [:]
    if kinds.contains(.functional) { out[.functional] = hf }
    if kinds.contains(.loss) {
      var hl = hf
      let jac = builder.jacobian()
      let p = jac.cols
      for i in 0..<n {
        // B = A_i J_i with A_i = diag π_i − π_i π_iᵀ, then n·H_L += J_iᵀ B.
        var b = [UInt64](repeating: 0, count: k * p)
        var piJ = [UInt64](repeating: 0, count: p)  // π_iᵀ J_i
        for c in 0..<k {
          for j in 0..<p { piJ[j] = field.add(piJ[j], field.multiply(piM[i][c], jac.storage[(i * k + c) * p + j])) }
        }
        for c in 0..<k {
          for j in 0..<p {
            b[c * p + j] = field.multiply(piM[i][c], field.subtract(jac.storage[(i * k + c) * p + j], piJ[j]))
          }
        }
        for c in 0..<k {
          for a in 0..<p {
            let x = jac.storage[(i * k + c) * p + a]
            if x == 0 { continue }
            for j in 0..<p { hl.storage[a * p + j] = field.add(hl.storage[a * p + j], field.multiply(x, b[c * p + j])) }
          }
        }
      }
      out[.loss] = hl
    }
    return out
  }

  /// Schwartz–Zippel in t for one evaluation modulo `prime`: the probability that the rank at a
  /// uniformly random usable t is below the rank at the point is ≤ p·Δ/(q − 1 − Σd_i)
  /// (an r × r minor, r ≤ p, cleared of Π S_i, has degree ≤ rΔ; Δ = Σd_i for H_f, 2Σd_i for
  /// H_L; at most Σd_i values of t are unusable), given that q does not divide the minor's
  /// content. Nil when that bound is ≥ 1 (vacuous).
  public static func failureBound(kind: HessianKind, parameters p: Int, softmax: SoftmaxExponents, prime: UInt64) -> Rational? {
    let degree = kind == .loss ? softmax.degreeSum + softmax.degreeSum : softmax.degreeSum
    let usable = BigInt(prime - 1) - softmax.degreeSum
    let numerator = BigInt(p) * degree
    guard usable.signum > 0, numerator < usable, let q = try? Rational(numerator, usable) else { return nil }
    return q
  }

  /// A display value of a small rational (never used in exact code).
  static func double(_ q: Rational) -> Double {
    (Double(q.numerator.description) ?? 0) / (Double(q.denominator.description) ?? 1)
  }

  static func formatProbability(_ x: Double) -> String {
    x == 0 ? "0" : String(describing: x)
  }
}
