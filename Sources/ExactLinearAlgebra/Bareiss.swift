import CGMP
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
    let work = copy()
    return work.bareissInPlace()
  }

  /// Bareiss elimination that overwrites this matrix with its fraction-free echelon form.
  func bareissInPlace() -> BareissResult {
    let m = rows, n = cols
    var perm = Array(0..<m)
    var pivotCols: [Int] = []
    let prev = MPZScratch(2)  // prev pivot, temporary
    __gmpz_set_ui(prev[0], 1)
    let t = prev[1]
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
      let prow = storage + r * n
      let pivot = prow + c
      let divide = __gmpz_cmp_ui(prev[0], 1) != 0
      for i in (r + 1)..<m {
        let row = storage + i * n
        let lead = row + c
        let leadZero = cgmp_mpz_sgn(lead) == 0
        for j in (c + 1)..<n {
          let x = row + j
          // x ← (pivot·x − lead·prow[j]) / prev
          __gmpz_mul(t, pivot, x)
          if !leadZero { __gmpz_submul(t, lead, prow + j) }
          if divide { __gmpz_divexact(x, t, prev[0]) } else { __gmpz_swap(x, t) }
        }
        __gmpz_set_ui(lead, 0)
      }
      __gmpz_set(prev[0], pivot)
      pivotCols.append(c)
      r += 1
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
