import CGMP

/// A signed integer below 2^255 in magnitude as four 64-bit limbs (two's complement, least
/// significant first), with the three operations of a p-adic lifting step on its residual:
/// add a shifted word, reduce modulo a small prime, divide exactly by it. Used by
/// `DixonLifting` for entries of ~120–250 bits, where a GMP integer per entry costs a few
/// calls per slice and step.
///
/// Arithmetic wraps modulo 2^256; the callers keep every exact value below 2^254 in magnitude,
/// so that the wrapped value is the exact one.
struct Int256Residual {
  var limbs: (UInt64, UInt64, UInt64, UInt64)

  static let zero = Int256Residual(limbs: (0, 0, 0, 0))

  /// The value of a GMP integer below 2^255 in magnitude (the caller checks the size).
  init(_ z: UnsafePointer<__mpz_struct>) {
    let size = Int(z.pointee._mp_size.magnitude)
    var m: [UInt64] = [0, 0, 0, 0]
    if let d = z.pointee._mp_d { for k in 0..<min(size, 4) { m[k] = UInt64(d[k]) } }
    limbs = (m[0], m[1], m[2], m[3])
    if cgmp_mpz_sgn(z) < 0 { negate() }
  }

  init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

  var isNegative: Bool { limbs.3 >> 63 == 1 }

  /// self = −self (mod 2^256).
  mutating func negate() {
    var (a, b, c, d) = (~limbs.0, ~limbs.1, ~limbs.2, ~limbs.3)
    var carry: Bool
    (a, carry) = a.addingReportingOverflow(1)
    if carry { (b, carry) = b.addingReportingOverflow(1) }
    if carry { (c, carry) = c.addingReportingOverflow(1) }
    if carry { d = d &+ 1 }
    limbs = (a, b, c, d)
  }

  /// self += v·2^shift (mod 2^256), for |v| < 2^63 and shift < 256.
  @inline(__always) mutating func add(_ v: Int64, shiftedBy shift: Int) {
    if v == 0 { return }
    let q = shift >> 6, o = UInt64(shift & 63)
    let ext: UInt64 = v < 0 ? .max : 0
    // v·2^o as a sign-extended two-limb value: low, high, then `ext` above.
    let low = UInt64(bitPattern: v) << o
    let high = o == 0 ? ext : UInt64(bitPattern: v >> Int64(64 - o))
    switch q {
    case 0: add(low, high, ext, ext)
    case 1: add(0, low, high, ext)
    case 2: add(0, 0, low, high)
    default: add(0, 0, 0, low)
    }
  }

  /// self += (a + b·2^64 + c·2^128 + d·2^192) (mod 2^256).
  @inline(__always) mutating func add(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
    let (s0, k0) = limbs.0.addingReportingOverflow(a)
    let (t1, k1a) = limbs.1.addingReportingOverflow(b)
    let (s1, k1b) = t1.addingReportingOverflow(k0 ? 1 : 0)
    let (t2, k2a) = limbs.2.addingReportingOverflow(c)
    let (s2, k2b) = t2.addingReportingOverflow(k1a || k1b ? 1 : 0)
    let s3 = limbs.3 &+ d &+ (k2a || k2b ? 1 : 0)
    limbs = (s0, s1, s2, s3)
  }

  /// self / p for a value that p divides exactly (long division of the magnitude, 0 < p < 2^63).
  @inline(__always) mutating func divideExactly(by p: UInt64) {
    let negative = isNegative
    if negative { negate() }
    var r: UInt64 = 0
    var (a, b, c, d) = limbs
    (d, r) = p.dividingFullWidth((high: r, low: d))
    (c, r) = p.dividingFullWidth((high: r, low: c))
    (b, r) = p.dividingFullWidth((high: r, low: b))
    (a, r) = p.dividingFullWidth((high: r, low: a))
    limbs = (a, b, c, d)
    if negative { negate() }
  }

  /// self mod p in [0, p), with `twoTo64` = 2^64 mod p and `twoTo256` = 2^256 mod p
  /// (p < 2^32, so that every product below stays under 2^64).
  @inline(__always) func residue(modulo p: UInt64, twoTo64: UInt64, twoTo256: UInt64) -> UInt64 {
    var acc = limbs.3 % p
    acc = (acc * twoTo64 + limbs.2 % p) % p
    acc = (acc * twoTo64 + limbs.1 % p) % p
    acc = (acc * twoTo64 + limbs.0 % p) % p
    // The limbs read as an unsigned U; a negative value is U − 2^256.
    return isNegative ? (acc + p - twoTo256) % p : acc
  }
}
