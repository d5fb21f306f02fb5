import CGMP

#if canImport(Glibc)
  import Glibc
#endif

/// Owns one GMP integer at a stable address (never `&obj.value`: aliasing traps).
@usableFromInline
final class _MPZBox: @unchecked Sendable {
  // Safe to share: a box is mutated only while uniquely referenced (copy-on-write).
  @usableFromInline let ptr: UnsafeMutablePointer<__mpz_struct>

  @inlinable init() {
    ptr = .allocate(capacity: 1)
    __gmpz_init(ptr)
  }

  @inlinable init(copying other: _MPZBox) {
    ptr = .allocate(capacity: 1)
    __gmpz_init_set(ptr, other.ptr)
  }

  deinit {
    __gmpz_clear(ptr)
    ptr.deallocate()
  }
}

/// An arbitrary-precision signed integer: a copy-on-write value over a GMP `mpz_t`.
public struct BigInt: Sendable {
  @usableFromInline var box: _MPZBox

  /// Zero.
  @inlinable public init() { box = _MPZBox() }

  /// The value of a machine integer.
  @inlinable public init(_ value: Int) {
    box = _MPZBox()
    __gmpz_set_si(box.ptr, value)
  }

  /// The value of an unsigned machine integer.
  @inlinable public init(_ value: UInt64) {
    box = _MPZBox()
    __gmpz_set_ui(box.ptr, UInt(value))
  }

  /// Wraps a fresh box (internal: used by arithmetic that writes into a new value).
  @inlinable init(box: _MPZBox) { self.box = box }

  /// Builds a value by letting `body` write into a freshly initialised `mpz_t`.
  @inlinable static func make(_ body: (UnsafeMutablePointer<__mpz_struct>) -> Void) -> BigInt {
    let b = _MPZBox()
    body(b.ptr)
    return BigInt(box: b)
  }

  /// Copies the value of a raw GMP integer (for matrix code that stores `mpz_t` buffers).
  public init(copying raw: UnsafePointer<__mpz_struct>) {
    box = _MPZBox()
    __gmpz_set(box.ptr, raw)
  }

  /// Writes this value into a raw GMP integer.
  public func copy(into raw: UnsafeMutablePointer<__mpz_struct>) {
    withExtendedLifetime(self) { __gmpz_set(raw, box.ptr) }
  }

  /// Calls `body` with a read-only pointer to the GMP integer; the value stays alive meanwhile.
  @inlinable public func withMPZ<R>(_ body: (UnsafePointer<__mpz_struct>) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(UnsafePointer(box.ptr)) }
  }

  @inlinable mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&box) { box = _MPZBox(copying: box) }
  }

  /// -1, 0 or 1.
  @inlinable public var signum: Int { Int(withMPZ { cgmp_mpz_sgn($0) }) }
  /// True when the value is 0.
  @inlinable public var isZero: Bool { signum == 0 }
  /// The number of bits of |self| (0 for 0).
  public var bitWidth: Int { isZero ? 0 : withMPZ { Int(__gmpz_sizeinbase($0, 2)) } }
  /// |self|.
  public var magnitude: BigInt { withMPZ { a in BigInt.make { __gmpz_abs($0, a) } } }

  /// The value as an `Int`, or nil when it does not fit.
  public var intValue: Int? {
    withMPZ { cgmp_mpz_fits_slong_p($0) != 0 ? __gmpz_get_si($0) : nil }
  }

  /// The least non-negative residue modulo `m` (m > 0).
  public func residue(modulo m: UInt64) -> UInt64 {
    precondition(m > 0, "modulus must be positive")
    return withMPZ { UInt64(__gmpz_fdiv_ui($0, UInt(m))) }
  }

  /// `self` raised to a non-negative power.
  public func power(_ exponent: Int) -> BigInt {
    precondition(exponent >= 0, "negative exponent")
    return withMPZ { a in BigInt.make { __gmpz_pow_ui($0, a, UInt(exponent)) } }
  }

  /// Truncating division and remainder (as Swift's `Int`); the divisor must be nonzero.
  public func quotientAndRemainder(dividingBy d: BigInt) -> (quotient: BigInt, remainder: BigInt) {
    precondition(!d.isZero, "division by zero")
    let q = BigInt(), r = BigInt()
    withMPZ { a in d.withMPZ { b in __gmpz_tdiv_qr(q.box.ptr, r.box.ptr, a, b) } }
    return (q, r)
  }

  /// Exact division: the caller asserts that `d` divides `self`; `d` must be nonzero.
  public func dividedExactly(by d: BigInt) -> BigInt {
    precondition(!d.isZero, "division by zero")
    return withMPZ { a in d.withMPZ { b in BigInt.make { __gmpz_divexact($0, a, b) } } }
  }

  /// True when `d` divides `self` (d = 0 divides only 0).
  public func isDivisible(by d: BigInt) -> Bool {
    withMPZ { a in d.withMPZ { b in __gmpz_divisible_p(a, b) != 0 } }
  }

  /// The non-negative greatest common divisor.
  public static func gcd(_ a: BigInt, _ b: BigInt) -> BigInt {
    a.withMPZ { x in b.withMPZ { y in BigInt.make { __gmpz_gcd($0, x, y) } } }
  }

  /// The non-negative least common multiple.
  public static func lcm(_ a: BigInt, _ b: BigInt) -> BigInt {
    a.withMPZ { x in b.withMPZ { y in BigInt.make { __gmpz_lcm($0, x, y) } } }
  }

  /// Decimal text, e.g. "-42".
  public func toString(radix: Int32 = 10) -> String {
    withMPZ { p in
      guard let cstr = __gmpz_get_str(nil, radix, p) else { return "0" }
      defer { free(cstr) }
      return String(cString: cstr)
    }
  }

  /// Parses an optionally signed decimal integer ("-3", "+17"); nil for anything else.
  public init?(_ text: some StringProtocol) {
    var s = Substring(text)
    var negative = false
    if let f = s.first, f == "+" || f == "-" {
      negative = f == "-"
      s = s.dropFirst()
    }
    guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    let b = _MPZBox()
    let ok = String(s).withCString { __gmpz_set_str(b.ptr, $0, 10) } == 0
    guard ok else { return nil }
    if negative { __gmpz_neg(b.ptr, b.ptr) }
    box = b
  }
}

