import CGMP
import Dispatch
import Exact

/// The outcome of fraction-free (Bareiss) elimination on an integer matrix.
public struct BareissResult: Sendable, Equatable {
  /// The rank over Q.
  public let rank: Int
  /// The original indices of the pivot rows, in pivot order.
  public let pivotRows: [Int]
  /// The pivot columns, increasing.
  public let pivotCols: [Int]
  /// det M[pivotRows, pivotCols] with the rows taken in the listed order: nonzero, and 1 for
  /// rank 0 (the empty minor).
  public let minorDeterminant: BigInt
}

extension IntegerMatrix {
  /// Fraction-free Gaussian elimination (Bareiss) with pivot search, for any shape and rank.
  ///
  /// Every intermediate entry is a minor of the matrix, so every division is exact and the
  /// entries stay as small as determinants allow (Bareiss 1968, Sylvester's identity). Column
  /// k is skipped when it has no nonzero entry below the current pivots; the rows are
  /// permuted as pivots are found. The matrix itself is not modified.
  ///
  /// - Complexity: O(m·n·r) operations on integers up to the size of an r×r minor.
  public func bareiss() -> BareissResult {
    bareiss(threads: ModularElimination.defaultThreads)
  }

  /// `bareiss()` with the row updates of each step split over `threads` threads (the result
  /// does not depend on the number of threads).
  public func bareiss(threads: Int) -> BareissResult {
    let work = copy()
    return work.bareissInPlace(threads: threads)
  }

  /// Bareiss elimination that overwrites this matrix with its fraction-free echelon form
  /// (rows that became zero are moved below the pivot rows and no longer updated).
  ///
  /// The update x ← (pivot·x − lead·prow[j]) / prev runs in place on the contiguous buffer
  /// with one GMP temporary per thread (`mpz_mul`, `mpz_submul`, `mpz_divexact`); the rows
  /// below the pivot are independent, so they are dealt round-robin to the threads.
  func bareissInPlace(threads: Int = 1) -> BareissResult {
    var m = rows
    let n = cols
    var perm = Array(0..<m)
    var pivotCols: [Int] = []
    let prev = MPZScratch(1)  // the previous pivot
    __gmpz_set_ui(prev[0], 1)
    let parts = max(1, min(threads, 8))
    let scratch = MPZScratch(parts)  // one temporary per thread
    let zeroRow = UnsafeMutablePointer<Bool>.allocate(capacity: max(m, 1))
    defer { zeroRow.deallocate() }
    let shared = (_SharedPointer(base: storage), _SharedPointer(base: prev[0]), _SharedPointer(base: scratch.base),
                  _SharedPointer(base: zeroRow))
    var r = 0
    for c in 0..<n where r < m {
      // Pick the nonzero entry of smallest size in column c as the pivot.
      var piv = -1
      var best = Int.max
      for i in r..<m where cgmp_mpz_sgn(storage + (i * n + c)) != 0 {
        let size = cgmp_mpz_size(storage + (i * n + c))
        if size < best {
          best = size
          piv = i
        }
      }
      if piv < 0 { continue }
      if piv != r {
        for j in c..<n { __gmpz_swap(storage + (piv * n + j), storage + (r * n + j)) }
        perm.swapAt(piv, r)
      }
      let divide = __gmpz_cmp_ui(prev[0], 1) != 0
      let pivotRow = r, first = r + 1, count = m - first
      let body: @Sendable (Int) -> Void = { part in
        let storage = shared.0.base, prev = shared.1.base, t = shared.2.base + part
        let prow = storage + pivotRow * n
        let pivot = prow + c
        var i = first + part
        while i < first + count {
          let row = storage + i * n
          let lead = row + c
          let leadZero = cgmp_mpz_sgn(lead) == 0
          var nonzero = false
          for j in (c + 1)..<n {
            let x = row + j
            if leadZero && cgmp_mpz_sgn(x) == 0 { continue }  // stays 0
            // x ← (pivot·x − lead·prow[j]) / prev
            __gmpz_mul(t, pivot, x)
            if !leadZero { __gmpz_submul(t, lead, prow + j) }
            if divide { __gmpz_divexact(x, t, prev) } else { __gmpz_swap(x, t) }
            if !nonzero && cgmp_mpz_sgn(x) != 0 { nonzero = true }
          }
          __gmpz_set_ui(lead, 0)
          shared.3.base[i] = !nonzero
          i += parts
        }
      }
      // Threads only for steps worth a hand-off (~0.1 ms): entry updates weighted by the
      // pivot's limbs (a tiny matrix's early steps of one-limb entries stay on this thread).
      let updates = count * (n - c - 1) * max(1, cgmp_mpz_size(storage + (r * n + c)))
      if parts > 1 && count >= 2 * parts && updates >= 8192 {
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
      } else {
        for part in 0..<parts { body(part) }
      }
      __gmpz_set(prev[0], storage + (r * n + c))
      pivotCols.append(c)
      r += 1
      // Early exit on zero rows: a row that is zero right of the pivot stays zero; move it
      // below the active rows.
      var i = r
      while i < m {
        if zeroRow[i] {
          m -= 1
          if i != m {
            for j in (c + 1)..<n { __gmpz_swap(storage + (i * n + j), storage + (m * n + j)) }
            perm.swapAt(i, m)
            zeroRow[i] = zeroRow[m]
            continue
          }
        }
        i += 1
      }
    }
    return BareissResult(
      rank: r, pivotRows: Array(perm[0..<r]), pivotCols: pivotCols,
      minorDeterminant: BigInt(copying: prev[0]))
  }

  /// The exact rank over Q (by Bareiss elimination).
  public func bareissRank() -> Int { bareiss().rank }

  /// The determinant of a square matrix (1 for the 0×0 matrix), by Bareiss elimination.
  public func determinant() -> BigInt {
    precondition(rows == cols, "determinant of a non-square \(rows)×\(cols) matrix")
    let result = bareiss()
    guard result.rank == rows else { return BigInt(0) }
    // det M = sign(π) · det M[π, :] where π lists the pivot rows in pivot order.
    return permutationSign(result.pivotRows) < 0 ? -result.minorDeterminant : result.minorDeterminant
  }
}

/// +1 or −1: the sign of a permutation of 0..<n given as an array.
func permutationSign(_ perm: [Int]) -> Int {
  var seen = [Bool](repeating: false, count: perm.count)
  var sign = 1
  for start in 0..<perm.count where !seen[start] {
    var length = 0
    var i = start
    while !seen[i] {
      seen[i] = true
      i = perm[i]
      length += 1
    }
    if length % 2 == 0 { sign = -sign }
  }
  return sign
}
