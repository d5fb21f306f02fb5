import CGMP

#if canImport(Glibc)
  import Glibc
#endif

/// Owns one canonical GMP rational at a stable address.
@usableFromInline
final class _MPQBox: @unchecked Sendable {
  // Safe to share: a box is mutated only while uniquely referenced (copy-on-write).
  @usableFromInline let ptr: UnsafeMutablePointer<__mpq_struct>

  @inlinable init() {
    ptr = .allocate(capacity: 1)
    __gmpq_init(ptr)
  }

  @inlinable init(copying other: _MPQBox) {
    ptr = .allocate(capacity: 1)
    __gmpq_init(ptr)
    __gmpq_set(ptr, other.ptr)
  }

  deinit {
    __gmpq_clear(ptr)
    ptr.deallocate()
  }
}

/// Errors from building exact numbers out of text or floating-point values.
public enum ExactNumberError: Error, Equatable, CustomStringConvertible {
  /// The text is not an integer, fraction or decimal.
  case notANumber(String)
  /// A fraction with denominator zero.
  case zeroDenominator(String)
  /// NaN or an infinity has no exact rational value.
  case notFinite(String)
  /// An exponent too large to expand exactly.
  case exponentTooLarge(String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .notANumber(let s): return "'\(s)' is not a number (expected an integer, a fraction like -7/12, or a decimal like 0.125 or 1e-3)"
    case .zeroDenominator(let s): return "'\(s)' has a zero denominator"
    case .notFinite(let s): return "\(s) is not finite and has no exact rational value"
    case .exponentTooLarge(let s): return "'\(s)' has an exponent too large to expand exactly (limit ±100000)"
    }
  }
}

/// An exact rational number in lowest terms with a positive denominator: a copy-on-write
/// value over a GMP `mpq_t`.
public struct Rational: Sendable {
  @usableFromInline var box: _MPQBox

  /// Zero.
  @inlinable public init() { box = _MPQBox() }

  @inlinable init(box: _MPQBox) { self.box = box }

  @inlinable static func make(_ body: (UnsafeMutablePointer<__mpq_struct>) -> Void) -> Rational {
    let b = _MPQBox()
    body(b.ptr)
    return Rational(box: b)
  }

  /// The integer `value`.
  public init(_ value: Int) {
    box = _MPQBox()
    __gmpq_set_si(box.ptr, value, 1)
  }

  /// The integer `value`.
  public init(_ value: BigInt) {
    box = _MPQBox()
    let p = box.ptr
    value.withMPZ { __gmpq_set_z(p, $0) }
  }

  /// numerator / denominator in lowest terms; throws when the denominator is 0.
  public init(_ numerator: BigInt, _ denominator: BigInt) throws {
    guard !denominator.isZero else {
      throw ExactNumberError.zeroDenominator("\(numerator)/\(denominator)")
    }
    box = _MPQBox()
    let p = box.ptr
    numerator.withMPZ { __gmpz_set(cgmp_mpq_numref(p), $0) }
    denominator.withMPZ { __gmpz_set(cgmp_mpq_denref(p), $0) }
    __gmpq_canonicalize(p)
  }

  /// numerator / denominator for machine integers; the denominator must be nonzero.
  public init(_ numerator: Int, _ denominator: Int) {
    precondition(denominator != 0, "zero denominator")
    box = _MPQBox()
    // Set through mpz so that Int.min / -1 cannot overflow; canonicalize fixes the sign.
    __gmpz_set_si(cgmp_mpq_numref(box.ptr), numerator)
    __gmpz_set_si(cgmp_mpq_denref(box.ptr), denominator)
    __gmpq_canonicalize(box.ptr)
  }

  /// Copies the value of a raw GMP rational.
  public init(copying raw: UnsafePointer<__mpq_struct>) {
    box = _MPQBox()
    __gmpq_set(box.ptr, raw)
  }

  /// Calls `body` with a read-only pointer to the GMP rational; the value stays alive meanwhile.
  @inlinable public func withMPQ<R>(_ body: (UnsafePointer<__mpq_struct>) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(UnsafePointer(box.ptr)) }
  }

  @inlinable mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&box) { box = _MPQBox(copying: box) }
  }

  /// The numerator (sign carried here).
  public var numerator: BigInt { withMPQ { q in BigInt.make { __gmpz_set($0, cgmp_mpq_numref_const(q)) } } }
  /// The denominator, always positive.
  public var denominator: BigInt { withMPQ { q in BigInt.make { __gmpz_set($0, cgmp_mpq_denref_const(q)) } } }
  /// -1, 0 or 1.
  @inlinable public var signum: Int { Int(withMPQ { cgmp_mpq_sgn($0) }) }
  /// True when the value is 0.
  @inlinable public var isZero: Bool { signum == 0 }
  /// True when the denominator is 1.
  public var isInteger: Bool { withMPQ { __gmpz_cmp_ui(cgmp_mpq_denref_const($0), 1) == 0 } }
  /// |self|.
  public var magnitude: Rational { withMPQ { a in Rational.make { __gmpq_abs($0, a) } } }

  /// 1/self; nil for 0.
  public var reciprocal: Rational? {
    guard !isZero else { return nil }
    return withMPQ { a in Rational.make { __gmpq_inv($0, a) } }
  }

  /// self / d, or nil when d is 0.
  public func divided(by d: Rational) -> Rational? {
    guard !d.isZero else { return nil }
    return withMPQ { a in d.withMPQ { b in Rational.make { __gmpq_div($0, a, b) } } }
  }

  /// The residue of numerator · denominator⁻¹ modulo the prime `p`, or nil when p divides
  /// the denominator.
  public func residue(modulo p: UInt64) -> UInt64? {
    let field = PrimeField(unchecked: p)
    let d = denominator.residue(modulo: p)
    guard d != 0 else { return nil }
    return field.multiply(numerator.residue(modulo: p), field.inverse(d)!)
  }

  /// "n" or "n/d".
  public var description: String {
    withMPQ { p in
      guard let cstr = __gmpq_get_str(nil, 10, p) else { return "0" }
      defer { free(cstr) }
      return String(cString: cstr)
    }
  }
}

