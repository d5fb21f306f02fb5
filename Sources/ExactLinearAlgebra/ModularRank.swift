import CGMP
import Dispatch
import Exact
import Synchronization

/// The result of a multi-prime rank computation.
public struct ModularRankResult: Sendable, Equatable {
  /// The largest rank found modulo any of the primes: a proved lower bound on the rank over Q.
  public let rank: Int
  /// The primes used, in order.
  public let primes: [UInt64]
  /// The rank modulo each prime.
  public let ranksModP: [Int]
  /// The prime that attained `rank` first.
  public let bestPrime: UInt64
  /// Pivot rows and columns of a minor that is nonsingular modulo `bestPrime` (hence over Q).
  public let pivotRows: [Int]
  /// See `pivotRows`.
  public let pivotCols: [Int]
  /// An upper bound on log2 |det B| for every square submatrix B (Hadamard's inequality).
  public let hadamardBits: Int
  /// An upper bound on the probability, over the random choice of primes, that `rank` is
  /// below the rank over Q (0 when `isProved`). Computed as in `ModularRank.failureBound`.
  public let failureProbabilityBound: Double
  /// The matrix shape.
  public let rows: Int
  /// See `rows`.
  public let cols: Int

  /// ⌈log2⌉ of Hadamard's bound on the (rank+1)-minors (`PrimeProductProof.requiredBits`).
  public let upperBoundBits: Int

  /// True when the lower bound is proved to be the rank: it equals min(rows, cols), or the
  /// primes' product passes Hadamard's bound on the (rank+1)-minors, so a nonzero one would
  /// be divisible by all of them (`PrimeProductProof`).
  public var isProved: Bool {
    rank == min(rows, cols) || PrimeProductProof.guaranteedBits(primes) >= upperBoundBits
  }
}

/// Rank over Q by elimination modulo several random word-size primes.
///
/// Soundness: every minor that vanishes over Z vanishes modulo p, so rank_p(M) ≤ rank_Q(M)
/// for every prime p, and the maximum over primes is a *proved* lower bound. It is the rank
/// unless every chosen prime divides det B for one fixed nonsingular r×r minor B
/// (r = rank_Q). By Hadamard's inequality |det B| ≤ 2^H with H = `hadamardBits(of:)`, so at
/// most ⌊H / 24⌋ primes ≥ 2^24 divide it. The primes are drawn uniformly from the
/// `primeCount` primes in `primeRange` = [2^24, 2^25), distinct, so k primes all fail with
/// probability at most ∏_{i<k} (⌊H/24⌋ − i) / (primeCount − i). The primes are random
/// with respect to the seed, and the bound holds for any matrix chosen independently of it.
public enum ModularRank {
  /// The range the random primes are drawn from (the fast kernel's best range: delay 31).
  public static let primeRange: ClosedRange<UInt64> = (1 << 24)...((1 << 25) - 1)
  /// The number of primes in `primeRange`: π(2^25) − π(2^24) = 2 063 689 − 1 077 871.
  public static let primeCount = 985_818
  /// log2 of the smallest prime in `primeRange`.
  public static let primeBits = 24

  /// `count` distinct primes drawn uniformly from `primeRange`, reproducibly from `seed`
  /// (the first `count` primes of `RandomPrimes(seed:)`).
  public static func randomPrimes(count: Int, seed: UInt64) -> [UInt64] {
    precondition(count >= 0 && count <= 100_000, "prime count out of range")
    var source = RandomPrimes(seed: seed)
    return (0..<count).map { _ in source.next() }
  }

  /// An endless sequence of distinct primes drawn uniformly from `primeRange`, reproducibly
  /// from a seed (uniform: odd candidates are drawn uniformly and tested; each prime is
  /// equally likely to be the first candidate accepted).
  public struct RandomPrimes: Sendable {
    private var rng: SeededRandom
    private var seen = Set<UInt64>()
    private let range: ClosedRange<UInt64>

    /// The sequence for `seed`, of primes in `range` (default `primeRange`).
    public init(seed: UInt64, range: ClosedRange<UInt64> = ModularRank.primeRange) {
      rng = SeededRandom(seed: seed ^ 0x4D4F_4452_414E_4B)  // "MODRANK"
      self.range = range
    }

    /// The next prime, distinct from all earlier ones.
    public mutating func next() -> UInt64 {
      while true {
        let q = Primality.randomPrime(in: range, using: &rng)
        if seen.insert(q).inserted { return q }
      }
    }
  }

