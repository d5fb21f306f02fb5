import Exact

extension Double {
  /// The double nearest to the exact rational `q`, ties to even — IEEE 754's default
  /// rounding, as a correctly rounded conversion would give. ±infinity when |q| is at least
  /// 2^1024 − 2^970 (the first value that rounds beyond the largest double), ±0 when |q| is
  /// at most 2^-1075 (half the least subnormal, which ties to the even 0).
  ///
  /// Computed exactly with integers: with q = ±a/b, choose s so that N = a·2^s / b has 53
  /// significant bits before the point (s = 1074 in the subnormal range, where the spacing
  /// of doubles is 2^-1074), take the integer quotient Q and remainder R of a·2^s by b, and
  /// round Q up when 2R > b, or when 2R = b and Q is odd. The result Q'·2^-s is then exactly
  /// representable (Q' ≤ 2^53) and built without further rounding. No floating-point
  /// arithmetic touches the value before that last exact step.
  public init(nearest q: Rational) {
    let negative = q.signum < 0
    func signed(_ x: Double) -> Double { negative ? -x : x }
    guard !q.isZero else {
      self = 0
      return
    }
    let a = q.numerator.magnitude, b = q.denominator
    // 2^(la−1) ≤ a < 2^la and 2^(lb−1) ≤ b < 2^lb, so 2^(d−1) < a/b < 2^(d+1), d = la − lb.
    let d = a.bitWidth - b.bitWidth
    if d > 1025 {  // a/b > 2^1024
      self = signed(.infinity)
      return
    }
    if d < -1076 {  // a/b < 2^-1075: nearer to 0 than to the least subnormal
      self = signed(0)
      return
    }
    // Quotient and remainder of a·2^s by b (s may be negative: then b·2^−s).
    func divide(_ s: Int) -> (quotient: BigInt, remainder: BigInt, divisor: BigInt) {
      let two = BigInt(2)
      let (num, den) = s >= 0 ? (a * two.power(s), b) : (a, b * two.power(-s))
      let (quotient, remainder) = num.quotientAndRemainder(dividingBy: den)
      return (quotient, remainder, den)
    }
    let top = BigInt(1 << 53)
    // First guess: exponent d − 1, so N ∈ (2^52, 2^54); if N ≥ 2^53 the exponent is d.
    var s = 52 - (d - 1)
    var division = divide(s)
    if !(division.quotient < top) {
      s -= 1
      division = divide(s)
    }
    // Now Q ∈ [2^52, 2^53): q = (Q + R/b)·2^-s with binary exponent 52 − s.
    if 52 - s < -1022 {
      // Subnormal range: the spacing is 2^-1074 whatever the exponent.
      s = 1074
      division = divide(s)
    }
    var significand = division.quotient
    let twiceRemainder = division.remainder + division.remainder
    if division.divisor < twiceRemainder
      || (twiceRemainder == division.divisor && significand.residue(modulo: 2) == 1) {
      significand += BigInt(1)
    }
    // significand ≤ 2^53: exact as a double; scaling by 2^-s is exact or overflows to ∞.
    let m = Double(significand.intValue!)
    self = signed(Double(sign: .plus, exponent: -s, significand: m))
  }
}
