/// Arithmetic in the prime field Z/pZ for a prime p < 2^63, on `UInt64` residues in [0, p).
///
/// Products use the full 128-bit multiply, so any prime below 2^63 works.
public struct PrimeField: Sendable, Hashable, CustomStringConvertible {
  /// The prime modulus.
  public let p: UInt64

  /// The field of a prime modulus; nil when `p` is not a prime below 2^63.
  public init?(_ p: UInt64) {
    guard p < (1 << 63), Primality.isPrime(p) else { return nil }
    self.p = p
  }

  /// The field of `p` without the primality check (the caller guarantees it).
  public init(unchecked p: UInt64) {
    precondition(p >= 2 && p < (1 << 63), "modulus out of range")
    self.p = p
  }

  /// "GF(p)".
  public var description: String { "GF(\(p))" }

  /// The residue of a signed machine integer.
  @inlinable public func element(_ v: Int) -> UInt64 {
    let m = UInt64(v.magnitude) % p
    return v < 0 && m != 0 ? p - m : m
  }

  /// a + b mod p.
  @inlinable public func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let s = a &+ b  // no overflow: a, b < 2^63
    return s >= p ? s &- p : s
  }

  /// a − b mod p.
  @inlinable public func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 {
    a >= b ? a &- b : a &+ (p &- b)
  }

  /// −a mod p.
  @inlinable public func negate(_ a: UInt64) -> UInt64 { a == 0 ? 0 : p &- a }

  /// a · b mod p (128-bit product, then one division).
  @inlinable public func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    return p.dividingFullWidth((hi, lo)).remainder
  }

  /// a^e mod p.
  public func power(_ a: UInt64, _ e: UInt64) -> UInt64 {
    var result: UInt64 = 1 % p, base = a % p, e = e
    while e > 0 {
      if e & 1 == 1 { result = multiply(result, base) }
      base = multiply(base, base)
      e >>= 1
    }
    return result
  }

  /// a⁻¹ mod p, or nil for a ≡ 0.
  public func inverse(_ a: UInt64) -> UInt64? {
    let a = a % p
    guard a != 0 else { return nil }
    // Extended Euclid on signed 128-bit-free values: p < 2^63 fits Int64.
    var (r0, r1) = (Int64(p), Int64(a))
    var (t0, t1): (Int64, Int64) = (0, 1)
    while r1 != 0 {
      let q = r0 / r1
      (r0, r1) = (r1, r0 - q * r1)
      (t0, t1) = (t1, t0 - q * t1)
    }
    return t0 < 0 ? UInt64(t0 + Int64(p)) : UInt64(t0)
  }
}

/// Deterministic primality for 64-bit integers, and seeded random primes.
public enum Primality {
  /// Deterministic Miller–Rabin: the first 12 primes as bases are exact for n < 3.3·10^24.
  public static func isPrime(_ n: UInt64) -> Bool {
    if n < 2 { return false }
    let small: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    for q in small {
      if n == q { return true }
      if n % q == 0 { return false }
    }
    var d = n - 1
    var s = 0
    while d & 1 == 0 {
      d >>= 1
      s += 1
    }
    func mulmod(_ a: UInt64, _ b: UInt64) -> UInt64 {
      let (hi, lo) = a.multipliedFullWidth(by: b)
      return n.dividingFullWidth((hi, lo)).remainder
    }
    witness: for a in small {
      var x: UInt64 = 1, base = a % n, e = d
      while e > 0 {
        if e & 1 == 1 { x = mulmod(x, base) }
        base = mulmod(base, base)
        e >>= 1
      }
      if x == 1 || x == n - 1 { continue }
      for _ in 1..<max(s, 1) {
        x = mulmod(x, x)
        if x == n - 1 { continue witness }
      }
      return false
    }
    return true
  }

  /// A uniformly drawn prime in [lower, upper] (inclusive) from a seeded generator.
  /// The range must contain a prime; primes are dense enough that a few hundred draws suffice.
  public static func randomPrime(in range: ClosedRange<UInt64>, using rng: inout SeededRandom) -> UInt64 {
    precondition(range.upperBound < (1 << 63), "primes must be below 2^63")
    for _ in 0..<100_000 {
      let c = rng.next(in: range) | 1
      if c <= range.upperBound, isPrime(c) { return c }
    }
    preconditionFailure("no prime found in \(range)")
  }

  /// `count` distinct random primes in [2^61, 2^62), the default for multi-prime ranks.
  public static func randomWordPrimes(count: Int, seed: UInt64) -> [UInt64] {
    var rng = SeededRandom(seed: seed ^ 0x5052_494D_4553)  // "PRIMES"
    var out: [UInt64] = []
    while out.count < count {
      let q = randomPrime(in: (1 << 61)...((1 << 62) - 1), using: &rng)
      if !out.contains(q) { out.append(q) }
    }
    return out
  }
}
