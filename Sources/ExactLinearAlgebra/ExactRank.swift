import CGMP
import Dispatch
import Exact
import Synchronization

/// Proved ranks over Q, each returned with the certificate that proves it.
///
/// * `certify(_:seed:)` — fast: the rank profile modulo a random prime gives a nonsingular
///   minor M[R, C] (lower bound). If the rank is min(rows, cols) that is all. Otherwise the
///   upper bound comes by one of two routes (`UpperBoundRoute`), the cheaper by a cost model
///   unless one is asked for:
///   * **kernel** (Las Vegas): the kernel vectors are solved exactly from the minor
///     (M[R,C]·x = −M[R,j] for every non-pivot column j, denominators cleared) and checked
///     against *every* row of M; the check failing means the prime was unlucky
///     (rank_p < rank_Q), and a new prime is drawn. Cheap when the nullity or the rank is small.
///   * **primes** (deterministic argument, `PrimeProductProof`): ranks modulo further primes
///     until their product passes Hadamard's bound on the (r+1)-minors. Cheap for large
///     low-rank matrices, whose kernel vectors have entries as large as r×r minors.
///   Output-sensitive: when the model prefers primes, the kernel is still lifted first with
///   early termination, for a quarter of the primes route's estimated work; kernels far
///   smaller than Hadamard's bound (typical of Hessians) finish within it, large ones give up
///   and the primes route runs.
///   The answer is always proved; only the running time depends on the primes drawn.
/// * `certifyByBareiss(_:)` — deterministic: Bareiss elimination, then the kernel from the
///   fraction-free reduced echelon form.
public enum ExactRank {
  /// How `certify` proves the upper bound rank ≤ r when r < min(rows, cols).
  public enum UpperBoundRoute: String, Sendable, CaseIterable {
    /// The cheaper of `kernel` and `primes` by `preferredRoute(rows:cols:rank:requiredBits:)`.
    case automatic = "auto"
    /// Exact kernel vectors (a certificate that is cheap to check, and large).
    case kernel
    /// Ranks modulo primes whose product passes the Hadamard bound (small, check repeats the work).
    case primes
  }

  /// The route the cost model prefers: `primes` when its ≈ k·m·n·r operations on machine words
  /// (k = ⌈bits/23⌉ primes) are below the kernel's ≈ k·r²·(n − r) word operations of p-adic
  /// lifting (the solution has about as many bits as an r-minor) plus its exact check against
  /// every row, k/2.6·m·(r+1)·(n − r) limb products. Small problems (kernel work below
  /// `smallKernelWork`, a few hundredths of a second) take the kernel: its certificate is
  /// cheap to re-check.
  public static func preferredRoute(rows m: Int, cols n: Int, rank r: Int, requiredBits bits: Int) -> UpperBoundRoute {
    let kernelWork = kernelRouteWork(rows: m, cols: n, rank: r, requiredBits: bits)
    let primeWork = primeRouteWork(rows: m, cols: n, rank: r, requiredBits: bits)
    return kernelWork <= smallKernelWork || kernelWork < primeWork ? .kernel : .primes
  }

  /// The primes route's estimated word operations: k = ⌈bits/23⌉ eliminations of ≈ m·n·r/8
  /// (blocked double kernel, ~8 multiply-adds a cycle) plus the reductions of the entries.
  /// Multiplied out in Int: at most ~10^16 for the sizes the memory budget admits.
  public static func primeRouteWork(rows m: Int, cols n: Int, rank r: Int, requiredBits bits: Int) -> Int {
    PrimeProductProof.primesNeeded(bits: bits) * (m * n + m * n * r / 8)
  }

  /// The kernel route's estimated word operations when the solution is as large as Hadamard
  /// allows: k·r²·(n − r)/8 for the lifting and k/2.6·m·(r+1)·(n − r) limb products for the
  /// exact check against every row (k = ⌈bits/23⌉).
  public static func kernelRouteWork(rows m: Int, cols n: Int, rank r: Int, requiredBits bits: Int) -> Int {
    let k = PrimeProductProof.primesNeeded(bits: bits)
    let nullity = n - r
    return k * r * r * nullity / 8 + (k * 10 / 26 + 1) * m * (r + 1) * nullity
  }

  /// Under `automatic`, when the model prefers primes, the kernel route is still tried first
  /// with this fraction of the primes route's estimated work: lifting with early termination
  /// pays for the size the solution really has (structured matrices such as Hessians often
  /// have kernel vectors far below Hadamard's bound), and gives up at the budget.
  public static let outputSensitiveBudgetFraction = 4

  /// `certify` runs on one thread when rows·cols·min(rows, cols) is below this (≈ 128³).
  public static let singleThreadWork = 1 << 21

