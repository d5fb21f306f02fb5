import Exact

/// Rigorous enclosures of the softmax probabilities of exact rational logits.
///
/// π_ic = exp(z_ic − m_i) / Σ_k exp(z_ik − m_i) (m_i = max_k z_ik) is irrational at a rational
/// point, so a float cross-entropy Hessian cannot be compared with an exact matrix. This type
/// gives dyadic centres π̃_ic with |π_ic − π̃_ic| ≤ `radius` for every sample and class, proved
/// by integer arithmetic only: every exp(−u) is enclosed by alternating Taylor partial sums of
/// exp(−u/2^s) (u/2^s ≤ 1/2, so the terms decrease and consecutive partial sums bracket the
/// value), each term rounded outward in fixed point with `bits` fractional bits, then squared s
/// times with outward rounding. No floating point is involved.
public struct SoftmaxEnclosure: Sendable {
  /// Fractional bits of the fixed point (the centres are multiples of 2^-bits).
  public let bits: Int
  /// π̃_ic, per sample and class.
  public let centres: [[Rational]]
  /// ε with |π_ic − π̃_ic| ≤ ε for every i, c.
  public let radius: Rational

  /// Encloses softmax(z_i) for every row z_i of `logits`.
  public init(logits: [[Rational]], bits: Int = 128) {
    self.bits = bits
    let one = BigInt(2).power(bits)
    var centres: [[Rational]] = []
    var widest = BigInt(0)
    for row in logits {
      let top = row.max()!
      let exps = row.map { Self.expMinus(top - $0, bits: bits) }
      let lowSum = exps.reduce(BigInt(0)) { $0 + $1.lo }, highSum = exps.reduce(BigInt(0)) { $0 + $1.hi }
      var centreRow: [Rational] = []
      for e in exps {
        // π ∈ [lo/Σhi, hi/Σlo]; Σlo ≥ 2^bits (the largest logit's term is exactly 1).
        let pLow = (e.lo * one).quotientAndRemainder(dividingBy: highSum).quotient
        let pHigh = Self.ceilDiv(e.hi * one, lowSum)
        let mid = (pLow + pHigh).quotientAndRemainder(dividingBy: BigInt(2)).quotient
        let width = max(pHigh - mid, mid - pLow)
        if widest < width { widest = width }
        centreRow.append(try! Rational(mid, one))
      }
      centres.append(centreRow)
    }
    self.centres = centres
    radius = try! Rational(widest, one)
  }

  /// ⌈a / b⌉ for a ≥ 0, b > 0.
  static func ceilDiv(_ a: BigInt, _ b: BigInt) -> BigInt {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r.isZero ? q : q + BigInt(1)
  }

  /// ⌊q · 2^bits⌋ for q ≥ 0.
  static func floorScaled(_ q: Rational, bits: Int) -> BigInt {
    (q.numerator * BigInt(2).power(bits)).quotientAndRemainder(dividingBy: q.denominator).quotient
  }

  /// [lo, hi] · 2^-bits ∋ exp(−u), for a rational u ≥ 0.
  static func expMinus(_ u: Rational, bits: Int) -> (lo: BigInt, hi: BigInt) {
    let one = BigInt(2).power(bits)
    if u.isZero { return (one, one) }
    // exp(−u) < 2^-bits once u ≥ bits (e > 2).
    if !(u < Rational(bits)) { return (BigInt(0), BigInt(1)) }
    var s = 0
    var v = u
    let half = Rational(1, 2)
    while half < v {
      v = v * half
      s += 1
    }
    // v ∈ (0, 1/2] is enclosed by [vLow, vHigh] in fixed point; exp(−v) decreases in v.
    let vLow = floorScaled(v, bits: bits)
    let vHigh = try! Rational(vLow, one) == v ? vLow : vLow + BigInt(1)
    var lo = seriesBound(vHigh, bits: bits, upper: false)
    var hi = seriesBound(vLow, bits: bits, upper: true)
    for _ in 0..<s {
      lo = (lo * lo).quotientAndRemainder(dividingBy: one).quotient
      hi = ceilDiv(hi * hi, one)
    }
    if lo.signum < 0 { lo = BigInt(0) }
    if one < hi { hi = one }
    return (lo, hi)
  }

  /// A bound on exp(−V·2^-bits) for 0 ≤ V·2^-bits ≤ 1/2, scaled by 2^bits: the partial sums of
  /// the alternating series, terms rounded down where they are added and up where subtracted
  /// (or the reverse for `upper`), plus the next term's upper bound as the remainder.
  static func seriesBound(_ v: BigInt, bits: Int, upper: Bool) -> BigInt {
    let one = BigInt(2).power(bits)
    var termLow = one, termHigh = one
    var sum = one
    var j = 1
    while true {
      termLow = (termLow * v).quotientAndRemainder(dividingBy: one * BigInt(j)).quotient
      termHigh = ceilDiv(termHigh * v, one * BigInt(j))
      if termHigh <= BigInt(1) || j > 200 {
        // |remainder after term j − 1| ≤ t_j ≤ termHigh.
        return upper ? sum + termHigh : sum - termHigh
      }
      let even = j % 2 == 0
      // Added terms: low for the lower bound, high for the upper; subtracted: the reverse.
      if even { sum += upper ? termHigh : termLow } else { sum -= upper ? termLow : termHigh }
      j += 1
    }
  }
}
