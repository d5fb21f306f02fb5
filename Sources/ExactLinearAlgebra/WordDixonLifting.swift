import CGMP
import Exact

/// Dixon lifting for small systems with word-size entries and small solutions, without a
/// single big integer: B·Z = C·diag(d) for an r×r B (nonsingular modulo the prime) and an
/// r×s C, both given as machine integers.
///
/// The steps are those of `DixonLifting` (digit X_i = B⁻¹·R_i mod p, residual
/// R_{i+1} = (R_i − B·X_i)/p), all in exact doubles: with |B| < 2^a, |C| < 2^c, p < 2^24,
/// a + ⌈log2 r⌉ + 24 ≤ 52 and c ≤ 50, every residual stays below max(|C|, 2r|B|) < 2^51 and
/// every R − B·X_i below 2^53 (so the exact division by p is one correctly rounded `/`).
/// The digits are summed in Int128 (p^k < 2^72 for the `maxSteps` = 3 steps at most), each
/// column is reconstructed with Int128 arithmetic (balanced bounds N = D = 2^h, 2^(2h+1) <
/// p^k), and each candidate is checked exactly, B·z = d·c over Z in Int128 sums: a column
/// returned is a proved solution. When a column is not found within `maxSteps` steps (its
/// solution is larger) or a value leaves the word range, the answer is nil and the caller
/// runs the general `DixonLifting`, which costs the same steps again (a few matrix–vector
/// products of a small matrix).
///
/// This is the small-matrix path of `ExactRank.liftedKernelVectors`: on the 102×102 n·H_o of
/// a small FC net (rank 24, 78 kernel vectors of ≤ 17 bits) the general lifting spent most of
/// its time allocating GMP matrices and boxed integers, not lifting.
enum WordDixonLifting {
  /// The most lifting steps in words: p^3 < 2^72 for p < 2^24, so that d·x (d ≤ D < 2^36,
  /// 0 ≤ x < p^3) stays below 2^108 in Int128.
  static let maxSteps = 3

  /// Whether entries below 2^bitsB in B (r×r) and 2^bitsC in C meet the bounds above for a
  /// prime below 2^24.
  static func accepts(size r: Int, bitsB: Int, bitsC: Int) -> Bool {
    let logR = r <= 1 ? 0 : Int.bitWidth - (r - 1).leadingZeroBitCount
    return bitsB + logR + 24 <= 52 && bitsC <= 50
  }

  /// Z (r×s, row-major) and d (s entries, > 0) with B·Z[:, k] = d_k·C[:, k] exactly, or nil
  /// (B singular modulo `prime`, a bound not met, or a solution too large for the word steps).
  /// `prime` must lie in [2^23, 2^24).
  static func solve(b: [Int64], c: [Int64], size r: Int, columns s: Int, prime: UInt64) -> (z: [Int64], d: [Int64])? {
    precondition(b.count == r * r && c.count == r * s, "shape mismatch")
    precondition(prime >= 1 << 23 && prime < 1 << 24, "the word lifting needs a prime in [2^23, 2^24)")
    if s == 0 || r == 0 { return ([], Array(repeating: 1, count: s)) }
    var bitsB = 0, bitsC = 0
    for x in b { bitsB = max(bitsB, Int64.bitWidth - x.magnitude.leadingZeroBitCount) }
    for x in c { bitsC = max(bitsC, Int64.bitWidth - x.magnitude.leadingZeroBitCount) }
    guard accepts(size: r, bitsB: bitsB, bitsC: bitsC), let ar = _CentredArithmetic(prime: prime) else { return nil }
    let p = Int64(prime)
    guard
      let inverse = DixonLifting.inverseModP(size: r, ar, residue: { i, j in
        let v = b[i * r + j] % p
        return UInt64(v < 0 ? v + p : v)
      })
    else { return nil }
    defer { inverse.deallocate() }
    let count = r * s
    let negB = UnsafeMutablePointer<Double>.allocate(capacity: r * r)
    let residual = UnsafeMutablePointer<Double>.allocate(capacity: count)
    let reduced = UnsafeMutablePointer<Double>.allocate(capacity: count)
    let digit = UnsafeMutablePointer<Double>.allocate(capacity: count)
    let product = UnsafeMutablePointer<Double>.allocate(capacity: count)
    defer {
      negB.deallocate()
      residual.deallocate()
      reduced.deallocate()
      digit.deallocate()
      product.deallocate()
    }
    for e in 0..<(r * r) { negB[e] = -Double(b[e]) }
    for e in 0..<count { residual[e] = Double(c[e]) }
    var acc = [Int128](repeating: 0, count: count)  // Σ X_i·p^i (signed digits)
    var power: Int128 = 1  // p^i
    var z = [Int64](repeating: 0, count: count)
    var d = [Int64](repeating: 0, count: s)  // 0: column not found yet
    var left = s
    for step in 1...maxSteps {
      for e in 0..<count { reduced[e] = ar.reduce(residual[e]) }
      // digit = −B⁻¹·R mod p (centred), so X_i = −digit.
      digit.initialize(repeating: 0, count: count)
      ar.multiplySubtract(c: digit, ldc: s, l: inverse, u: reduced, ldu: s, rows: r, cols: s, k: r, reducing: true, threads: 1)
      // R ← (R − B·X_i)/p = (R + B·digit)/p: every partial sum below 2^53, the quotient exact.
      product.initialize(repeating: 0, count: count)
      ar.multiplySubtract(c: product, ldc: s, l: negB, u: digit, ldu: s, rows: r, cols: s, k: r, reducing: false, threads: 1)
      for e in 0..<count {
        residual[e] = (residual[e] + product[e]) / ar.p
        acc[e] -= Int128(Int64(digit[e])) * power
      }
      power *= Int128(p)
      guard step >= 2 else { continue }
      // Balanced bounds 2^h with 2·2^(2h) < 2^(step·23) ≤ p^step.
      let h = (step * 23 - 2) / 2
      for k in 0..<s where d[k] == 0 {
        if let found = reconstructColumn(acc, column: k, columns: s, rows: r, modulus: power, bound: Int128(1) << h),
          verify(b, c, z: found.z, d: found.d, column: k, size: r, columns: s)
        {
          for i in 0..<r { z[i * s + k] = found.z[i] }
          d[k] = found.d
          left -= 1
        }
      }
      if left == 0 { return (z, d) }
    }
    return nil
  }

