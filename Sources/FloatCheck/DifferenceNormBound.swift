import CGMP
import Exact

/// A rigorous upper bound on the spectral norm ‖A − B‖₂ of the difference between a float
/// matrix A and an exact rational matrix B.
///
/// Everything up to the final number is exact: each double of A is the dyadic rational it
/// is, the differences d_ij = a_ij − b_ij and the quantities below are computed as
/// `Rational`s, and the reported bound is a double u whose square is checked, exactly, to be
/// at least the rational it bounds. Two classical inequalities are used and the smaller
/// bound reported (Golub & Van Loan, *Matrix Computations*, 4th ed., §2.3.2):
/// * ‖D‖₂ ≤ ‖D‖_F = √(Σ d_ij²);
/// * ‖D‖₂ ≤ √(‖D‖₁ ‖D‖_∞), with ‖D‖₁ the largest column sum and ‖D‖_∞ the largest row
///   sum of |d_ij|.
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
  /// Which inequality gave `upperBound`: "Frobenius" or "sqrt(‖·‖₁‖·‖∞)".
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
    for i in 0..<rows {
      var rowSum = Rational()
      for j in 0..<cols {
        let a = float[i * cols + j]
        guard a.isFinite else { throw SpectrumError.nonFinite(row: i, col: j, value: a) }
        let d = (try Rational(exactly: a) - exact(i, j)).magnitude
        frobenius += d * d
        rowSum += d
        columnSums[j] += d
        if maxEntry < d { maxEntry = d }
      }
      rowSums.append(rowSum)
    }
    let infinity = rowSums.max() ?? Rational()
    let one = columnSums.max() ?? Rational()
    let viaFrobenius = RationalBounds.squareRootUpperBound(frobenius)
    let viaHolder = RationalBounds.squareRootUpperBound(one * infinity)
    self.frobeniusSquared = frobenius
    self.oneNorm = one
    self.infinityNorm = infinity
    self.maxEntryDifference = maxEntry
    if viaHolder < viaFrobenius {
      self.upperBound = viaHolder
      self.method = "sqrt(‖·‖₁‖·‖∞)"
    } else {
      self.upperBound = viaFrobenius
      self.method = "Frobenius"
    }
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