  /// Below this estimated kernel work `preferredRoute` takes the kernel regardless.
  public static let smallKernelWork = 1 << 25

  /// A proved rank and its certificate (verified by the caller or by `check`).
  /// - Parameter progress: called with a short message as the upper-bound proof advances
  ///   (for the primes route: primes done / primes needed).
  public static func certify(
    _ matrix: IntegerMatrix, seed: UInt64 = 0, threads: Int = ModularElimination.defaultThreads,
    maxPrimes: Int = 20, route: UpperBoundRoute = .automatic, progress: (String) -> Void = { _ in }
  ) -> RankCertificate {
    let full = min(matrix.rows, matrix.cols)
    // Small problems stay on one thread: hand-offs to a second thread cost more than they
    // save (and on a busy machine a thread that is not scheduled stalls every step).
    let threads = matrix.rows * matrix.cols * full < singleThreadWork ? 1 : threads
    var primes = ModularRank.RandomPrimes(seed: seed)
    var best = -1
    var estimate: EstimatedHadamardBits?  // computed once, when an upper bound is first needed
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
      var chosen = route
      // The lifting's budget: unlimited when the kernel route is chosen outright.
      var liftingBudget = Int.max
      if chosen == .automatic {
        // The cost model only needs the bound's size: from bit lengths (one cheap pass),
        // not the exact `HadamardBound` (a GMP product per entry), which the primes route
        // computes when it runs.
        if estimate == nil { estimate = EstimatedHadamardBits(matrix) }
        let bits = estimate!.bits(minorSize: profile.rank + 1)
        chosen = preferredRoute(rows: matrix.rows, cols: matrix.cols, rank: profile.rank, requiredBits: bits)
        if chosen == .primes {
          liftingBudget =
            primeRouteWork(rows: matrix.rows, cols: matrix.cols, rank: profile.rank, requiredBits: bits)
            / outputSensitiveBudgetFraction
          chosen = .kernel
        }
      }
      if chosen == .kernel {
        progress("rank ≤ \(profile.rank): \(matrix.cols - profile.rank) exact kernel vectors")
        let kernel =
          liftingBudget == .max
          ? kernelVectors(
            of: matrix, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: p, threads: threads)
          : liftedKernelVectors(
            of: matrix, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: p, threads: threads,
            workBudget: liftingBudget)
        if let kernel {
          if annihilatesAll(matrix, kernel, threads: threads) {
            return RankCertificate(
              rows: matrix.rows, cols: matrix.cols, rank: profile.rank, pivotRows: profile.pivotRows,
              pivotCols: profile.pivotCols, kernel: kernel, method: method + " + exact kernel")
          }
          continue  // an unlucky prime (rank_p < rank_Q): draw another
        }
        // Over the budget: the kernel vectors are large; prove the bound by primes.
      }
      return PrimeProductProof.certify(
        matrix, seed: seed ^ 0x5052_494D_4553, threads: threads, first: (p, profile)
      ) {
        done, needed in progress("rank ≤ \(profile.rank): \(done) of \(needed) primes")
      }
    }
    return certifyByBareiss(matrix)
  }

  /// The proved rank by Bareiss elimination, with the exact minor determinant and kernel.
  public static func certifyByBareiss(
    _ matrix: IntegerMatrix, threads: Int = ModularElimination.defaultThreads
  ) -> RankCertificate {
    let result = matrix.bareiss(threads: threads)
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
    if let exact = annihilatesAllInDoubles(matrix, vectors, threads: threads) { return exact }
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

  /// `annihilatesAll` as one exact product in doubles, or nil when the sizes do not allow it.
  ///
  /// The columns used by more than one vector (for kernel vectors from a minor: its pivot
  /// columns) form a dense m×q matrix A and the vectors a dense q×s matrix V; A·V is one
  /// `dgemm`, and each vector's own columns are added to its column of the product one by
  /// one. Exact: with entries of M below 2^a, of the vectors below 2^b, and at most c nonzeros
  /// per vector, every partial sum in any order is below c·2^(a+b) ≤ 2^53 (a + b + ⌈log2 c⌉ ≤ 53),
  /// an integer that doubles hold exactly. Taken only when the dense product costs at most
  /// 16× the sparse one (vectors with many private columns stay on the sparse path).
  static func annihilatesAllInDoubles(_ matrix: IntegerMatrix, _ vectors: [SparseIntegerVector], threads: Int) -> Bool? {
    let m = matrix.rows, n = matrix.cols, s = vectors.count
    if s == 0 || m == 0 { return true }
    var uses = [Int32](repeating: 0, count: n)
    var maxNonzeros = 0, totalNonzeros = 0, bitsV = 0
    for v in vectors {
      maxNonzeros = max(maxNonzeros, v.indices.count)
      totalNonzeros += v.indices.count
      for j in v.indices { uses[j] += 1 }
      for x in v.values {
        bitsV = max(bitsV, x.withMPZ { mpzBitLength($0) })
        if bitsV > 52 { return nil }
      }
    }
    var slot = [Int](repeating: -1, count: n)
    var shared: [Int] = []
    for j in 0..<n where uses[j] > 1 {
      slot[j] = shared.count
      shared.append(j)
    }
    let q = shared.count
    guard q * s <= 16 * totalNonzeros else { return nil }
    let logC = maxNonzeros <= 1 ? 0 : Int.bitWidth - (maxNonzeros - 1).leadingZeroBitCount
    guard bitsV + logC <= 52 else { return nil }
    let bitsLimit = 53 - bitsV - logC  // entries of M must be below 2^bitsLimit
    var usedBits = 0
    for i in 0..<m {
      let row = matrix.rowPointer(i)
      for j in 0..<n where uses[j] > 0 { usedBits = max(usedBits, mpzBitLength(row + j)) }
    }
    guard usedBits <= bitsLimit else { return nil }
    let a = UnsafeMutablePointer<Double>.allocate(capacity: max(1, m * q))
    let v = UnsafeMutablePointer<Double>.allocate(capacity: max(1, q * s))
    let product = UnsafeMutablePointer<Double>.allocate(capacity: m * s)
    defer {
      a.deallocate()
      v.deallocate()
      product.deallocate()
    }
    for i in 0..<m {
      let row = matrix.rowPointer(i)
      for (t, j) in shared.enumerated() { a[i * q + t] = Double(__gmpz_get_si(row + j)) }
    }
    v.initialize(repeating: 0, count: q * s)
    product.initialize(repeating: 0, count: m * s)
    for (k, vector) in vectors.enumerated() {
      for (j, x) in zip(vector.indices, vector.values) where slot[j] >= 0 {
        v[slot[j] * s + k] = Double(x.withMPZ { __gmpz_get_si($0) })
      }
    }
    if q > 0 {
      // Any accepted prime: the product is not reduced (`reducing: false`).
      let ar = _CentredArithmetic(prime: 16_777_259)!
      ar.multiplySubtract(c: product, ldc: s, l: a, u: v, ldu: s, rows: m, cols: s, k: q, reducing: false, threads: threads)
    }
    for (k, vector) in vectors.enumerated() {
      for (j, x) in zip(vector.indices, vector.values) where slot[j] < 0 {
        let y = Double(x.withMPZ { __gmpz_get_si($0) })
        for i in 0..<m { product[i * s + k] -= Double(__gmpz_get_si(matrix.storage + (i * n + j))) * y }
      }
    }
    for e in 0..<(m * s) where product[e] != 0 { return false }
    return true
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
    if let p = prime,
      let lifted = liftedKernelVectors(
        of: matrix, pivotRows: pivotRows, pivotCols: pivotCols, prime: p, threads: threads, workBudget: .max)
    {
      return lifted
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

  /// The kernel vectors of `kernelVectors(of:pivotRows:pivotCols:prime:threads:)` by p-adic
  /// lifting alone: nil when M[R, C] is singular modulo `prime` or the lifting would pass
  /// `workBudget` estimated word operations (`DixonLifting.solve`).
  static func liftedKernelVectors(
    of matrix: IntegerMatrix, pivotRows: [Int], pivotCols: [Int], prime p: UInt64, threads: Int, workBudget: Int
  ) -> [SparseIntegerVector]? {
    var isPivot = [Bool](repeating: false, count: matrix.cols)
    for c in pivotCols { isPivot[c] = true }
    let others = (0..<matrix.cols).filter { !isPivot[$0] }
    if others.isEmpty { return [] }
    if matrix.rows * matrix.cols * min(matrix.rows, matrix.cols) < singleThreadWork,
      let small = wordKernelVectors(of: matrix, pivotRows: pivotRows, pivotCols: pivotCols, others: others, prime: p)
    {
      return small
    }
    let b = matrix.submatrix(rows: pivotRows, cols: pivotCols)
    let rhs = matrix.submatrix(rows: pivotRows, cols: others)
    for k in 0..<(rhs.rows * rhs.cols) { __gmpz_neg(rhs.storage + k, rhs.storage + k) }
    guard let (z, d) = DixonLifting.solve(b, rhs, prime: p, threads: threads, workBudget: workBudget, smallPrime: true)
    else {
      return nil
    }
    return others.enumerated().map { (k, j) in
      var pairs: [(Int, BigInt)] = [(j, d[k])]
      for t in 0..<pivotCols.count { pairs.append((pivotCols[t], z[t, k])) }
      return SparseIntegerVector(pairs: pairs).dividedByContent(startingWith: d[k])
    }
  }
}

extension ExactRank {
  /// `liftedKernelVectors` for small problems in machine words (`WordDixonLifting`), or nil
  /// when an entry, a bound or a solution does not fit (the caller then lifts over GMP).
  /// The vectors are the same: the kernel vector with support in C ∪ {j} and v[j] > 0 is
  /// unique once divided by its content.
  static func wordKernelVectors(
    of matrix: IntegerMatrix, pivotRows: [Int], pivotCols: [Int], others: [Int], prime p: UInt64
  ) -> [SparseIntegerVector]? {
    let r = pivotRows.count, s = others.count
    var b = [Int64](repeating: 0, count: r * r), c = [Int64](repeating: 0, count: r * s)
    for (a, i) in pivotRows.enumerated() {
      let row = matrix.rowPointer(i)
      for (t, j) in pivotCols.enumerated() {
        guard cgmp_mpz_fits_slong_p(row + j) != 0 else { return nil }
        b[a * r + t] = Int64(__gmpz_get_si(row + j))
      }
      for (t, j) in others.enumerated() {
        guard cgmp_mpz_fits_slong_p(row + j) != 0 else { return nil }
        let v = __gmpz_get_si(row + j)
        guard v != Int.min else { return nil }
        c[a * s + t] = -Int64(v)  // the right-hand sides are −M[R, j]
      }
    }
    // The prime of `DixonLifting.solve(smallPrime: true)`: one in [2^23, 2^24).
    var draws = ModularRank.RandomPrimes(seed: p, range: PrimeProductProof.proofPrimeRange)
    guard let (z, d) = WordDixonLifting.solve(b: b, c: c, size: r, columns: s, prime: draws.next()) else { return nil }
    // Support C ∪ {j} in increasing order: the pivot columns sorted once, j inserted.
    let order = (0..<r).sorted { pivotCols[$0] < pivotCols[$1] }
    let sortedCols = order.map { pivotCols[$0] }
    return others.enumerated().map { (k, j) in
      var g = d[k].magnitude
      for t in 0..<r where g != 1 { g = wordGCD(g, z[t * s + k].magnitude) }
      let divisor = Int64(g)
      var indices: [Int] = [], values: [BigInt] = []
      indices.reserveCapacity(r + 1)
      values.reserveCapacity(r + 1)
      var placed = false
      for (u, col) in sortedCols.enumerated() {
        if !placed && j < col {
          indices.append(j)
          values.append(BigInt(Int(d[k] / divisor)))
          placed = true
        }
        let x = z[order[u] * s + k]
        if x != 0 {
          indices.append(col)
          values.append(BigInt(Int(x / divisor)))
        }
      }
      if !placed {
        indices.append(j)
        values.append(BigInt(Int(d[k] / divisor)))
      }
      return SparseIntegerVector(indices: indices, values: values)
    }
  }

  private static func wordGCD(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
  }
}

/// The size of Hadamard's bound on the k-minors of a matrix from the bit lengths of its
/// entries (one pass, no big products), for cost models: a row of c nonzero entries below
/// 2^b has norm below √c·2^b, so the sum of the k largest per-row bounds (or per column,
/// whichever is smaller) is at most about k bits above `HadamardBound.bits(minorSize:)`.
/// Not a proof bound (`PrimeProductProof` uses the exact one, which `check` repeats).
struct EstimatedHadamardBits {
  /// Twice log2 of each row's (column's) norm bound, largest first.
  private let rowHalfBits: [Int]
  private let colHalfBits: [Int]

  init(_ matrix: IntegerMatrix) {
    var rowTop = [Int](repeating: 0, count: matrix.rows), rowCount = rowTop
    var colTop = [Int](repeating: 0, count: matrix.cols), colCount = colTop
    for i in 0..<matrix.rows {
      let row = matrix.rowPointer(i)
      for j in 0..<matrix.cols where cgmp_mpz_sgn(row + j) != 0 {
        let b = mpzBitLength(row + j)
        rowTop[i] = max(rowTop[i], b)
        rowCount[i] += 1
        colTop[j] = max(colTop[j], b)
        colCount[j] += 1
      }
    }
    func twice(_ top: Int, _ count: Int) -> Int {
      count == 0 ? 0 : 2 * top + (count == 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount)
    }
    rowHalfBits = zip(rowTop, rowCount).map(twice).sorted(by: >)
    colHalfBits = zip(colTop, colCount).map(twice).sorted(by: >)
  }

  /// About ⌈log2⌉ of Hadamard's bound on every minor of size at most `minorSize`.
  func bits(minorSize k: Int) -> Int {
    let rows = (rowHalfBits.prefix(max(0, k)).reduce(0, +) + 1) / 2
    let cols = (colHalfBits.prefix(max(0, k)).reduce(0, +) + 1) / 2
    return min(rows, cols)
  }
}