  /// Column k of the digits' sum (residues modulo P = `modulus`) as d·(a_i/b_i) with one
  /// denominator d = lcm b_i ≤ D, |a_i| ≤ N (N = D = `bound`), or nil; the entries of d·x must
  /// fit in Int64.
  static func reconstructColumn(
    _ acc: [Int128], column k: Int, columns s: Int, rows r: Int, modulus: Int128, bound: Int128
  ) -> (z: [Int64], d: Int64)? {
    var d: Int128 = 1
    var out = [Int64](repeating: 0, count: r)
    var i = 0
    while i < r {
      var x = acc[i * s + k] % modulus
      if x < 0 { x += modulus }
      // y = d·x mod P, balanced (d ≤ D < 2^36 and x < P < 2^72: the product fits).
      var y = (d * x) % modulus
      if 2 * y > modulus { y -= modulus }
      if y.magnitude <= (d * bound).magnitude {
        guard let w = Int64(exactly: y) else { return nil }
        out[i] = w
        i += 1
        continue
      }
      guard let den = rationalReconstruction(x, modulus: modulus, bound: bound) else { return nil }
      d = d / gcd(d, den) * den
      guard d <= bound else { return nil }
      i = 0
    }
    guard let dw = Int64(exactly: d) else { return nil }
    return (out, dw)
  }

  /// The denominator b of a/b ≡ x (mod P) with |a| ≤ N and 0 < b ≤ N, if any (0 ≤ x < P).
  static func rationalReconstruction(_ x: Int128, modulus: Int128, bound: Int128) -> Int128? {
    var (r0, r1) = (modulus, x)
    var (t0, t1): (Int128, Int128) = (0, 1)
    while r1 > bound {
      let q = r0 / r1
      (r0, r1) = (r1, r0 - q * r1)
      (t0, t1) = (t1, t0 - q * t1)
    }
    let den = t1.magnitude
    guard den != 0, den <= bound.magnitude else { return nil }
    return Int128(den)
  }

  static func gcd(_ a: Int128, _ b: Int128) -> Int128 {
    var (x, y) = (a.magnitude, b.magnitude)
    while y != 0 { (x, y) = (y, x % y) }
    return Int128(x)
  }

  /// B·z = d·C[:, k] over Z (Int128 sums: |B|·|z|·r < 2^(26 + 63 + 16) for the bounds above).
  static func verify(_ b: [Int64], _ c: [Int64], z: [Int64], d: Int64, column k: Int, size r: Int, columns s: Int) -> Bool {
    for i in 0..<r {
      var sum = -Int128(d) * Int128(c[i * s + k])
      for j in 0..<r { sum += Int128(b[i * r + j]) * Int128(z[j]) }
      if sum != 0 { return false }
    }
    return true
  }
}
