import Dispatch
import Exact
import Foundation

/// Gaussian elimination over Z/pZ that reveals a rank profile.
///
/// **Fast kernel (primes in [2^10, 2^26)).** Residues are held as integers in centred form
/// |x| ≤ h = ⌊p/2⌋ + 8 inside `Double`s. Every value ever formed is an integer of magnitude
/// below 2^53, so each `Double` operation is exact: this is integer arithmetic carried by the
/// floating-point unit (the FFLAS-FFPACK technique), not floating-point approximation. A
/// product of two residues is at most h² < 2^50, so up to `delay` = ⌊(2^53 − p − h) / h²⌋
/// products (31 for p < 2^25) can be summed before one reduction x ↦ x − p·round(x/p) is
/// needed. The quotient round(x·(1/p)) may be off by one near a half-integer, which is why the
/// bound h carries a margin of 8.
///
/// The elimination is right-looking and blocked: a panel of at most min(`delay`, 48) columns is
/// factored with lazy reduction (row pivoting, skipping columns without a pivot), the
/// panel's pivot rows are completed by a triangular solve, and the trailing rows are updated
/// by one matrix product with a single delayed reduction per entry (BLAS `dgemm` on row slabs
/// split over threads; small products use a 4×4 register-blocked kernel). Elimination stops as soon as every row is a pivot
/// row or the rows below the pivots are zero, so a rank-r matrix costs O(m·n·r).
///
/// **Other primes** (below 2^10, or in [2^26, 2^63)) use an unblocked elimination on
/// `UInt64` residues with `PrimeField` arithmetic: the same rank profile, much slower.
public enum ModularElimination {
  /// The number of threads used by default: the CPUs this process may use (`AvailableCPUs`:
  /// affinity mask and cgroup quota).
  public static var defaultThreads: Int { AvailableCPUs.count }

  /// The widest panel (measured: 48 balances the scalar panel factorisation against the
  /// BLAS trailing updates on 500–1000-column Hessians). Primes below 2^24 reach it (delay
  /// ≥ 127); primes in [2^24, 2^25) have delay 31, which caps their panels.
  static let maxPanelWidth = 48

  /// The primes the fast kernel accepts.
  public static let fastPrimeRange: Range<UInt64> = (1 << 10)..<(1 << 26)

  /// How many products of centred residues can be summed exactly before reducing, for the
  /// fast kernel and the prime p (nil when p is outside `fastPrimeRange`).
  public static func delay(forPrime p: UInt64) -> Int? {
    guard fastPrimeRange.contains(p) else { return nil }
    let h = p / 2 + 8
    return Int(((1 << 53) - p - h) / (h * h))
  }

  /// Rank profile of `matrix` (see `ModularMatrix.rankProfile(threads:)`).
  public static func rankProfile(of matrix: ModularMatrix, threads: Int = defaultThreads)
    -> (rank: Int, pivotRows: [Int], pivotCols: [Int])
  {
    let e = eliminate(matrix, threads: threads)
    return (e.rank, e.pivotRows, e.pivotCols)
  }

  /// What an elimination found: the rank profile and the pivot values (residues in [0, p)),
  /// whose product is ± det M[pivotRows, pivotCols].
  struct Outcome {
    var rank: Int
    var pivotRows: [Int]
    var pivotCols: [Int]
    var pivotValues: [UInt64]
  }

  /// Runs the fast kernel when the prime allows it, the generic one otherwise.
  static func eliminate(_ matrix: ModularMatrix, threads: Int = defaultThreads) -> Outcome {
    let m = matrix.rows, n = matrix.cols
    if m == 0 || n == 0 { return Outcome(rank: 0, pivotRows: [], pivotCols: [], pivotValues: []) }
    let p = matrix.field.p
    guard let arithmetic = _CentredArithmetic(prime: p) else {
      return genericElimination(of: matrix)
    }
    let work = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
    defer { work.deallocate() }
    matrix.withUnsafeBufferPointer { src in
      for k in 0..<(m * n) { work[k] = arithmetic.centred(src[k]) }
    }
    return _CentredDoubleElimination(arithmetic: arithmetic, rows: m, cols: n, a: work, threads: max(1, threads)).run()
  }