  /// The maximum rank modulo `primes` random primes (see the type's discussion).
  ///
  /// - Parameters:
  ///   - matrix: the integer matrix.
  ///   - primes: how many primes (at least 1).
  ///   - seed: fixes the primes.
  ///   - threads: threads per elimination.
  public static func rank(
    of matrix: IntegerMatrix, primes: Int = 2, seed: UInt64 = 0,
    threads: Int = ModularElimination.defaultThreads
  ) -> ModularRankResult {
    precondition(primes >= 1, "at least one prime")
    let ps = randomPrimes(count: primes, seed: seed)
    // Several primes run side by side, one thread each (no synchronisation inside an
    // elimination); a single prime uses all threads in its trailing updates.
    let found = ResidueSource(matrix).rankProfiles(modulo: ps, threads: threads)
    var ranks: [Int] = []
    var best: (rank: Int, pivotRows: [Int], pivotCols: [Int]) = (-1, [], [])
    var bestPrime: UInt64 = 0
    let full = min(matrix.rows, matrix.cols)
    for (k, p) in ps.enumerated() {
      let profile = found[k]
      ranks.append(profile.rank)
      if profile.rank > best.rank {
        best = profile
        bestPrime = p
      }
    }
    let hadamard = HadamardBound(matrix)
    let bits = hadamard.bits(minorSize: full)
    let bound = best.rank == full ? 0 : failureBound(hadamardBits: bits, primes: ps.count)
    // failureBound is 0 exactly when more primes were used than can be bad.
    return ModularRankResult(
      rank: best.rank, primes: ps, ranksModP: ranks, bestPrime: bestPrime,
      pivotRows: best.pivotRows, pivotCols: best.pivotCols, hadamardBits: bits,
      failureProbabilityBound: bound, rows: matrix.rows, cols: matrix.cols,
      upperBoundBits: PrimeProductProof.requiredBits(hadamard, rank: best.rank))
  }

  /// An upper bound H on log2 |det B| over all square submatrices B of size at most
  /// `minorSize` (default min(m, n)); see `HadamardBound`.
  public static func hadamardBits(of matrix: IntegerMatrix, minorSize: Int? = nil) -> Int {
    HadamardBound(matrix).bits(minorSize: minorSize ?? min(matrix.rows, matrix.cols))
  }

  /// The probability bound ∏_{i<k} max(0, B − i) / (primeCount − i) with B = ⌊H / 24⌋ bad
  /// primes at most, for k distinct uniformly drawn primes from `primeRange`.
  public static func failureBound(hadamardBits: Int, primes k: Int) -> Double {
    let bad = hadamardBits / primeBits
    var bound = 1.0
    for i in 0..<k {
      if bad - i <= 0 { return 0 }
      bound *= Double(bad - i) / Double(primeCount - i)
    }
    return min(bound, 1)
  }
}

/// Hadamard bounds on the minors of one integer matrix: its squared row and column norms,
/// computed exactly once and sorted, give the bound for any minor size.
///
/// |det B| ≤ ∏ of B's row norms ≤ ∏ of the full row norms. For minors of size at most k the
/// bound is the smaller of ⌈log2 √P⌉ with P the exact product of the k largest squared row
/// norms, and the same over columns. Rows of norm ≥ 1 only increase the product, so the
/// largest ones bound every minor of that size or smaller. Norms longer than 64 bits enter
/// the product through their leading 64 bits rounded up (a bound from bit lengths, so huge
/// entries cost no huge products).
public final class HadamardBound {
  /// The matrix shape.
  public let rows: Int
  /// See `rows`.
  public let cols: Int
  private let rowSums: MPZScratch
  private let colSums: MPZScratch
  private let rowOrder: [Int]
  private let colOrder: [Int]

  /// One pass over the entries.
  public init(_ matrix: IntegerMatrix) {
    rows = matrix.rows
    cols = matrix.cols
    rowSums = MPZScratch(rows)
    colSums = MPZScratch(cols)
    for i in 0..<rows {
      for j in 0..<cols {
        let x = matrix.entry(i, j)
        if cgmp_mpz_sgn(x) == 0 { continue }
        __gmpz_addmul(rowSums[i], x, x)
        __gmpz_addmul(colSums[j], x, x)
      }
    }
    rowOrder = Self.decreasing(rowSums)
    colOrder = Self.decreasing(colSums)
  }

  private static func decreasing(_ sums: MPZScratch) -> [Int] {
    (0..<sums.count).sorted { __gmpz_cmp(sums[$0], sums[$1]) > 0 }
  }

  /// ⌈log2⌉ of the bound on |det B| for every square submatrix B of size at most `minorSize`.
  public func bits(minorSize: Int) -> Int {
    let k = min(rows, cols, max(0, minorSize))
    if k == 0 { return 0 }
    func bound(_ sums: MPZScratch, _ order: [Int]) -> Int {
      // Each squared norm S of more than 64 bits is rounded up to (⌊S / 2^s⌋ + 1)·2^s with
      // s = bits − 64: the product of the 64-bit leading parts and one power of two bound the
      // exact product from above, at the cost of a few words however large the entries are.
      let scratch = MPZScratch(2)
      __gmpz_set_ui(scratch[0], 1)
      var shift = 0
      for i in order.prefix(k) where cgmp_mpz_sgn(sums[i]) != 0 {
        let b = Int(__gmpz_sizeinbase(sums[i], 2))
        if b <= 64 {
          __gmpz_mul(scratch[0], scratch[0], sums[i])
        } else {
          __gmpz_tdiv_q_2exp(scratch[1], sums[i], UInt(b - 64))
          __gmpz_add_ui(scratch[1], scratch[1], 1)
          __gmpz_mul(scratch[0], scratch[0], scratch[1])
          shift += b - 64
        }
      }
      // ⌈log2 P⌉: bits − 1 for a power of two, bits otherwise; then ⌈·/2⌉ for the root.
      let bits = Int(__gmpz_sizeinbase(scratch[0], 2))
      let isPowerOfTwo = __gmpz_scan1(scratch[0], 0) == UInt(bits - 1)
      let log2P = (isPowerOfTwo ? bits - 1 : bits) + shift
      return (log2P + 1) / 2
    }
    return min(bound(rowSums, rowOrder), bound(colSums, colOrder))
  }
}
