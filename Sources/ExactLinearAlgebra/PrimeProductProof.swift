import CGMP
import Dispatch
import Exact
import Synchronization

/// rank(M) ≤ r over Q, proved by ranks modulo enough primes instead of kernel vectors.
///
/// **The argument.** Suppose rank_Q(M) > r. Then some (r+1)×(r+1) minor D of M is a nonzero
/// integer. If rank(M mod p) ≤ r, every (r+1)-minor vanishes modulo p, so p divides D. For
/// distinct primes p₁, …, p_k with rank(M mod pᵢ) ≤ r for all i, their product divides D, so
/// ∏ pᵢ ≤ |D| ≤ H_{r+1}, Hadamard's bound on the (r+1)-minors (`ModularRank.hadamardBits(of:
/// minorSize:)`). Hence, if ∏ pᵢ > H_{r+1}, then rank_Q(M) ≤ r. Together with a nonsingular
/// r×r minor (the lower bound) this proves rank_Q(M) = r. Nothing is random: the primes may
/// be any primes; random ones merely make the first one's rank the true rank almost surely.
///
/// For the comparison only integers are used: ∏ pᵢ > 2^(Σ ⌊log2 pᵢ⌋) (a prime above 2 is not
/// a power of two), so Σ ⌊log2 pᵢ⌋ ≥ ⌈log2 H_{r+1}⌉ suffices.
///
/// **Cost.** About ⌈log2 H_{r+1} / 24⌉ eliminations modulo primes of [2^24, 2^25), each
/// O(m·n·r) and stopping at the rank: for the low-rank matrices with large entries that
/// Hessians are, far cheaper than exact kernel vectors (whose entries are r×r minors). The
/// check repeats the same eliminations, so the certificate is small but not cheap to check.
public enum PrimeProductProof {
  /// Σ ⌊log2 p⌋ over the primes above 2: their product exceeds 2 to this power.
  public static func guaranteedBits(_ primes: [UInt64]) -> Int {
    primes.reduce(0) { bits, p in bits + (p < 3 ? 0 : UInt64.bitWidth - 1 - p.leadingZeroBitCount) }
  }

  /// ⌈log2 H_{r+1}⌉: the bits the primes' product must reach to prove rank(M) ≤ r
  /// (0 when r ≥ min(rows, cols), where nothing needs proving).
  public static func requiredBits(of matrix: IntegerMatrix, rank r: Int) -> Int {
    requiredBits(HadamardBound(matrix), rank: r)
  }

  /// `requiredBits(of:rank:)` from norms already computed.
  public static func requiredBits(_ hadamard: HadamardBound, rank r: Int) -> Int {
    r >= min(hadamard.rows, hadamard.cols) ? 0 : hadamard.bits(minorSize: r + 1)
  }

  /// The primes the upper-bound proof draws: below 2^24, so that 127 products of centred
  /// residues sum exactly in a double and the eliminations update the trailing matrix in
  /// 48-wide panels (fewer, larger BLAS products), at 23 proved bits per prime.
  public static let proofPrimeRange: ClosedRange<UInt64> = (1 << 23)...((1 << 24) - 1)

  /// The number of primes from `proofPrimeRange` that reach `bits`.
  public static func primesNeeded(bits: Int) -> Int { (bits + 22) / 23 }

  /// The rank of `matrix` modulo each prime, one elimination per worker thread.
  public static func ranks(of matrix: IntegerMatrix, modulo primes: [UInt64], threads: Int)
    -> [(rank: Int, pivotRows: [Int], pivotCols: [Int])]
  {
    ResidueSource(matrix).rankProfiles(modulo: primes, threads: threads)
  }

  /// Runs `profile(k, threadsForIt)` for k in 0..<count, several side by side (one thread
  /// each) when there are several, all threads for a single one.
  static func ranks(
    count: Int, threads: Int,
    _ profile: @Sendable (Int, Int) -> (rank: Int, pivotRows: [Int], pivotCols: [Int])
  ) -> [(rank: Int, pivotRows: [Int], pivotCols: [Int])] {
    let results = Mutex<[Int: (rank: Int, pivotRows: [Int], pivotCols: [Int])]>([:])
    let workers = min(max(1, threads), max(1, count))
    let perPrime = workers > 1 ? 1 : max(1, threads)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var k = worker
      while k < count {
        let r = profile(k, perPrime)
        results.withLock { $0[k] = r }
        k += workers
      }
    }
    let found = results.withLock { $0 }
    return (0..<count).map { found[$0]! }  // every index was computed above
  }

  /// A proof of the rank of `matrix`: the rank profile modulo a first random prime, then
  /// further random primes until their product passes H_{r+1}. A prime with a larger rank
  /// raises r (and its minor becomes the lower bound); the primes already used stay valid.
  ///
  /// - Parameters:
  ///   - first: a rank profile modulo `firstPrime` already computed by the caller, if any.
  ///   - hadamard: the matrix's `HadamardBound`, if the caller has it.
  ///   - progress: called with (primes done, primes needed) after each batch.
  public static func certify(
    _ matrix: IntegerMatrix, seed: UInt64 = 0, threads: Int = ModularElimination.defaultThreads,
    first: (prime: UInt64, profile: (rank: Int, pivotRows: [Int], pivotCols: [Int]))? = nil,
    hadamard: HadamardBound? = nil, progress: (Int, Int) -> Void = { _, _ in }
  ) -> RankCertificate {
    let hadamard = hadamard ?? HadamardBound(matrix)
    var draws = ModularRank.RandomPrimes(seed: seed, range: proofPrimeRange)
    var best: (rank: Int, pivotRows: [Int], pivotCols: [Int])
    var bestPrime: UInt64
    if let first {
      (bestPrime, best) = first
    } else {
      bestPrime = draws.next()
      best = ranks(of: matrix, modulo: [bestPrime], threads: threads)[0]
    }
    var used: Set<UInt64> = [bestPrime]
    var primes = [bestPrime]
    let full = min(matrix.rows, matrix.cols)
    var required = requiredBits(hadamard, rank: best.rank)
    let source = ResidueSource(matrix)
    while best.rank < full && guaranteedBits(primes) < required {
      let missing = primesNeeded(bits: required - guaranteedBits(primes))
      var batch: [UInt64] = []
      while batch.count < min(missing, max(1, threads) * 16) {
        let q = draws.next()
        if used.insert(q).inserted { batch.append(q) }
      }
      let found = source.rankProfiles(modulo: batch, threads: threads)
      for (q, profile) in zip(batch, found) {
        if profile.rank > best.rank {
          best = profile
          bestPrime = q
          required = requiredBits(hadamard, rank: best.rank)
        }
        primes.append(q)
      }
      progress(primes.count, primes.count + primesNeeded(bits: max(0, required - guaranteedBits(primes))))
    }
    let isFull = best.rank == full
    return RankCertificate(
      rows: matrix.rows, cols: matrix.cols, rank: best.rank, pivotRows: best.pivotRows, pivotCols: best.pivotCols,
      upperBoundPrimes: isFull ? nil : primes,
      method: isFull
        ? "modular profile mod \(bestPrime), full rank"
        : "modular profile mod \(bestPrime) + rank ≤ \(best.rank) modulo \(primes.count) primes (product > Hadamard bound of the \(best.rank + 1)-minors, 2^\(required))")
  }
}
