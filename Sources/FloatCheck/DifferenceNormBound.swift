import CGMP
import Exact

/// A rigorous upper bound on the spectral norm ‖A − B‖₂ of the difference between a float
/// matrix A and an exact rational matrix B.
///
/// Everything up to the final number is exact: each double of A is the dyadic rational it
/// is, the differences d_ij = a_ij − b_ij and the quantities below are computed as
/// `Rational`s, and the reported bound is a double u whose square is checked, exactly, to be
/// at least the rational it bounds. Two classical inequalities are used and the smaller
/// bound reported:
/// * ‖D‖₂ ≤ ‖D‖_F = √(Σ d_ij²) (Golub & Van Loan, *Matrix Computations*, 4th ed., §2.3.2);
/// * ‖D‖₂ ≤ √(‖D‖₁ ‖D‖_∞), with ‖D‖₁ the largest column sum and ‖D‖_∞ the largest row
///   sum of |d_ij| (ibid., Corollary 2.3.2);
/// * Collatz–Wielandt: let U ≥ |D| entrywise (each |d_ij| rounded up to a double). Then
///   ‖D‖₂ ≤ ‖U‖₂ (‖D‖₂ = max xᵀDy over unit x, y ≤ |x|ᵀU|y|), ‖U‖₂² = ρ(UᵀU), and for the
///   non-negative matrix UᵀU and any positive vector v, ρ(UᵀU) ≤ max_i (UᵀUv)_i / v_i
///   (Horn & Johnson, *Matrix Analysis*, 2nd ed., Theorem 8.1.26). v comes from a few float
///   power iterations, which makes this bound nearly ‖U‖₂; UᵀUv and the ratios are
///   evaluated exactly, so the bound does not depend on how good v is, only its tightness does.
/// Weyl's inequality then gives |σ_i(A) − σ_i(B)| ≤ ‖A − B‖₂ ≤ `upperBound` for every i.
public struct DifferenceNormBound: Sendable, Equatable {
  /// A double with ‖A − B‖₂ ≤ `upperBound`, rigorously.
  public var upperBound: Double
  /// Exactly ‖A − B‖_F².
  public var frobeniusSquared: Rational
  /// Exactly ‖A − B‖₁ (largest absolute column sum).
  public var oneNorm: Rational
  /// Exactly ‖A − B‖_∞ (largest absolute row sum).
  public var infinityNorm: Rational
  /// Exactly max |a_ij − b_ij|.
  public var maxEntryDifference: Rational
  /// The bound from each inequality: "Frobenius", "sqrt(‖·‖₁‖·‖∞)", "Collatz–Wielandt".
  public var bounds: [String: Double]
  /// Which inequality gave `upperBound` (the smallest of `bounds`).
  public var method: String

  /// The bound for the rows×cols float matrix `float` (C order) against the exact matrix
  /// whose entry (i, j) is `exact(i, j)`. A NaN or infinity in `float` is an error.
  public init(float: [Double], rows: Int, cols: Int,
              exact: (_ row: Int, _ col: Int) throws -> Rational) throws {
    let product = rows.multipliedReportingOverflow(by: cols)
    guard rows >= 0, cols >= 0, !product.overflow, product.partialValue == float.count else {
      throw SpectrumError.shapeMismatch(rows: rows, cols: cols, count: float.count)
    }
    var frobenius = Rational()
    var rowSums: [Rational] = []
    var columnSums = [Rational](repeating: Rational(), count: cols)
    var maxEntry = Rational()
    // U: |d_ij| rounded up to doubles, for the Collatz–Wielandt bound.
    var upper = [Double](repeating: 0, count: float.count)
    for i in 0..<rows {
      var rowSum = Rational()
      for j in 0..<cols {
        let a = float[i * cols + j]
        guard a.isFinite else { throw SpectrumError.nonFinite(row: i, col: j, value: a) }
        let d = (try Rational(exactly: a) - exact(i, j)).magnitude
        guard !d.isZero else { continue }
        frobenius += d * d
        rowSum += d
        columnSums[j] += d
        if maxEntry < d { maxEntry = d }
        upper[i * cols + j] = RationalBounds.upperBound(d)
      }
      rowSums.append(rowSum)
    }
    let infinity = rowSums.max() ?? Rational()
    let one = columnSums.max() ?? Rational()
    let bounds = [
      "Frobenius": RationalBounds.squareRootUpperBound(frobenius),
      "sqrt(‖·‖₁‖·‖∞)": RationalBounds.squareRootUpperBound(one * infinity),
      "Collatz–Wielandt": DifferenceNormBound.collatzWielandt(upper, rows: rows, cols: cols),
    ]
    let best = bounds.min { ($0.value, $0.key) < ($1.value, $1.key) }!
    self.frobeniusSquared = frobenius
    self.oneNorm = one
    self.infinityNorm = infinity
    self.maxEntryDifference = maxEntry
    self.bounds = bounds
    self.upperBound = best.value
    self.method = best.key
  }