  /// The unblocked reference elimination on `UInt64` residues (any prime below 2^63).
  static func genericElimination(of matrix: ModularMatrix) -> Outcome {
    let m = matrix.rows, n = matrix.cols
    let f = matrix.field
    var a = matrix.entries
    var perm = Array(0..<m)
    var pivotCols: [Int] = []
    var pivotValues: [UInt64] = []
    var r = 0
    for c in 0..<n where r < m {
      guard let piv = (r..<m).first(where: { a[$0 * n + c] != 0 }) else { continue }
      if piv != r {
        for j in c..<n { a.swapAt(piv * n + j, r * n + j) }
        perm.swapAt(piv, r)
      }
      pivotValues.append(a[r * n + c])
      let inv = f.inverse(a[r * n + c])!  // nonzero in a field
      for i in (r + 1)..<m where a[i * n + c] != 0 {
        let factor = f.multiply(a[i * n + c], inv)
        a[i * n + c] = 0
        for j in (c + 1)..<n where a[r * n + j] != 0 {
          a[i * n + j] = f.subtract(a[i * n + j], f.multiply(factor, a[r * n + j]))
        }
      }
      pivotCols.append(c)
      r += 1
    }
    return Outcome(rank: r, pivotRows: Array(perm[0..<r]), pivotCols: pivotCols, pivotValues: pivotValues)
  }
}

/// The blocked elimination on centred residues stored in doubles (see `ModularElimination`).
struct _CentredDoubleElimination {
  let arithmetic: _CentredArithmetic
  let m: Int
  let n: Int
  let a: UnsafeMutablePointer<Double>
  let threads: Int

  init(arithmetic: _CentredArithmetic, rows: Int, cols: Int, a: UnsafeMutablePointer<Double>, threads: Int) {
    self.arithmetic = arithmetic
    self.m = rows
    self.n = cols
    self.a = a
    self.threads = threads
  }

  func run() -> ModularElimination.Outcome {
    let ar = arithmetic
    var perm = Array(0..<m)
    var pivotCols: [Int] = []
    var pivotValues: [UInt64] = []
    pivotCols.reserveCapacity(min(m, n))
    let panelWidth = min(ar.delay, ModularElimination.maxPanelWidth)
    var r = 0
    var c0 = 0
    var panelPivots: [Int] = []
    while c0 < n && r < m {
      let cEnd = min(c0 + panelWidth, n)
      panelPivots.removeAll(keepingCapacity: true)
      // 1. Factor the panel, columns c0..<cEnd, reducing lazily: an entry is reduced when
      //    its column is searched for a pivot or its row becomes the pivot row; in between it
      //    takes at most cEnd − c0 − 1 < delay unreduced updates (|x| ≤ h + delay·h² < 2^53).
      for c in c0..<cEnd where r < m {
        for i in r..<m { a[i * n + c] = ar.reduce(a[i * n + c]) }
        var piv = r
        while piv < m && a[piv * n + c] == 0 { piv += 1 }
        if piv == m { continue }
        if piv != r {
          swapRows(piv, r, from: c0)
          perm.swapAt(piv, r)
        }
        pivotValues.append(ar.residue(a[r * n + c]))
        eliminateBelow(pivotRow: r, column: c, panelEnd: cEnd)
        panelPivots.append(c)
        pivotCols.append(c)
        r += 1
      }
      let k = panelPivots.count
      if k > 0 && cEnd < n {
        // 2. Complete the panel's pivot rows on the trailing columns (unit lower solve):
        //    at most k − 1 ≤ delay products per entry, then one reduction.
        let top = r - k
        if k > 1 { completePivotRows(top: top, pivots: panelPivots, from: cEnd) }
        // 3. Trailing update of the rows below the pivots: one product, one reduction.
        if r < m { trailingUpdate(top: top, below: r, pivots: panelPivots, from: cEnd) }
      }
      // 4. Stop early when the rows below the pivots are zero (checked when a panel column
      //    had no pivot, the sign of rank deficiency).
      let panelHadGap = k < cEnd - c0
      c0 = cEnd
      if panelHadGap, r < m, c0 < n, trailingIsZero(below: r, from: c0) { break }
    }
    return ModularElimination.Outcome(
      rank: r, pivotRows: Array(perm[0..<r]), pivotCols: pivotCols, pivotValues: pivotValues)
  }

