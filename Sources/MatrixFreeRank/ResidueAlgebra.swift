import CLapack
import Exact
import ExactLinearAlgebra

/// Dense linear algebra modulo P on centred residues carried by `Double`s (`CentredResidues`),
/// for the head-block reduction: exact products through BLAS and small inverses.
enum ResidueAlgebra {
  /// C ← (accumulate ? C : 0) + sign·op(A)·op(B) modulo P, all centred and row-major (C is
  /// m × n with leading dimension ldc; op(A) is m × k, op(B) k × n). `dgemm` runs over slabs of
  /// at most `delay − 1` of the k products and C is reduced after each, so every partial sum is
  /// an integer of magnitude ≤ h + (delay − 1)·h² < 2^53: exact whatever BLAS's order.
  static func multiply(m: Int, n: Int, k: Int, sign: Double = 1,
                       a: UnsafePointer<Double>, lda: Int, transA: Bool = false,
                       b: UnsafePointer<Double>, ldb: Int, transB: Bool = false,
                       c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool,
                       field: CentredResidues, threads: Int) {
    guard m > 0, n > 0 else { return }
    if !accumulate { for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) } }
    guard k > 0 else { return }
    let slab = max(1, field.delay - 1)
    openblas_set_num_threads(Int32(max(1, threads)))
    defer { openblas_set_num_threads(1) }
    var t = 0
    while t < k {
      let kk = min(slab, k - t)
      let ap = transA ? a + t * lda : a + t
      let bp = transB ? b + t : b + t * ldb
      cblas_dgemm(101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(n), Int32(kk), sign, ap, Int32(lda),
                  bp, Int32(ldb), 1, c, Int32(ldc))
      for r in 0..<m { field.reduce(c + r * ldc, n) }
      t += kk
    }
  }

  /// The same with whole arrays (row-major, leading dimensions their widths).
  static func product(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false,
                      field: CentredResidues, threads: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    guard m > 0, n > 0, k > 0 else { return c }  // an empty operand: no buffer to hand to BLAS
    a.withUnsafeBufferPointer { ab in
      b.withUnsafeBufferPointer { bb in
        c.withUnsafeMutableBufferPointer { cb in
          multiply(m: m, n: n, k: k, a: ab.baseAddress!, lda: transA ? m : k, transA: transA,
                   b: bb.baseAddress!, ldb: transB ? k : n, transB: transB, c: cb.baseAddress!, ldc: n,
                   accumulate: false, field: field, threads: threads)
        }
      }
    }
    return c
  }

  /// The inverse of an n × n matrix (row-major, centred) modulo P by Gauss–Jordan elimination,
  /// or nil when it is singular.
  static func inverse(_ a: [Double], n: Int, field: CentredResidues) -> [Double]? {
    let pf = PrimeField(unchecked: field.prime)
    var m = a
    var inv = [Double](repeating: 0, count: n * n)
    for i in 0..<n { inv[i * n + i] = 1 }
    for col in 0..<n {
      guard let piv = (col..<n).first(where: { m[$0 * n + col] != 0 }) else { return nil }
      if piv != col {
        for j in 0..<n {
          m.swapAt(piv * n + j, col * n + j)
          inv.swapAt(piv * n + j, col * n + j)
        }
      }
      guard let s = pf.inverse(field.residue(m[col * n + col])) else { return nil }
      let scale = field.centred(s)
      for j in 0..<n {
        m[col * n + j] = field.reduce(m[col * n + j] * scale)
        inv[col * n + j] = field.reduce(inv[col * n + j] * scale)
      }
      for r in 0..<n where r != col {
        let f = m[r * n + col]
        guard f != 0 else { continue }
        for j in 0..<n {
          m[r * n + j] = field.reduce(m[r * n + j] - field.reduce(f * m[col * n + j]))
          inv[r * n + j] = field.reduce(inv[r * n + j] - field.reduce(f * inv[col * n + j]))
        }
      }
    }
    return inv
  }

  /// A rows × cols block of centred doubles as a `ModularMatrix` of residues.
  static func residues(_ a: UnsafePointer<Double>, rows: Int, cols: Int, ld: Int, field: CentredResidues) -> ModularMatrix {
    var out = ModularMatrix(rows: rows, cols: cols, field: PrimeField(unchecked: field.prime))
    out.withUnsafeMutableBufferPointer { buf in
      for r in 0..<rows { for c in 0..<cols { buf[r * cols + c] = field.residue(a[r * ld + c]) } }
    }
    return out
  }
}

