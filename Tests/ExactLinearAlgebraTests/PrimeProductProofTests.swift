import Exact
import ExactLinearAlgebra
import Foundation
import Testing

/// Rank ≤ r from ranks modulo primes whose product passes Hadamard's bound on the (r+1)-minors.
@Suite struct PrimeProductProofTests {
  /// Every s×s minor of a small matrix is bounded by 2^hadamardBits(minorSize: s), and the
  /// bound for s is never above the bound for larger minors.
  @Test func minorBoundHoldsForEveryMinor() {
    var rng = SeededRandom(seed: 41)
    for trial in 0..<6 {
      let m = TestMatrices.random(4, 5, bound: 9 + 40 * trial, rng: &rng)
      var previous = 0
      for s in 1...4 {
        let bits = ModularRank.hadamardBits(of: m, minorSize: s)
        #expect(bits >= previous)
        previous = bits
        let limit = BigInt(2).power(bits)
        for rows in combinations(4, s) {
          for cols in combinations(5, s) {
            let d = m.submatrix(rows: rows, cols: cols).determinant()
            #expect(d.magnitude <= limit, "\(s)-minor \(d) above 2^\(bits)")
          }
        }
      }
    }
  }

  /// Products A·B of known rank: the primes route proves the rank Bareiss finds, the
  /// certificate verifies, and it carries primes, not kernel vectors.
  @Test func primesRouteProvesKnownRanks() throws {
    var rng = SeededRandom(seed: 42)
    for (m, r, n, bound) in [(30, 7, 25, 9), (60, 20, 80, 500), (12, 12, 12, 3), (40, 1, 40, 1000)] {
      let (a, _, _) = TestMatrices.product(m, r, n, bound: bound, rng: &rng)
      let cert = ExactRank.certify(a, seed: UInt64(m), route: .primes)
      #expect(cert.rank == a.bareissRank())
      #expect(cert.rank == r)
      #expect(cert.kernel == nil)
      if r < min(m, n) {
        let primes = try #require(cert.upperBoundPrimes)
        #expect(PrimeProductProof.guaranteedBits(primes) >= PrimeProductProof.requiredBits(of: a, rank: r))
      }
      let v = try cert.verification(against: a, seed: 7)
      #expect(v.isExact && v.rank == r)
    }
  }

  /// The route chosen automatically and the forced ones all prove the same rank.
  @Test func routesAgree() throws {
    var rng = SeededRandom(seed: 43)
    let (a, _, _) = TestMatrices.product(50, 18, 45, bound: 30, rng: &rng)
    let ranks = try ExactRank.UpperBoundRoute.allCases.map { route -> Int in
      let c = ExactRank.certify(a, seed: 3, route: route)
      return try c.verify(against: a, seed: 5)
    }
    #expect(ranks == [18, 18, 18])
    // The cost model: a Hessian-like 510×510 of rank 367 and ~9000-bit minors takes the
    // primes; a small matrix takes the kernel (cheap to re-check).
    #expect(ExactRank.preferredRoute(rows: 510, cols: 510, rank: 367, requiredBits: 9031) == .primes)
    #expect(ExactRank.preferredRoute(rows: 46, cols: 46, rank: 12, requiredBits: 300) == .kernel)
    #expect(ExactRank.preferredRoute(rows: 1000, cols: 1000, rank: 990, requiredBits: 20000) == .kernel)
  }

  /// diag(1, q) has rank 1 modulo the prime q and rank 2 over Q: one prime cannot pass the
  /// bound (|det| = q > 2^24), and a second prime exposes the larger rank.
  @Test func unluckyPrimeCannotProveTooSmallARank() {
    let q: UInt64 = 16_777_259  // a prime just above 2^24
    let other: UInt64 = 16_777_289
    #expect(Primality.isPrime(q) && Primality.isPrime(other))
    let m = IntegerMatrix([[1, 0], [0, Int(q)]])
    var cert = RankCertificate(rows: 2, cols: 2, rank: 1, pivotRows: [0], pivotCols: [0], upperBoundPrimes: [q])
    #expect(throws: RankCertificateError.tooFewPrimes(24, 25)) { try cert.verify(against: m, seed: 1) }
    cert.upperBoundPrimes = [q, other]
    #expect(throws: RankCertificateError.rankAboveModulo(other, 2)) { try cert.verify(against: m, seed: 1) }
  }

