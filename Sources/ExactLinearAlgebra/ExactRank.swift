import CGMP
import Dispatch
import Exact
import Synchronization

/// Proved ranks over Q, each returned with the certificate that proves it.
///
/// * `certify(_:seed:)` — Las Vegas, fast: the rank profile modulo a random prime gives a
///   nonsingular minor M[R, C] (lower bound). If the rank is min(rows, cols) that is all.
///   Otherwise the kernel vectors are solved exactly from the minor (M[R,C]·x = −M[R,j] for
///   every non-pivot column j, denominators cleared) and checked against *every* row of M;
///   the check failing means the prime was unlucky (rank_p < rank_Q), and a new prime is
///   drawn. The answer is always proved; only the running time is random.
/// * `certifyByBareiss(_:)` — deterministic: Bareiss elimination, then the kernel from the
///   fraction-free reduced echelon form.
public enum ExactRank {
  /// A proved rank and its certificate (verified by the caller or by `check`).
  public static func certify(
    _ matrix: IntegerMatrix, seed: UInt64 = 0, threads: Int = ModularElimination.defaultThreads,
    maxPrimes: Int = 20
  ) -> RankCertificate {
    let full = min(matrix.rows, matrix.cols)
    var primes = ModularRank.RandomPrimes(seed: seed)
    var best = -1
    for _ in 0..<maxPrimes {
      let p = primes.next()
      let profile = matrix.residues(modulo: PrimeField(unchecked: p)).rankProfile(threads: threads)
      // A smaller rank than one already seen cannot be the rank over Q: skip it.
      guard profile.rank > best else { continue }
      best = profile.rank
      let method = "modular profile mod \(p)"
      if profile.rank == full {
        return RankCertificate(
          rows: matrix.rows, cols: matrix.cols, rank: profile.rank, pivotRows: profile.pivotRows,
          pivotCols: profile.pivotCols, method: method + ", full rank")
      }
      let kernel = kernelVectors(
        of: matrix, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: p, threads: threads)
      if annihilatesAll(matrix, kernel, threads: threads) {
        return RankCertificate(
          rows: matrix.rows, cols: matrix.cols, rank: profile.rank, pivotRows: profile.pivotRows,
          pivotCols: profile.pivotCols, kernel: kernel, method: method + " + exact kernel")
      }
    }
    return certifyByBareiss(matrix)
  }

  /// The proved rank by Bareiss elimination, with the exact minor determinant and kernel.
  public static func certifyByBareiss(_ matrix: IntegerMatrix) -> RankCertificate {
    let result = matrix.bareiss()
    let full = min(matrix.rows, matrix.cols)
    let kernel =
      result.rank == full
      ? nil : kernelVectors(of: matrix, pivotRows: result.pivotRows, pivotCols: result.pivotCols)
    return RankCertificate(
      rows: matrix.rows, cols: matrix.cols, rank: result.rank, pivotRows: result.pivotRows,
      pivotCols: result.pivotCols, minorDeterminant: result.minorDeterminant, kernel: kernel,
      method: "bareiss")
  }

  /// True when M·v = 0 exactly for every vector (checked on all rows, split over threads).
  public static func annihilatesAll(_ matrix: IntegerMatrix, _ vectors: [SparseIntegerVector], threads: Int) -> Bool {
    let failed = Atomic<Bool>(false)
    let words = matrix.wordEntries()
    let parts = max(1, min(threads, vectors.count))
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      var k = part
      while k < vectors.count && !failed.load(ordering: .relaxed) {
        if !matrix.annihilates(indices: vectors[k].indices, values: vectors[k].values, words: words) {
          failed.store(true, ordering: .relaxed)
        }
        k += parts
      }
    }
    return !failed.load(ordering: .relaxed)
  }

  /// For each non-pivot column j, the integer vector v with M[R,C]·v[C] = −M[R,j]·v[j]
  /// (v[j] > 0, zero at the other non-pivot columns). These are kernel vectors of M exactly
  /// when the rows outside R depend on the rows in R, i.e. when |R| is the rank. M[R, C] must
  /// be nonsingular (and, when `prime` is given, nonsingular modulo it).
  ///
  /// With `prime` (a prime the fast modular kernel accepts) the system is solved by p-adic
  /// lifting (`DixonLifting`); otherwise, or when the entries are too large for it, by
  /// fraction-free Gauss–Jordan elimination.
  public static func kernelVectors(
    of matrix: IntegerMatrix, pivotRows: [Int], pivotCols: [Int], prime: UInt64? = nil,
    threads: Int = ModularElimination.defaultThreads
  ) -> [SparseIntegerVector] {
    let n = matrix.cols
    var isPivot = [Bool](repeating: false, count: n)
    for c in pivotCols { isPivot[c] = true }
    let others = (0..<n).filter { !isPivot[$0] }
    if others.isEmpty { return [] }
    if let p = prime {
      let b = matrix.submatrix(rows: pivotRows, cols: pivotCols)
      let rhs = matrix.submatrix(rows: pivotRows, cols: others)
      for k in 0..<(rhs.rows * rhs.cols) { __gmpz_neg(rhs.storage + k, rhs.storage + k) }
      if let (z, d) = DixonLifting.solve(b, rhs, prime: p, threads: threads) {
        return others.enumerated().map { (k, j) in
          var pairs: [(Int, BigInt)] = [(j, d)]
          for t in 0..<pivotCols.count { pairs.append((pivotCols[t], z[t, k])) }
          return SparseIntegerVector(pairs: pairs).dividedByContent(startingWith: d)
        }
      }
    }
    // Gauss–Jordan on M[R, C ++ others]: the pivots fall on the first |C| columns.
    let sub = matrix.submatrix(rows: pivotRows, cols: pivotCols + others)
    let form = sub.fractionFreeReducedForm(columnOrder: Array(0..<pivotCols.count))
    precondition(form.rank == pivotCols.count, "the pivot minor is singular")
    let local = IntegerMatrix.kernelVectors(from: form, cols: sub.cols)
    let columnOf = pivotCols + others
    return local.enumerated().map { (k, v) in
      SparseIntegerVector(pairs: zip(v.indices, v.values).map { (columnOf[$0], $1) })
        .normalized(positiveAt: others[k])
    }
  }
}
