import ConvNet
import Exact
import ExactLinearAlgebra
import FloatCheck
import Foundation
import Hessian

/// Cross-entropy (PyTorch `F.cross_entropy`, optax `softmax_cross_entropy`): the verification seam.
///
/// The Hessians depend on π_i = softmax(f(x_i)), irrational at a rational point, so:
/// * the float64 Hessian hessrank builds evaluates the softmax in floating point (max-shifted
///   `exp`), as a float program does;
/// * the reference is H at dyadic probabilities π̃ within ε of π (`SoftmaxEnclosure`, proved by
///   integer arithmetic), built exactly over Q, with a rigorous bound on ‖H − H_ref‖₂:
///   H_o: ‖(1/n) Σ J_iᵀ(A_i − Ã_i)J_i‖₂ ≤ 3εK‖J‖_F²/n (every entry of A_i − Ã_i is at most
///   3ε, A = diag π − ππᵀ); H_f: ‖(1/n) F(π − π̃)‖₂ ≤ ‖U‖_∞/n where U ≥ |F(e)| entrywise for
///   every |e_ic| ≤ ε is the functional builder run over `MagnitudeBoundRing` (U is symmetric
///   and non-negative, so ‖U‖₂ ≤ ‖U‖_∞);
/// * r* is `hessrank rank --loss ce`'s: H_o through C·J (proved, proofs/cross-entropy.md, Lemma 1),
///   H_f and H_L modulo primes at a random t for t = e^{1/D} (a proved lower bound, exact with a
///   stated probability).
struct CrossEntropyVerification: VerificationLoss {
  /// Fractional bits of the softmax enclosure (ε ≈ 2^-120).
  static let enclosureBits = 128

  func check(_ instance: NetworkInstance) throws -> [[Rational]] {
    guard instance.plan.outputSize >= 2 else {
      throw LossError("cross-entropy needs at least 2 outputs (the last layer dense(K) with K ≥ 2)")
    }
    return try CrossEntropyTargets.targets(instance)
  }

