/// The arithmetic a generic exact algorithm needs, as a context object.
///
/// A context (rather than operators on the element type) lets one generic builder run over
/// the rationals, the integers, a prime field whose modulus is chosen at run time, or —
/// outside the exact paths — doubles.
public protocol ScalarRing: Sendable {
  /// The element type.
  associatedtype Element: Sendable
  /// 0.
  var zero: Element { get }
  /// 1.
  var one: Element { get }
  /// a + b.
  func add(_ a: Element, _ b: Element) -> Element
  /// a − b.
  func subtract(_ a: Element, _ b: Element) -> Element
  /// a · b.
  func multiply(_ a: Element, _ b: Element) -> Element
  /// −a.
  func negate(_ a: Element) -> Element
  /// a == 0.
  func isZero(_ a: Element) -> Bool
  /// The image of an exact rational; throws when it has none (a denominator divisible by p,
  /// a non-integer in the integers).
  func element(_ q: Rational) throws -> Element
  /// The image of a machine integer.
  func element(_ n: Int) -> Element
}

/// A rational has no image in the requested ring.
public struct NoImageError: Error, CustomStringConvertible {
  /// The value that had no image.
  public let value: String
  /// The ring it was mapped into.
  public let ring: String
  /// An error for `value` having no image in `ring`.
  public init(value: String, ring: String) {
    self.value = value
    self.ring = ring
  }
  /// One line for the user.
  public var description: String { "\(value) has no image in \(ring)" }
}

/// The field of rationals Q.
public struct RationalRing: ScalarRing {
  /// Q.
  public init() {}
  public var zero: Rational { Rational() }
  public var one: Rational { Rational(1) }
  public func add(_ a: Rational, _ b: Rational) -> Rational { a + b }
  public func subtract(_ a: Rational, _ b: Rational) -> Rational { a - b }
  public func multiply(_ a: Rational, _ b: Rational) -> Rational { a * b }
  public func negate(_ a: Rational) -> Rational { -a }
  public func isZero(_ a: Rational) -> Bool { a.isZero }
  public func element(_ q: Rational) throws -> Rational { q }
  public func element(_ n: Int) -> Rational { Rational(n) }
}

/// The ring of integers Z.
public struct IntegerRing: ScalarRing {
  /// Z.
  public init() {}
  public var zero: BigInt { BigInt() }
  public var one: BigInt { BigInt(1) }
  public func add(_ a: BigInt, _ b: BigInt) -> BigInt { a + b }
  public func subtract(_ a: BigInt, _ b: BigInt) -> BigInt { a - b }
  public func multiply(_ a: BigInt, _ b: BigInt) -> BigInt { a * b }
  public func negate(_ a: BigInt) -> BigInt { -a }
  public func isZero(_ a: BigInt) -> Bool { a.isZero }
  public func element(_ q: Rational) throws -> BigInt {
    guard q.isInteger else { throw NoImageError(value: q.description, ring: "Z") }
    return q.numerator
  }
  public func element(_ n: Int) -> BigInt { BigInt(n) }
}

extension PrimeField: ScalarRing {
  public var zero: UInt64 { 0 }
  public var one: UInt64 { 1 }
  @inlinable public func isZero(_ a: UInt64) -> Bool { a == 0 }
  public func element(_ q: Rational) throws -> UInt64 {
    guard let r = q.residue(modulo: p) else { throw NoImageError(value: q.description, ring: description) }
    return r
  }
}
