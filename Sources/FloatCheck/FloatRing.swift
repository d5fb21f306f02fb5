import Exact

/// IEEE 754 double-precision arithmetic as a `ScalarRing`: the generic Hessian builders run
/// over it to produce the float64 Hessian a PyTorch or JAX script would compute, for
/// comparison with the exact one.
///
/// This is the only floating-point ring in the project, and it is never used on an exact
/// path: its results are floats to be *verified*, never facts. Every operation rounds to
/// nearest (ties to even); `element(_: Rational)` is the nearest double (`Double(nearest:)`),
/// which is exact for the dyadic rationals that came from float weights and data, and rounds
/// constants such as an average-pooling weight 1/3 the way a float program stores them.
/// Overflow gives ±infinity; `isZero` is true for ±0 only.
public struct FloatRing: ScalarRing {
  /// Double-precision floating point.
  public init() {}
  public var zero: Double { 0 }
  public var one: Double { 1 }
  @inlinable public func add(_ a: Double, _ b: Double) -> Double { a + b }
  @inlinable public func subtract(_ a: Double, _ b: Double) -> Double { a - b }
  @inlinable public func multiply(_ a: Double, _ b: Double) -> Double { a * b }
  @inlinable public func negate(_ a: Double) -> Double { -a }
  @inlinable public func isZero(_ a: Double) -> Bool { a == 0 }
  /// The nearest double (never throws).
  public func element(_ q: Rational) throws -> Double { Double(nearest: q) }
  /// The nearest double (exact for |n| ≤ 2^53).
  public func element(_ n: Int) -> Double { Double(n) }
}