extension Rational: ExpressibleByIntegerLiteral {
  /// An integer literal.
  public init(integerLiteral value: Int) { self.init(value) }
}

extension Rational: CustomStringConvertible {}

extension Rational: Equatable, Comparable, Hashable {
  @inlinable public static func == (a: Rational, b: Rational) -> Bool {
    a.withMPQ { x in b.withMPQ { y in __gmpq_equal(x, y) != 0 } }
  }

  @inlinable public static func < (a: Rational, b: Rational) -> Bool {
    a.withMPQ { x in b.withMPQ { y in __gmpq_cmp(x, y) < 0 } }
  }

  /// Hashes numerator and denominator (canonical form makes this consistent with ==).
  public func hash(into hasher: inout Hasher) {
    hasher.combine(numerator)
    hasher.combine(denominator)
  }
}

extension Rational {
  @inlinable public static func + (a: Rational, b: Rational) -> Rational {
    a.withMPQ { x in b.withMPQ { y in Rational.make { __gmpq_add($0, x, y) } } }
  }

  @inlinable public static func - (a: Rational, b: Rational) -> Rational {
    a.withMPQ { x in b.withMPQ { y in Rational.make { __gmpq_sub($0, x, y) } } }
  }

  @inlinable public static func * (a: Rational, b: Rational) -> Rational {
    a.withMPQ { x in b.withMPQ { y in Rational.make { __gmpq_mul($0, x, y) } } }
  }

  /// Division; the divisor must be nonzero (use `divided(by:)` for a checked form).
  @inlinable public static func / (a: Rational, b: Rational) -> Rational {
    precondition(!b.isZero, "division by zero")
    return a.withMPQ { x in b.withMPQ { y in Rational.make { __gmpq_div($0, x, y) } } }
  }

  @inlinable public static prefix func - (a: Rational) -> Rational {
    a.withMPQ { x in Rational.make { __gmpq_neg($0, x) } }
  }

  @inlinable public static func += (a: inout Rational, b: Rational) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPQ { __gmpq_add(p, p, $0) }
  }

  @inlinable public static func -= (a: inout Rational, b: Rational) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPQ { __gmpq_sub(p, p, $0) }
  }

  @inlinable public static func *= (a: inout Rational, b: Rational) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPQ { __gmpq_mul(p, p, $0) }
  }
}

// MARK: - Parsing and exact conversion from Double

extension Rational {
  /// Parses "-3", "7/12", "0.125", "-1.5e-3", "2E10" exactly.
  public init(parsing text: String) throws {
    let s = text.trimmingSpaces
    guard !s.isEmpty else { throw ExactNumberError.notANumber(text) }
    if let slash = s.firstIndex(of: "/") {
      guard let n = BigInt(s[s.startIndex..<slash]),
        let d = BigInt(s[s.index(after: slash)...]),
        !s[s.index(after: slash)...].hasPrefix("+"), !s[s.index(after: slash)...].hasPrefix("-")
      else { throw ExactNumberError.notANumber(text) }
      guard !d.isZero else { throw ExactNumberError.zeroDenominator(text) }
      self = try Rational(n, d)
      return
    }
    // Decimal: [sign] digits [. digits] [e|E [sign] digits]
    var mantissa = Substring(s)
    var exponent = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = s[s.startIndex..<e]
      let expText = s[s.index(after: e)...]
      guard let ex = BigInt(expText) else { throw ExactNumberError.notANumber(text) }
      guard let ei = ex.intValue, abs(ei) <= 100_000 else { throw ExactNumberError.exponentTooLarge(text) }
      exponent = ei
    }
    var negative = false
    if let f = mantissa.first, f == "+" || f == "-" {
      negative = f == "-"
      mantissa = mantissa.dropFirst()
    }
    let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let intPart = parts[0]
    let fracPart = parts.count > 1 ? parts[1] : ""
    guard !(intPart.isEmpty && fracPart.isEmpty),
      intPart.allSatisfy({ $0.isASCII && $0.isNumber }),
      fracPart.allSatisfy({ $0.isASCII && $0.isNumber })
    else { throw ExactNumberError.notANumber(text) }
    guard let digits = BigInt(String(intPart) + String(fracPart)) else {
      throw ExactNumberError.notANumber(text)
    }
    let scale = exponent - fracPart.count
    let ten = BigInt(10)
    var value: Rational
    if scale >= 0 {
      value = Rational(digits * ten.power(scale))
    } else {
      value = try Rational(digits, ten.power(-scale))
    }
    if negative { value = -value }
    self = value
  }

  /// The exact value of a finite double (every finite double is a dyadic rational).
  public init(exactly x: Double) throws {
    guard x.isFinite else { throw ExactNumberError.notFinite("\(x)") }
    box = _MPQBox()
    __gmpq_set_d(box.ptr, x)
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
