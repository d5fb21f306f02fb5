import Exact

/// One shared exact zero: constants share its box instead of allocating three zeros each.
/// (Rational is copy-on-write, so sharing the box is safe.)
@usableFromInline let sharedZero = Rational()

/// An exact hyper-dual number a + b·ε1 + c·ε2 + d·ε1ε2 over the rationals, with
/// ε1² = ε2² = 0 and ε1ε2 = ε2ε1 ≠ 0.
///
/// Evaluating a function g at x + ε1·u + ε2·v gives g(x) + ε1·g′(x)u + ε2·g′(x)v +
/// ε1ε2·uᵀg″(x)v exactly: the ε1ε2 part of a seeded evaluation is an exact second derivative.
/// Arithmetic skips zero parts, so constants cost one rational operation.
public struct HyperDual: Sendable, Equatable, CustomStringConvertible {
  /// The real part a.
  public var value: Rational
  /// The ε1 part b.
  public var e1: Rational
  /// The ε2 part c.
  public var e2: Rational
  /// The ε1ε2 part d.
  public var e12: Rational

  /// a + b·ε1 + c·ε2 + d·ε1ε2.
  public init(_ value: Rational, e1: Rational = sharedZero, e2: Rational = sharedZero, e12: Rational = sharedZero) {
    self.value = value
    self.e1 = e1
    self.e2 = e2
    self.e12 = e12
  }

  /// True when the ε parts are all zero.
  @inlinable public var isConstant: Bool { e1.isZero && e2.isZero && e12.isZero }

  /// "a + b·ε1 + c·ε2 + d·ε1ε2".
  public var description: String { "\(value) + \(e1)·ε1 + \(e2)·ε2 + \(e12)·ε1ε2" }

  /// Sum, part by part.
  public static func + (x: HyperDual, y: HyperDual) -> HyperDual {
    HyperDual(x.value + y.value, e1: sum(x.e1, y.e1), e2: sum(x.e2, y.e2), e12: sum(x.e12, y.e12))
  }

  /// Difference, part by part.
  public static func - (x: HyperDual, y: HyperDual) -> HyperDual {
    HyperDual(x.value - y.value, e1: sum(x.e1, -y.e1), e2: sum(x.e2, -y.e2), e12: sum(x.e12, -y.e12))
  }

  /// Negation.
  public static prefix func - (x: HyperDual) -> HyperDual {
    HyperDual(-x.value, e1: -x.e1, e2: -x.e2, e12: -x.e12)
  }

  /// Product: (a + bε1 + cε2 + dε1ε2)(a′ + b′ε1 + c′ε2 + d′ε1ε2)
  /// = aa′ + (ab′ + ba′)ε1 + (ac′ + ca′)ε2 + (ad′ + bc′ + cb′ + da′)ε1ε2.
  public static func * (x: HyperDual, y: HyperDual) -> HyperDual {
    var r = HyperDual(x.value * y.value)
    r.e1 = dot2(x.value, y.e1, x.e1, y.value)
    r.e2 = dot2(x.value, y.e2, x.e2, y.value)
    var d = dot2(x.value, y.e12, x.e12, y.value)
    if !x.e1.isZero, !y.e2.isZero { d = sum(d, x.e1 * y.e2) }
    if !x.e2.isZero, !y.e1.isZero { d = sum(d, x.e2 * y.e1) }
    r.e12 = d
    return r
  }

  /// Sum in place.
  public static func += (x: inout HyperDual, y: HyperDual) {
    x.value += y.value
    addInPlace(&x.e1, y.e1)
    addInPlace(&x.e2, y.e2)
    addInPlace(&x.e12, y.e12)
  }

  /// Every part multiplied by the rational `r`.
  public func scaled(by r: Rational) -> HyperDual {
    HyperDual(value * r, e1: product(e1, r), e2: product(e2, r), e12: product(e12, r))
  }

  // MARK: zero-skipping helpers

  @inline(__always) static func sum(_ x: Rational, _ y: Rational) -> Rational {
    if y.isZero { return x }
    if x.isZero { return y }
    return x + y
  }

  @inline(__always) static func addInPlace(_ x: inout Rational, _ y: Rational) {
    if y.isZero { return }
    if x.isZero { x = y } else { x += y }
  }

  @inline(__always) func product(_ x: Rational, _ r: Rational) -> Rational {
    x.isZero ? sharedZero : x * r
  }

  /// u·v + w·z, skipping products with a zero factor.
  @inline(__always) static func dot2(_ u: Rational, _ v: Rational, _ w: Rational, _ z: Rational) -> Rational {
    let left = u.isZero || v.isZero
    let right = w.isZero || z.isZero
    switch (left, right) {
    case (true, true): return sharedZero
    case (false, true): return u * v
    case (true, false): return w * z
    case (false, false): return u * v + w * z
    }
  }
}
