import ConvNet
import Exact
import ExactLinearAlgebra

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

  /// Per Hessian kind, the Hadamard bits of the integer matrix the modular path reduces (J for
  /// H_o, n·H_f, n·H_L), or nil when no bound applies (fractional values, or a saturated bound).
  static func hadamardBits(_ instance: NetworkInstance, pattern: ActivationPattern, kinds: Set<HessianKind>) -> [HessianKind: Int] {
    guard let builder = try? HessianBuilder(instance: instance, pattern: pattern, ring: MagnitudeRing()) else { return [:] }
    let ring = MagnitudeRing()
    let jac = builder.jacobian()
    let maxJ = jac.storage.max() ?? 0
    var out: [HessianKind: Int] = [:]
    let p = instance.plan.parameterCount
    if kinds.contains(.outer), maxJ != .max { out[.outer] = hadamardBits(rows: jac.rows, cols: p, maxEntry: maxJ) }
    if kinds.contains(.functional) || kinds.contains(.loss) {
      let maxF = builder.functionalScaled().storage.max() ?? 0
      if kinds.contains(.functional), maxF != .max { out[.functional] = hadamardBits(rows: p, cols: p, maxEntry: maxF) }
      // |(JᵀJ)_ac| ≤ rows · maxJ².
      let maxL = ring.add(ring.multiply(UInt64(jac.rows), ring.multiply(maxJ, maxJ)), maxF)
      if kinds.contains(.loss), maxL != .max { out[.loss] = hadamardBits(rows: p, cols: p, maxEntry: maxL) }
    }
    return out
  }
}
