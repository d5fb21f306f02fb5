import Synchronization

/// The integers in 128-bit machine words, with every operation checked for overflow: for
/// exact builders whose values almost always fit (the Jacobians and Hessians of integer
/// network instances), at machine speed instead of boxed big integers.
///
/// The first operation whose exact result does not fit in `Int128` sets `overflowed`; from
/// then on the results are meaningless, and the caller must start again over `IntegerRing`.
/// A result computed while `overflowed` stays false is exact (every sum and product was
/// checked). The flag is shared by every copy of the ring (it is a reference type) and may be
/// set from any thread.
public final class CheckedInt128Ring: ScalarRing, Sendable {
  private let overflowFlag = Atomic<Bool>(false)

  /// Z in 128-bit words, with no overflow yet.
  public init() {}

  /// True once some result did not fit (every result since then is meaningless).
  public var overflowed: Bool { overflowFlag.load(ordering: .relaxed) }

  @inline(__always) private func overflow() -> Int128 {
    overflowFlag.store(true, ordering: .relaxed)
    return 0
  }

  public var zero: Int128 { 0 }
  public var one: Int128 { 1 }

  @inlinable public func add(_ a: Int128, _ b: Int128) -> Int128 {
    let (s, o) = a.addingReportingOverflow(b)
    return o ? flagged() : s
  }

  @inlinable public func subtract(_ a: Int128, _ b: Int128) -> Int128 {
    let (s, o) = a.subtractingReportingOverflow(b)
    return o ? flagged() : s
  }

  @inlinable public func multiply(_ a: Int128, _ b: Int128) -> Int128 {
    let (s, o) = a.multipliedReportingOverflow(by: b)
    return o ? flagged() : s
  }

  @inlinable public func negate(_ a: Int128) -> Int128 { a == .min ? flagged() : -a }

  @inlinable public func isZero(_ a: Int128) -> Bool { a == 0 }

  /// The integer q (throws for a non-integer, like `IntegerRing`); a numerator beyond 64
  /// bits counts as an overflow.
  public func element(_ q: Rational) throws -> Int128 {
    guard q.isInteger else { throw NoImageError(value: q.description, ring: "Z") }
    guard let v = q.numerator.intValue else { return overflow() }
    return Int128(v)
  }

  public func element(_ n: Int) -> Int128 { Int128(n) }

  /// Records an overflow and returns a placeholder (for the inlinable operations).
  @usableFromInline func flagged() -> Int128 { overflow() }
}