extension BigInt: ExpressibleByIntegerLiteral {
  /// An integer literal.
  public init(integerLiteral value: Int) { self.init(value) }
}

extension BigInt: CustomStringConvertible {
  /// Decimal text.
  public var description: String { toString() }
}

extension BigInt: Equatable, Comparable, Hashable {
  @inlinable public static func == (a: BigInt, b: BigInt) -> Bool {
    a.withMPZ { x in b.withMPZ { y in __gmpz_cmp(x, y) == 0 } }
  }

  @inlinable public static func < (a: BigInt, b: BigInt) -> Bool {
    a.withMPZ { x in b.withMPZ { y in __gmpz_cmp(x, y) < 0 } }
  }

  /// Hashes the sign and the limbs.
  public func hash(into hasher: inout Hasher) {
    withMPZ { p in
      hasher.combine(cgmp_mpz_sgn(p))
      let n = cgmp_mpz_size(p)
      for i in 0..<n { hasher.combine(__gmpz_getlimbn(p, i)) }
    }
  }
}

extension BigInt {
  @inlinable public static func + (a: BigInt, b: BigInt) -> BigInt {
    a.withMPZ { x in b.withMPZ { y in BigInt.make { __gmpz_add($0, x, y) } } }
  }

  @inlinable public static func - (a: BigInt, b: BigInt) -> BigInt {
    a.withMPZ { x in b.withMPZ { y in BigInt.make { __gmpz_sub($0, x, y) } } }
  }

  @inlinable public static func * (a: BigInt, b: BigInt) -> BigInt {
    a.withMPZ { x in b.withMPZ { y in BigInt.make { __gmpz_mul($0, x, y) } } }
  }

  @inlinable public static prefix func - (a: BigInt) -> BigInt {
    a.withMPZ { x in BigInt.make { __gmpz_neg($0, x) } }
  }

  @inlinable public static func += (a: inout BigInt, b: BigInt) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPZ { __gmpz_add(p, p, $0) }
  }

  @inlinable public static func -= (a: inout BigInt, b: BigInt) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPZ { __gmpz_sub(p, p, $0) }
  }

  @inlinable public static func *= (a: inout BigInt, b: BigInt) {
    a.makeUnique()
    let p = a.box.ptr
    b.withMPZ { __gmpz_mul(p, p, $0) }
  }
}