  /// Splits 0..<count into `threads` ranges run concurrently when `work` is large enough to
  /// pay for the synchronisation; otherwise runs one range inline.
  func parallelRanges(count: Int, work: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
    let parts = threads > 1 && work >= 1 << 16 ? min(threads, max(1, count / 64)) : 1
    if parts <= 1 {
      body(0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: parts) { t in
      body((count * t / parts)..<(count * (t + 1) / parts))
    }
  }

  /// Eliminates column `c` below the pivot row within the panel columns c+1..<panelEnd,
  /// storing the multipliers in column c (rows split over threads). Column c is reduced (by
  /// the pivot search); the pivot row is reduced here; the updates are left unreduced.
  func eliminateBelow(pivotRow r: Int, column c: Int, panelEnd: Int) {
    let prow = a + r * n
    for j in (c + 1)..<max(c + 1, panelEnd) { prow[j] = arithmetic.reduce(prow[j]) }
    let inv = arithmetic.inverse(prow[c])
    let ar = arithmetic, a = _SharedPointer(base: self.a), n = self.n
    let rows = m - r - 1
    parallelRanges(count: rows, work: rows * (panelEnd - c)) { range in
      let prow = a.base + r * n
      for i in range {
        let row = a.base + (r + 1 + i) * n
        let x = row[c]
        if x == 0 { continue }
        let f = ar.reduce(x * inv)
        row[c] = f
        var j = c + 1
        while j < panelEnd {
          row[j] -= f * prow[j]
          j += 1
        }
      }
    }
  }

  /// Completes the panel's pivot rows top..<top+k on the trailing columns from..<n by the unit
  /// lower triangular solve with the panel's multipliers: at most k − 1 ≤ delay products per
  /// entry, then one reduction. Columns are independent, so they are split over threads.
  func completePivotRows(top: Int, pivots: [Int], from c: Int) {
    let k = pivots.count
    let ar = arithmetic, a = _SharedPointer(base: self.a), n = self.n
    parallelRanges(count: n - c, work: (n - c) * k * k / 2) { range in
      let lo = c + range.lowerBound, hi = c + range.upperBound
      for t in 1..<k {
        let row = a.base + (top + t) * n
        for s in 0..<t {
          let f = row[pivots[s]]
          if f == 0 { continue }
          let urow = a.base + (top + s) * n
          var j = lo
          while j < hi {
            row[j] -= f * urow[j]
            j += 1
          }
        }
        var j = lo
        while j < hi {
          row[j] = ar.reduce(row[j])
          j += 1
        }
      }
    }
  }

  func swapRows(_ i: Int, _ j: Int, from c: Int) {
    let x = a + i * n, y = a + j * n
    for t in c..<n { swap(&x[t], &y[t]) }
  }

  func trailingIsZero(below r: Int, from c: Int) -> Bool {
    for i in r..<m {
      let row = a + i * n
      for j in c..<n where row[j] != 0 { return false }
    }
    return true
  }

  /// C −= L·U with C = rows below..<m, columns from..<n; L[i][s] = a[i][pivots[s]] and U the
  /// pivot rows top..<top+k on the same columns.
  func trailingUpdate(top: Int, below: Int, pivots: [Int], from c: Int) {
    let k = pivots.count
    let rowsC = m - below
    let l = UnsafeMutablePointer<Double>.allocate(capacity: rowsC * k)
    defer { l.deallocate() }
    for i in 0..<rowsC {
      let row = a + (below + i) * n
      for s in 0..<k { l[i * k + s] = row[pivots[s]] }
    }
    arithmetic.multiplySubtract(
      c: a + below * n + c, ldc: n, l: l, u: a + top * n + c, ldu: n, rows: rowsC, cols: n - c, k: k,
      reducing: true, threads: threads)
  }
}