  /// √(max_i (UᵀUv)_i / v_i), rounded up, for a positive v near the Perron vector of UᵀU:
  /// an upper bound on ‖U‖₂ for the non-negative matrix U (rows×cols, C order).
  static func collatzWielandt(_ u: [Double], rows: Int, cols: Int, iterations: Int = 30) -> Double {
    guard rows > 0, cols > 0, u.contains(where: { $0 > 0 }) else { return 0 }
    guard u.allSatisfy({ $0.isFinite }) else { return .infinity }
    // Float power iteration on UᵀU (only to choose v; any positive v gives a valid bound).
    let scale = u.max()!
    var v = [Double](repeating: 1, count: cols)
    for _ in 0..<iterations {
      var w = [Double](repeating: 0, count: rows)
      for i in 0..<rows {
        var acc = 0.0
        for j in 0..<cols { acc += (u[i * cols + j] / scale) * v[j] }
        w[i] = acc
      }
      var next = [Double](repeating: 0, count: cols)
      for i in 0..<rows where w[i] != 0 {
        for j in 0..<cols { next[j] += (u[i * cols + j] / scale) * w[i] }
      }
      guard let m = next.max(), m > 0, m.isFinite else { break }
      v = next.map { $0 / m }
    }
    // Strictly positive v, each a double (so an exact dyadic rational).
    let floor = 0x1p-30
    v = v.map { max($0.isFinite ? $0 : 1, floor) }
    let exactV = v.map { try! Rational(exactly: $0) }
    var w = [Rational](repeating: Rational(), count: rows)
    for i in 0..<rows {
      var acc = Rational()
      for j in 0..<cols where u[i * cols + j] != 0 { acc += try! Rational(exactly: u[i * cols + j]) * exactV[j] }
      w[i] = acc
    }
    var ratioMax = Rational()
    for j in 0..<cols {
      var acc = Rational()
      for i in 0..<rows where u[i * cols + j] != 0 && !w[i].isZero { acc += try! Rational(exactly: u[i * cols + j]) * w[i] }
      let ratio = acc / exactV[j]  // v_j ≥ 2^-30 > 0
      if ratioMax < ratio { ratioMax = ratio }
    }
    return RationalBounds.squareRootUpperBound(ratioMax)
  }

  /// The bound for a float matrix against an exact matrix given as C-order rationals.
  public init(float: [Double], exact: [Rational], rows: Int, cols: Int) throws {
    guard exact.count == float.count else {
      throw SpectrumError.shapeMismatch(rows: rows, cols: cols, count: exact.count)
    }
    try self.init(float: float, rows: rows, cols: cols) { i, j in exact[i * cols + j] }
  }
}

/// Doubles that bound rationals from above, verified exactly.
public enum RationalBounds {
  /// An approximation of q (GMP's `mpq_get_d`, which truncates toward zero).
  static func approximate(_ q: Rational) -> Double {
    q.withMPQ { __gmpq_get_d($0) }
  }

  /// The smallest double ≥ q (+∞ when q exceeds the largest double).
  public static func upperBound(_ q: Rational) -> Double {
    var a = approximate(q)
    guard a.isFinite else { return a > 0 ? .infinity : -Double.greatestFiniteMagnitude }
    // mpq_get_d truncates toward zero, so a is within one ulp below q or equal to it.
    while try! Rational(exactly: a) < q {
      a = a.nextUp
      if a.isInfinite { return .infinity }
    }
    return a
  }

  /// A double u ≥ 0 with u² ≥ q, checked exactly, and within a few ulps of √q (+∞ when √q
  /// exceeds the largest double). q must be ≥ 0; a negative q gives 0.
  public static func squareRootUpperBound(_ q: Rational) -> Double {
    guard q.signum > 0 else { return 0 }
    // Scale q by 4^-k into [1/4, 4] (roughly) so the double approximation keeps full
    // precision even when q is beyond the double range: √q = 2^k √(q / 4^k).
    let e = q.numerator.bitWidth - q.denominator.bitWidth
    let k = e / 2
    let scaled: Rational
    if k >= 0 {
      scaled = try! Rational(q.numerator, q.denominator * BigInt(2).power(2 * k))
    } else {
      scaled = try! Rational(q.numerator * BigInt(2).power(-2 * k), q.denominator)
    }
    var u = Double(sign: .plus, exponent: k, significand: approximate(scaled).squareRoot())
    guard u.isFinite else { return .infinity }
    if u == 0 { u = .leastNonzeroMagnitude }
    var step = u.ulp
    while true {
      let r = try! Rational(exactly: u)
      if !(r * r < q) { return u }
      u += step
      step *= 2
      if !u.isFinite { return .infinity }
    }
  }
}
