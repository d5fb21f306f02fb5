import CLapack
import ConvNet
import Exact

/// JᵀJ modulo a prime below 2^25 through BLAS, exactly.
///
/// Residues are stored centred (|x| ≤ (p−1)/2 < 2^24) in `Double`s, so each product is below
/// 2^48 and a sum of 31 products plus a centred residue stays below 2^53: every value BLAS
/// forms while accumulating 31 rows is an integer exactly representable as a double, whatever
/// the summation order, so `dsyrk` carries out exact integer arithmetic (the FFLAS-FFPACK
/// technique). After each block of 31 rows the accumulator is reduced modulo p.
enum GramProduct {
  /// Rows of J accumulated between reductions.
  static let block = 31

  /// The upper triangle of JᵀJ mod p as residues in [0, p), filled symmetric; `jacobian` holds
  /// Montgomery forms of `field`. `threads`: BLAS threads (1 when rows of a sweep run in parallel).
  static func gram(_ jacobian: ScalarMatrix<UInt64>, field: MontgomeryField, threads: Int = 2) -> [UInt64] {
    let p = field.p
    precondition(p < 1 << 25, "the BLAS Gram product needs a prime below 2^25")
    let m = jacobian.rows, n = jacobian.cols
    let half = p / 2
    let pd = Double(p), inv = 1 / Double(p)
    var a = [Double](repeating: 0, count: m * n)
    for i in 0..<(m * n) {
      let r = field.residue(jacobian.storage[i])
      a[i] = r > half ? -Double(p - r) : Double(r)
    }
    var c = [Double](repeating: 0, count: n * n)
    openblas_set_num_threads(Int32(max(1, threads)))
    a.withUnsafeBufferPointer { ab in
      c.withUnsafeMutableBufferPointer { cb in
        var row = 0
        while row < m {
          let k = min(block, m - row)
          cblas_dsyrk(101, 121, 112, Int32(n), Int32(k), 1, ab.baseAddress! + row * n, Int32(n), 1, cb.baseAddress!, Int32(n))
          // Reduce the upper triangle back to centred residues: x − p·round(x/p) is exact here.
          for i in 0..<n {
            for j in i..<n {
              let x = cb[i * n + j]
              cb[i * n + j] = x - pd * (x * inv).rounded()
            }
          }
          row += k
        }
      }
    }
    openblas_set_num_threads(1)
    var out = [UInt64](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in i..<n {
        var x = Int64(c[i * n + j]) % Int64(p)
        if x < 0 { x += Int64(p) }
        out[i * n + j] = UInt64(x)
        out[j * n + i] = UInt64(x)
      }
    }
    return out
  }
}