/// A basis of the column space of a matrix with few rows and many columns, met block by block:
/// basis vectors u_1 … u_d (as the rows of `vectors`) with pivot rows such that u_j is 1 at its
/// own pivot row and 0 at every other's. The left kernel {z : zᵀM = 0} then has the basis
/// z_i = e_i − Σ_j u_j[i] e_{pivot j}, one per row i that is no pivot.
struct ColumnSpaceEchelon {
  /// Rows of the matrix.
  let rows: Int
  let field: CentredResidues
  /// d × rows, row-major: the basis vectors.
  private(set) var vectors: [Double] = []
  /// The pivot row of each basis vector.
  private(set) var pivots: [Int] = []

  init(rows: Int, field: CentredResidues) {
    self.rows = rows
    self.field = field
  }

  /// The dimension d of the column space met so far.
  var dimension: Int { pivots.count }

  /// Adds the columns of B (the first `rows` rows of a row-major block with `cols` columns and
  /// leading dimension `ld`, centred) to the span.
  mutating func add(_ block: UnsafePointer<Double>, cols: Int, ld: Int, threads: Int) {
    let m = rows, d = dimension
    guard cols > 0, d < m else { return }
    // B' = B − U·B[P, :]: zero at the pivot rows.
    var b = [Double](repeating: 0, count: m * cols)
    for r in 0..<m { for c in 0..<cols { b[r * cols + c] = block[r * ld + c] } }
    if d > 0 {
      var x = [Double](repeating: 0, count: d * cols)
      for (j, pr) in pivots.enumerated() { for c in 0..<cols { x[j * cols + c] = b[pr * cols + c] } }
      vectors.withUnsafeBufferPointer { u in
        x.withUnsafeBufferPointer { xb in
          b.withUnsafeMutableBufferPointer { bb in
            ResidueAlgebra.multiply(m: m, n: cols, k: d, sign: -1, a: u.baseAddress!, lda: m, transA: true,
                                    b: xb.baseAddress!, ldb: cols, c: bb.baseAddress!, ldc: cols, accumulate: true,
                                    field: field, threads: threads)
          }
        }
      }
    }
    let profile = b.withUnsafeBufferPointer {
      ResidueAlgebra.residues($0.baseAddress!, rows: m, cols: cols, ld: cols, field: field).rankProfile(threads: 1)
    }
    let r = profile.rank
    guard r > 0 else { return }
    // New vectors: B'[:, C'] · (B'[R', C'])⁻¹, the identity at the new pivot rows R'.
    var square = [Double](repeating: 0, count: r * r)
    for (i, pr) in profile.pivotRows.enumerated() { for (j, pc) in profile.pivotCols.enumerated() { square[i * r + j] = b[pr * cols + pc] } }
    guard let inv = ResidueAlgebra.inverse(square, n: r, field: field) else { preconditionFailure("a rank profile's minor is singular") }
    var picked = [Double](repeating: 0, count: m * r)
    for row in 0..<m { for (j, pc) in profile.pivotCols.enumerated() { picked[row * r + j] = b[row * cols + pc] } }
    // newVectors (r × m) = (picked · inv)ᵀ = invᵀ · pickedᵀ.
    let newVectors = ResidueAlgebra.product(inv, picked, m: r, k: r, n: m, transA: true, transB: true, field: field, threads: threads)
    if d > 0 {
      // Old vectors lose their entries at the new pivot rows: U ← U − newU · U[R', :], as rows:
      // vectors (d × m) −= Y (d × r) · newVectors (r × m), Y[j, i] = u_j[R'_i].
      var y = [Double](repeating: 0, count: d * r)
      for j in 0..<d { for (i, pr) in profile.pivotRows.enumerated() { y[j * r + i] = vectors[j * m + pr] } }
      y.withUnsafeBufferPointer { yb in
        newVectors.withUnsafeBufferPointer { nb in
          vectors.withUnsafeMutableBufferPointer { vb in
            ResidueAlgebra.multiply(m: d, n: m, k: r, sign: -1, a: yb.baseAddress!, lda: r, b: nb.baseAddress!, ldb: m,
                                    c: vb.baseAddress!, ldc: m, accumulate: true, field: field, threads: threads)
          }
        }
      }
    }
    vectors.append(contentsOf: newVectors)
    pivots.append(contentsOf: profile.pivotRows)
  }

  /// The left kernel's basis (rows − d) × rows, row-major.
  func leftKernel() -> [Double] {
    let m = rows
    let isPivot = Set(pivots)
    let free = (0..<m).filter { !isPivot.contains($0) }
    var z = [Double](repeating: 0, count: free.count * m)
    for (k, i) in free.enumerated() {
      z[k * m + i] = 1
      for (j, pr) in pivots.enumerated() { z[k * m + pr] = field.reduce(z[k * m + pr] - vectors[j * m + i]) }
    }
    return z
  }
}
