/// The prime field Z/pZ (odd prime p < 2^63) with elements kept in Montgomery form x·2^64 mod p.
///
/// Multiplication is one Montgomery reduction (three word multiplies, no division), several
/// times faster than `PrimeField.multiply`, so the modular Hessian builders use this ring.
/// Elements are Montgomery representations: convert with `element(_:)` / `residue(_:)`.
/// A matrix whose entries are all in Montgomery form is the true matrix scaled by the unit
/// 2^64 mod p, so it has the same rank.
public struct MontgomeryField: Sendable, Hashable, CustomStringConvertible {
  /// The prime modulus.
  public let p: UInt64
  /// −p⁻¹ mod 2^64.
  @usableFromInline let negInverse: UInt64
  /// 2^128 mod p (converts a residue into Montgomery form with one multiplication).
  @usableFromInline let r2: UInt64
  /// 2^64 mod p, the representation of 1.
  @usableFromInline let rModP: UInt64

  /// The field of an odd prime below 2^63 (the caller guarantees primality).
  public init(prime p: UInt64) {
    precondition(p & 1 == 1 && p > 2 && p < (1 << 63), "Montgomery arithmetic needs an odd modulus below 2^63")
    self.p = p
    // Newton iteration for p⁻¹ mod 2^64: each step doubles the correct low bits.
    var inv: UInt64 = p
    for _ in 0..<6 { inv = inv &* (2 &- p &* inv) }
    negInverse = 0 &- inv
    let r = (UInt64.max % p) &+ 1  // 2^64 mod p (p < 2^63 so no wrap)
    rModP = r % p
    let (hi, lo) = rModP.multipliedFullWidth(by: rModP)
    r2 = p.dividingFullWidth((hi, lo)).remainder
  }

  /// "GF(p) (Montgomery)".
  public var description: String { "GF(\(p))" }

  /// Montgomery reduction of a 128-bit value below p·2^64.
  @inlinable func reduce(_ hi: UInt64, _ lo: UInt64) -> UInt64 {
    let m = lo &* negInverse
    let (mh, ml) = m.multipliedFullWidth(by: p)
    let (_, carry) = lo.addingReportingOverflow(ml)
    let u = hi &+ mh &+ (carry ? 1 : 0)  // < 2p < 2^64
    return u >= p ? u &- p : u
  }

  /// The Montgomery form of a residue in [0, p).
  @inlinable public func fromResidue(_ x: UInt64) -> UInt64 {
    let (hi, lo) = x.multipliedFullWidth(by: r2)
    return reduce(hi, lo)
  }

  /// The residue in [0, p) of a Montgomery form.
  @inlinable public func residue(_ x: UInt64) -> UInt64 { reduce(0, x) }
}

extension MontgomeryField {
  /// Σ_k a[k]·b[k] for Montgomery forms, with one reduction at the end: products are summed
  /// exactly in a three-word accumulator (each product < 2^126), then reduced once.
  @inlinable
  public func dot(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, count: Int) -> UInt64 {
    var lo: UInt64 = 0, hi: UInt64 = 0, top: UInt64 = 0
    for k in 0..<count {
      let (ph, pl) = a[k].multipliedFullWidth(by: b[k])
      let (l, c1) = lo.addingReportingOverflow(pl)
      lo = l
      let (h, c2) = hi.addingReportingOverflow(ph &+ (c1 ? 1 : 0))  // ph < 2^62: no wrap
      hi = h
      top &+= c2 ? 1 : 0
    }
    // (top·2^64 + hi) mod p, then a Montgomery reduction of (that·2^64 + lo).
    let h = p.dividingFullWidth((top % p, hi)).remainder
    return reduce(h, lo)
  }
}

extension MontgomeryField: ScalarRing {
  public var zero: UInt64 { 0 }
  public var one: UInt64 { rModP }
  @inlinable public func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let s = a &+ b
    return s >= p ? s &- p : s
  }
  @inlinable public func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a &- b : a &+ (p &- b) }
  @inlinable public func negate(_ a: UInt64) -> UInt64 { a == 0 ? 0 : p &- a }
  @inlinable public func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    return reduce(hi, lo)
  }
  @inlinable public func isZero(_ a: UInt64) -> Bool { a == 0 }
  public func element(_ q: Rational) throws -> UInt64 {
    guard let r = q.residue(modulo: p) else { throw NoImageError(value: q.description, ring: description) }
    return fromResidue(r)
  }
  public func element(_ n: Int) -> UInt64 { fromResidue(PrimeField(unchecked: p).element(n)) }
}