  func floatScaledHessian(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind) throws -> ScalarMatrix<Double> {
    let y = try check(instance).map { $0.map(Double.init(nearest:)) }
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: FloatRing())
    let n = instance.sampleCount, k = instance.plan.outputSize, p = instance.plan.parameterCount
    let pi = (0..<n).map { i -> [Double] in
      let z = builder.network.forward(sample: i).output
      let top = z.max()!
      let e = z.map { Foundation.exp($0 - top) }
      let s = e.reduce(0, +)
      return e.map { $0 / s }
    }
    var out = ScalarMatrix<Double>(rows: p, cols: p, storage: [Double](repeating: 0, count: p * p))
    if kind != .functional {
      let jac = builder.jacobian()
      for i in 0..<n {
        // n·H_o += J_iᵀ B with B = (diag π_i − π_i π_iᵀ) J_i.
        var piJ = [Double](repeating: 0, count: p)
        for c in 0..<k { for j in 0..<p { piJ[j] += pi[i][c] * jac.storage[(i * k + c) * p + j] } }
        for c in 0..<k {
          let row = (i * k + c) * p
          let b = (0..<p).map { j in pi[i][c] * (jac.storage[row + j] - piJ[j]) }
          for a in 0..<p {
            let x = jac.storage[row + a]
            if x == 0 { continue }
            for j in 0..<p { out.storage[a * p + j] += x * b[j] }
          }
        }
      }
    }
    if kind != .outer {
      let residuals = (0..<n).map { i in (0..<k).map { pi[i][$0] - y[i][$0] } }
      let hf = builder.functionalScaled(residuals: residuals)
      for e in 0..<(p * p) { out.storage[e] += hf.storage[e] }
    }
    return out
  }

  func reference(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind,
                 progress: (String) -> Void) throws -> ReferenceHessian {
    let y = try check(instance)
    let n = instance.sampleCount, k = instance.plan.outputSize, p = instance.plan.parameterCount
    progress("softmax enclosure and exact Hessian at π̃ over Q")
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    let enclosure = SoftmaxEnclosure(logits: (0..<n).map { builder.network.forward(sample: $0).output },
                                     bits: Self.enclosureBits)
    let eps = enclosure.radius
    var scaled = [Rational](repeating: Rational(), count: p * p)
    var error = Rational()
    if kind != .functional {
      let jac = builder.jacobian()
      let (ho, frobenius) = Self.weightedGram(jac, probabilities: enclosure.centres, bits: enclosure.bits, outputs: k)
      scaled = ho
      error += Rational(3 * k) * eps * frobenius
    }
    if kind != .outer {
      let residuals = (0..<n).map { i in (0..<k).map { enclosure.centres[i][$0] - y[i][$0] } }
      let hf = builder.functionalScaled(residuals: residuals)
      for e in 0..<(p * p) { scaled[e] += hf.storage[e] }
      // U ≥ |F(π − π̃)| entrywise: the functional builder over magnitude bounds with |e_ic| ≤ ε.
      let magnitude = MagnitudeBoundRing()
      let bounds = try HessianBuilder(instance: instance, pattern: pattern, ring: magnitude)
      let epsilon = try magnitude.element(eps)
      let u = bounds.functionalScaled(residuals: [[Double]](repeating: [Double](repeating: epsilon, count: k), count: n))
      var rowMax = 0.0
      for a in 0..<p {
        var s = 0.0
        for j in 0..<p { s = magnitude.add(s, u.storage[a * p + j]) }
        rowMax = max(rowMax, s)
      }
      guard rowMax.isFinite else { throw LossError("the functional Hessian's error bound overflows the double range") }
      error += try Rational(exactly: rowMax)
    }
    let inv = Rational(1, n)
    return ReferenceHessian(
      entries: scaled.map { $0 * inv }, error: error * inv,
      description: "H at dyadic softmax probabilities π̃ with |π − π̃| ≤ \(FloatHessianVerification.format(RationalBounds.upperBound(eps))) (proved enclosure), exact over Q")
  }

  /// n·H_o(π̃) = Σ_i J_iᵀ(diag π̃_i − π̃_i π̃_iᵀ)J_i over Q, and ‖J‖_F², through integers:
  /// with A = dJ (d the lcm of J's denominators) and m = 2^bits π̃, n·H_o(π̃) =
  /// (2^bits · AᵀMA − VᵀV) / (2^(2·bits) d²), v_i = Σ_c m_ic a_ic.
  static func weightedGram(_ jac: ScalarMatrix<Rational>, probabilities: [[Rational]], bits: Int,
                           outputs k: Int) -> (matrix: [Rational], frobeniusSquared: Rational) {
    let rows = jac.rows, p = jac.cols, n = rows / k
    var d = BigInt(1)
    var frobenius = Rational()
    for q in jac.storage where !q.isZero {
      frobenius += q * q
      if !q.isInteger { d = BigInt.lcm(d, q.denominator) }
    }
    let scale = BigInt(2).power(bits)
    let a = jac.storage.map { $0.numerator * d.dividedExactly(by: $0.denominator) }
    let m = probabilities.map { $0.map { $0.numerator * scale.dividedExactly(by: $0.denominator) } }
    let aMatrix = IntegerMatrix(rows: rows, cols: p), weighted = IntegerMatrix(rows: rows, cols: p)
    let v = IntegerMatrix(rows: n, cols: p)
    for i in 0..<n {
      var vRow = [BigInt](repeating: BigInt(), count: p)
      for c in 0..<k {
        let r = i * k + c
        for j in 0..<p {
          let x = a[r * p + j]
          guard !x.isZero else { continue }
          x.copy(into: aMatrix.entry(r, j))
          let w = m[i][c] * x
          w.copy(into: weighted.entry(r, j))
          vRow[j] += w
        }
      }
      for j in 0..<p where !vRow[j].isZero { vRow[j].copy(into: v.entry(i, j)) }
    }
    let first = aMatrix.transposed().multiply(weighted), second = v.gram()
    let denominator = scale * scale * d * d
    var out: [Rational] = []
    out.reserveCapacity(p * p)
    for r in 0..<p {
      for c in 0..<p {
        let num = BigInt(copying: first.entry(r, c)) * scale - BigInt(copying: second.entry(r, c))
        out.append(try! Rational(num, denominator))
      }
    }
    return (out, frobenius)
  }

  func exactRank(_ instance: NetworkInstance, kind: HessianKind, reference: ReferenceHessian,
                 method: ExactRankMethod, progress: (String) -> Void) throws -> ExactRankOutcome {
    var options: HessianRankOptions
    switch method {
    case .certified: options = HessianRankOptions(kinds: [kind], method: .certified)
    case .modular(let primes): options = HessianRankOptions(kinds: [kind], method: .modular, primes: max(primes, 1))
    }
    options.loss = .crossEntropy
    let report = try HessianRanks.compute(instance, options: options, progress: progress)
    guard let r = report.result(kind) else { throw LossError("no cross-entropy rank for \(kind.symbol)") }
    let s = kind.symbol
    let statement: String
    if kind == .outer && r.isProved {
      statement = "rank(\(s)) = \(r.rank) at the point, proved: rank(C·J) over Q (\(r.method)), and rank(H_o) = rank(C·J) while every π_ic > 0 (proofs/cross-entropy.md, Lemma 1)"
    } else if r.isProved {
      statement = "rank(\(s)) = \(r.rank) at the point, proved (\(r.method))"
    } else {
      let chance = r.failureBound.map { "exact with probability ≥ 1 − \(FloatHessianVerification.format($0))" }
        ?? "the probability bound is vacuous here, so r* is only a lower bound"
      statement = "rank(\(s)) ≥ \(r.rank) at the point, a proved lower bound; \(chance) (\(r.method)); verdicts take r* = \(r.rank), and a rule reporting fewer is proved WRONG"
    }
    return ExactRankOutcome(rank: r.rank, proved: r.isProved, failureBound: r.isProved ? nil : r.failureBound,
                            proof: r.method, statement: statement)
  }
}
