import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation

/// Upper bounds on absolute values, propagated through the same builder: |a + b| ≤ |a| + |b|,
/// |a·b| = |a|·|b|. Saturates at `UInt64.max`, which means "no bound".
struct MagnitudeRing: ScalarRing {
  var zero: UInt64 { 0 }
  var one: UInt64 { 1 }
  func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (s, o) = a.addingReportingOverflow(b)
    return o ? .max : s
  }
  func subtract(_ a: UInt64, _ b: UInt64) -> UInt64 { add(a, b) }
  func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (s, o) = a.multipliedReportingOverflow(by: b)
    return o ? .max : s
  }
  func negate(_ a: UInt64) -> UInt64 { a }
  func isZero(_ a: UInt64) -> Bool { a == 0 }
  func element(_ q: Rational) throws -> UInt64 {
    // Only integer instances give integer matrices whose minors the bound speaks of.
    guard q.isInteger, let v = q.numerator.magnitude.intValue else { throw NoImageError(value: q.description, ring: "magnitudes") }
    return UInt64(v)
  }
  func element(_ n: Int) -> UInt64 { UInt64(n.magnitude) }
}

/// Upper bounds on log2 of absolute values (−∞ for 0), propagated through the same builder:
/// log2|a·b| = log2|a| + log2|b| and log2|a + b| ≤ m + log2(1 + 2^(l − m)) for m ≥ l the two
/// logs, each rounded up by a margin far above Double's rounding error. Unlike
/// `MagnitudeRing` it never saturates, so wide default ranges (entries of 60 bits and more)
/// still get a Hadamard bound.
struct LogMagnitudeRing: ScalarRing {
  /// Added to every sum's log: covers the rounding of `log2` and `exp2` (relative 1e-16).
  static let margin = 1e-9
  var zero: Double { -.infinity }
  var one: Double { 0 }
  func add(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let (m, l) = a >= b ? (a, b) : (b, a)
    return m + log2(1 + exp2(l - m)) + Self.margin
  }
  func subtract(_ a: Double, _ b: Double) -> Double { add(a, b) }
  func multiply(_ a: Double, _ b: Double) -> Double {
    a == -.infinity || b == -.infinity ? -.infinity : a + b + Self.margin
  }
  func negate(_ a: Double) -> Double { a }
  func isZero(_ a: Double) -> Bool { a == -.infinity }
  func element(_ q: Rational) throws -> Double {
    // Only integer instances give integer matrices whose minors the bound speaks of.
    guard q.isInteger else { throw NoImageError(value: q.description, ring: "magnitudes") }
    let m = q.numerator.magnitude
    if m.isZero { return -.infinity }
    // Exact below 2^53 (the margin covers log2's rounding); otherwise |q| < 2^bits.
    if let v = m.intValue, v < 1 << 53 { return log2(Double(v)) + Self.margin }
    return Double(m.bitWidth)
  }
  func element(_ n: Int) -> Double { n == 0 ? -.infinity : log2(Double(n.magnitude)) + Self.margin }
}

/// Hadamard bounds on the minors of the modular path's matrices, for its failure probability.
enum ModularFailureBound {
  /// log2 of an upper bound on |det B| for every square submatrix B of a rows × cols integer
  /// matrix with entries of absolute value ≤ maxEntry: N·(log2 maxEntry + ½ log2 N), N = min.
  static func hadamardBits(rows: Int, cols: Int, maxEntry: UInt64) -> Int {
    let n = min(rows, cols)
    guard n > 0, maxEntry > 0 else { return 0 }
    let entryBits = UInt64.bitWidth - maxEntry.leadingZeroBitCount
    let sqrtBits = (Int.bitWidth - n.leadingZeroBitCount + 1) / 2
    return n * (entryBits + sqrtBits)
  }

  /// The same with log2 of the largest entry (−∞ for a zero matrix).
  static func hadamardBits(rows: Int, cols: Int, maxEntryLog2: Double) -> Int {
    let n = min(rows, cols)
    guard n > 0, maxEntryLog2 > -.infinity else { return 0 }
    let entryBits = max(0, Int(maxEntryLog2.rounded(.up)))
    let sqrtBits = (Int.bitWidth - n.leadingZeroBitCount + 1) / 2
    return n * (entryBits + sqrtBits)
  }

  /// Per Hessian kind, the Hadamard bits of the integer matrix the modular path reduces (J for
  /// H_o, n·H_f, n·H_L), or nil when no bound applies (fractional values).
  static func hadamardBits(_ instance: NetworkInstance, pattern: ActivationPattern, kinds: Set<HessianKind>) -> [HessianKind: Int] {
    guard let builder = try? HessianBuilder(instance: instance, pattern: pattern, ring: LogMagnitudeRing()) else { return [:] }
    let ring = LogMagnitudeRing()
    let jac = builder.jacobian()
    let maxJ = jac.storage.max() ?? -.infinity
    var out: [HessianKind: Int] = [:]
    let p = instance.plan.parameterCount
    if kinds.contains(.outer) { out[.outer] = hadamardBits(rows: jac.rows, cols: p, maxEntryLog2: maxJ) }
    if kinds.contains(.functional) || kinds.contains(.loss) {
      let maxF = builder.functionalScaled().storage.max() ?? -.infinity
      if kinds.contains(.functional) { out[.functional] = hadamardBits(rows: p, cols: p, maxEntryLog2: maxF) }
      // |(JᵀJ)_ac| ≤ rows · maxJ².
      let maxL = ring.add(ring.multiply(ring.element(jac.rows), ring.multiply(maxJ, maxJ)), maxF)
      if kinds.contains(.loss) { out[.loss] = hadamardBits(rows: p, cols: p, maxEntryLog2: maxL) }
    }
    return out
  }
}