  /// Tampered prime lists are rejected: composites, repeats, and too short a list.
  @Test func tamperedPrimeListsAreRejected() throws {
    var rng = SeededRandom(seed: 44)
    let (a, _, _) = TestMatrices.product(40, 10, 40, bound: 50, rng: &rng)
    let good = ExactRank.certify(a, seed: 1, route: .primes)
    let primes = try #require(good.upperBoundPrimes)
    #expect(primes.count >= 2)
    var bad = good
    bad.upperBoundPrimes = [primes[0] * 3] + primes.dropFirst()
    #expect(throws: RankCertificateError.invalidPrime(primes[0] * 3)) { try bad.verify(against: a, seed: 1) }
    bad.upperBoundPrimes = primes + [primes[0]]
    #expect(throws: RankCertificateError.invalidPrime(primes[0])) { try bad.verify(against: a, seed: 1) }
    bad.upperBoundPrimes = Array(primes.dropLast())
    #expect(throws: RankCertificateError.self) { try bad.verify(against: a, seed: 1) }
    // Claiming rank 9 with a 9×9 minor that is nonsingular: the lower bound holds, the
    // upper bound cannot (every prime sees rank 10).
    let lower = ExactRank.certify(a.submatrix(rows: Array(0..<9), cols: Array(0..<40)), seed: 2)
    #expect(lower.rank == 9)
    let needed = PrimeProductProof.primesNeeded(bits: PrimeProductProof.requiredBits(of: a, rank: 9))
    bad = RankCertificate(
      rows: 40, cols: 40, rank: 9, pivotRows: lower.pivotRows, pivotCols: lower.pivotCols,
      upperBoundPrimes: ModularRank.randomPrimes(count: needed, seed: 9))
    #expect(throws: RankCertificateError.self) { try bad.verify(against: a, seed: 1) }
  }

  /// Certificates with primes survive a JSON round trip unchanged.
  @Test func jsonRoundTrip() throws {
    var rng = SeededRandom(seed: 45)
    let (a, _, _) = TestMatrices.product(20, 5, 20, bound: 100, rng: &rng)
    let cert = ExactRank.certify(a, seed: 1, route: .primes)
    let data = try JSONEncoder().encode(cert)
    let back = try JSONDecoder().decode(RankCertificate.self, from: data)
    #expect(back == cert)
    #expect(back.provesExactRank)
  }

  /// The multi-prime rank is proved once the primes pass the bound of the (r+1)-minors.
  @Test func modularRankIsProvedWithEnoughPrimes() {
    var rng = SeededRandom(seed: 46)
    let (a, _, _) = TestMatrices.product(30, 3, 30, bound: 1000, rng: &rng)
    // ModularRank draws from [2^24, 2^25): 24 proved bits per prime.
    let bits = PrimeProductProof.requiredBits(of: a, rank: 3)
    let needed = (bits + 23) / 24
    #expect(needed >= 2)
    #expect(!ModularRank.rank(of: a, primes: needed - 1, seed: 1).isProved)
    let enough = ModularRank.rank(of: a, primes: needed, seed: 1)
    #expect(enough.rank == 3 && enough.isProved)
  }

  /// MᵀM by the word, 128-bit and GMP paths equals the plain product Mᵀ·M.
  @Test func gramMatchesProduct() {
    var rng = SeededRandom(seed: 47)
    for scale in [BigInt(1), BigInt(2).power(40), BigInt(2).power(70)] {
      let m = TestMatrices.random(37, 41, bound: 1000, rng: &rng)
      for i in 0..<m.rows {
        for j in 0..<m.cols { m[i, j] = m[i, j] * scale }
      }
      #expect(m.gram(threads: 2) == m.transposed().multiply(m))
    }
  }

  func combinations(_ n: Int, _ k: Int) -> [[Int]] {
    if k == 0 { return [[]] }
    if n < k { return [] }
    return combinations(n - 1, k) + combinations(n - 1, k - 1).map { $0 + [n - 1] }
  }
}
