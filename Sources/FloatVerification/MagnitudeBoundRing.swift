import Exact
import FloatCheck

/// Upper bounds on magnitudes as a `ScalarRing`: running a generic builder over it bounds
/// every entry of the builder's result from above, in absolute value, rigorously.
///
/// An element U stands for any real x with |x| ≤ U (U ≥ 0, a double or +∞). Then
/// |x + y|, |x − y| ≤ U + V, |x·y| ≤ U·V and |−x| ≤ U; each double operation rounds to
/// nearest, so its result is moved up one ulp (x ≤ fl(x).nextUp for x ≥ 0), except where an
/// operand is 0 and the result is exact. `element(q)` is the smallest double ≥ |q|. By
/// induction over the operations, every value the builder computes bounds the magnitude of
/// the value it computes over Q from inputs within the given bounds. Used only to bound the
/// error of a reference matrix (`CrossEntropyVerification`), never for a rank.
struct MagnitudeBoundRing: ScalarRing {
  var zero: Double { 0 }
  var one: Double { 1 }
  func add(_ a: Double, _ b: Double) -> Double {
    if a == 0 { return b }
    if b == 0 { return a }
    return (a + b).nextUp
  }
  func subtract(_ a: Double, _ b: Double) -> Double { add(a, b) }
  func multiply(_ a: Double, _ b: Double) -> Double {
    if a == 0 || b == 0 { return 0 }
    if a == 1 { return b }
    if b == 1 { return a }
    return (a * b).nextUp
  }
  func negate(_ a: Double) -> Double { a }
  func isZero(_ a: Double) -> Bool { a == 0 }
  func element(_ q: Rational) throws -> Double { RationalBounds.upperBound(q.magnitude) }
  func element(_ n: Int) -> Double { RationalBounds.upperBound(Rational(n).magnitude) }
}
