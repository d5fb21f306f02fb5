import Exact
import Testing

@testable import ExactLinearAlgebra

@Suite struct ModularEliminationTests {
  /// π(2^25) − π(2^24), counted by a sieve: the constant behind the failure bounds.
  @Test func primeCountOfTheRandomPrimeRange() {
    let n = 1 << 25
    var composite = [Bool](repeating: false, count: n)
    var i = 2
    while i * i < n {
      if !composite[i] {
        var j = i * i
        while j < n {
          composite[j] = true
          j += i
        }
      }
      i += 1
    }
    var count = 0
    for k in (1 << 24)..<n where !composite[k] { count += 1 }
    #expect(count == ModularRank.primeCount)
    #expect(ModularRank.primeRange.lowerBound == 1 << 24 && ModularRank.primeRange.upperBound == (1 << 25) - 1)
  }

  /// The delayed-reduction bound keeps every intermediate below 2^53, where doubles are exact.
  @Test func delayKeepsIntermediatesExact() throws {
    for p: UInt64 in [1031, 65_537, 16_777_259, 33_554_393, 67_108_859] {
      let delay = try #require(ModularElimination.delay(forPrime: p))
      let h = p / 2 + 8
      #expect(delay >= 7)
      #expect(h + UInt64(delay) * h * h + p <= 1 << 53)
      #expect(h + UInt64(delay + 1) * h * h + p > 1 << 53 || delay >= 32)
    }
    // Every prime of the random-prime range allows the full panel width (31 or 32).
    #expect(try #require(ModularElimination.delay(forPrime: (1 << 25) - 1)) >= 31)
    #expect(ModularElimination.delay(forPrime: 16_777_259) == 127)
    #expect(ModularElimination.delay(forPrime: 1 << 26 + 1) == nil)
    #expect(ModularElimination.delay(forPrime: 1021) == nil)
  }

  /// The blocked kernel and the unblocked reference agree on rank, and the profile's minor is
  /// nonsingular (checked by the reference on the submatrix).
  @Test func blockedKernelAgreesWithReference() {
    var rng = SeededRandom(seed: 99)
    let primes: [UInt64] = [16_777_259, 33_554_393, 1031, 65_537]
    for trial in 0..<120 {
      let field = PrimeField(unchecked: primes[trial % primes.count])
      let m = rng.nextInt(in: 1...90), n = rng.nextInt(in: 1...90)
      let r = rng.nextInt(in: 0...min(m, n))
      var a = ModularMatrix(rows: m, cols: n, field: field)
      // Low rank: sum of r random outer products; sometimes zero columns/rows inserted.
      let u = (0..<(m * r)).map { _ in rng.nextElement(of: field) }
      let v = (0..<(r * n)).map { _ in rng.nextElement(of: field) }
      let zeroCol = trial % 3 == 0 ? rng.nextInt(in: 0...(n - 1)) : -1
      for i in 0..<m {
        for j in 0..<n where j != zeroCol {
          var s: UInt64 = 0
          for t in 0..<r { s = field.add(s, field.multiply(u[i * r + t], v[t * n + j])) }
          a[i, j] = s
        }
      }
      let fast = a.rankProfile(threads: 1 + trial % 2)
      let reference = ModularElimination.genericElimination(of: a)
      #expect(fast.rank == reference.rank, "trial \(trial): \(m)×\(n) rank ≤ \(r)")
      #expect(fast.rank <= r)
      #expect(fast.pivotRows.count == fast.rank && fast.pivotCols.count == fast.rank)
      #expect(fast.pivotCols == fast.pivotCols.sorted() && Set(fast.pivotRows).count == fast.rank)
      let minor = a.submatrix(rows: fast.pivotRows, cols: fast.pivotCols)
      #expect(ModularElimination.genericElimination(of: minor).rank == fast.rank)
    }
  }

  /// Large enough to run the trailing update on two threads; same answer as one thread.
  @Test func parallelUpdateMatchesSerial() {
    var rng = SeededRandom(seed: 5)
    let field = PrimeField(unchecked: 16_777_259)
    // Tall: the panel elimination itself is split over threads (rows × panel width ≥ 2^16).
    for (m, n, r) in [(300, 260, 260), (257, 301, 120), (400, 400, 399), (2500, 40, 35)] {
      var a = ModularMatrix(rows: m, cols: n, field: field)
      let u = (0..<(m * r)).map { _ in field.element(rng.nextInt(in: -3...3)) }
      let v = (0..<(r * n)).map { _ in field.element(rng.nextInt(in: -3...3)) }
      a.withUnsafeMutableBufferPointer { buf in
        for i in 0..<m {
          for j in 0..<n {
            var s: UInt64 = 0
            for t in 0..<r { s = field.add(s, field.multiply(u[i * r + t], v[t * n + j])) }
            buf[i * n + j] = s
          }
        }
      }
      let one = a.rankProfile(threads: 1)
      let two = a.rankProfile(threads: 2)
      #expect(one.rank == two.rank && one.pivotRows == two.pivotRows && one.pivotCols == two.pivotCols)
      #expect(one.rank == ModularElimination.genericElimination(of: a).rank)
    }
  }

  /// The determinant modulo p is the residue of the exact determinant.
  @Test func determinantModPMatchesExact() {
    var rng = SeededRandom(seed: 8)
    for p: UInt64 in [16_777_259, 1031, 4_611_686_018_427_388_039] {
      let field = PrimeField(unchecked: p)
      for n in 0...12 {
        let m = TestMatrices.random(n, n, bound: 50, rng: &rng)
        #expect(m.residues(modulo: field).determinant() == m.determinant().residue(modulo: p), "n=\(n) p=\(p)")
      }
    }
  }

  /// A prime dividing every maximal minor lowers the rank modulo that prime only.
  @Test func rankDropsModuloADivisorOfTheDeterminant() {
    // diag-like construction: det = 16 777 259 (a prime in the random-prime range).
    let q: UInt64 = 16_777_259
    let m = IntegerMatrix([[1, 2, 0], [3, 7, 1], [0, 0, Int(q)]])
    #expect(m.determinant() == BigInt(Int(q)))
    #expect(m.residues(modulo: PrimeField(unchecked: q)).rank() == 2)
    #expect(m.residues(modulo: PrimeField(unchecked: 16_777_289)).rank() == 3)
  }
}

@Suite struct ModularRankTests {
  /// Bareiss and the multi-prime driver agree on hundreds of random matrices, including
  /// ones whose rank drops modulo the small primes 2, 3, 5, 7.
  @Test func agreesWithBareissOnRandomMatrices() {
    var rng = SeededRandom(seed: 31_337)
    for trial in 0..<300 {
      let m = rng.nextInt(in: 1...12), n = rng.nextInt(in: 1...12)
      let k = rng.nextInt(in: 1...min(m, n))
      let matrix: IntegerMatrix
      if trial % 2 == 0 {
        // Diagonal factors include small primes: rank mod 2, 3, 5 or 7 drops below rank_Q.
        let d = (0..<k).map { _ in [1, 2, 3, 5, 7, 6, 0][rng.nextInt(in: 0...6)] }
        matrix = TestMatrices.withDiagonal(m, d, n, bound: 3, rng: &rng)
      } else {
        matrix = TestMatrices.product(m, k, n, bound: 6, rng: &rng).product
      }
      let exact = matrix.bareiss().rank
      let modular = ModularRank.rank(of: matrix, primes: 2, seed: UInt64(trial))
      #expect(modular.rank == exact, "trial \(trial)")
      #expect(modular.rank <= exact)  // always: a lower bound
      // The pivot minor of the best prime is nonsingular over Q.
      if modular.rank > 0 {
        #expect(!matrix.submatrix(rows: modular.pivotRows, cols: modular.pivotCols).determinant().isZero)
      }
    }
  }

  /// The construction really does lose rank modulo small primes, so the test above can fail.
  @Test func smallPrimesAreFooledByTheConstruction() {
    var rng = SeededRandom(seed: 4)
    let matrix = TestMatrices.withDiagonal(8, [1, 1, 1, 3, 3, 2], 9, bound: 3, rng: &rng)
    let exact = matrix.bareiss().rank
    #expect(exact == 6)
    #expect(matrix.residues(modulo: PrimeField(unchecked: 3)).rank() == 4)
    #expect(matrix.residues(modulo: PrimeField(unchecked: 2)).rank() == 5)
    #expect(ModularRank.rank(of: matrix, primes: 1, seed: 1).rank == 6)
    // A row whose entries are all multiples of 5.
    let five = IntegerMatrix([[5, 10, 15], [1, 0, 2], [0, 1, 1]])
    #expect(five.residues(modulo: PrimeField(unchecked: 5)).rank() == 2)
    #expect(ModularRank.rank(of: five, primes: 1, seed: 9).rank == 3)
  }

  @Test func randomPrimesAreDistinctPrimesInRangeAndReproducible() {
    let a = ModularRank.randomPrimes(count: 50, seed: 42)
    #expect(a == ModularRank.randomPrimes(count: 50, seed: 42))
    #expect(a != ModularRank.randomPrimes(count: 50, seed: 43))
    #expect(Set(a).count == 50)
    #expect(a.allSatisfy { ModularRank.primeRange.contains($0) && Primality.isPrime($0) })
  }

  @Test func failureBoundArithmetic() {
    // H = 240 bits: at most 10 bad primes among 985 818.
    let one = ModularRank.failureBound(hadamardBits: 240, primes: 1)
    #expect(abs(one - 10.0 / 985_818) < 1e-18)
    let two = ModularRank.failureBound(hadamardBits: 240, primes: 2)
    #expect(abs(two - 10.0 / 985_818 * 9.0 / 985_817) < 1e-24)
    #expect(ModularRank.failureBound(hadamardBits: 23, primes: 1) == 0)
    #expect(ModularRank.failureBound(hadamardBits: 48, primes: 3) == 0)
    #expect(ModularRank.failureBound(hadamardBits: 48, primes: 2) > 0)
  }

  @Test func hadamardBitsBoundsDeterminants() {
    var rng = SeededRandom(seed: 3)
    for n in 1...10 {
      let m = TestMatrices.random(n, n, bound: 1000, rng: &rng)
      let bits = ModularRank.hadamardBits(of: m)
      #expect(m.determinant().bitWidth <= bits)
    }
    // Norms 1 → 0 bits; norms 2^10 → 10 bits each; rows (3, 4) have norm 5 → ⌈log2 25⌉/... = 5 bits.
    #expect(ModularRank.hadamardBits(of: IntegerMatrix([[1, 0], [0, 1]])) == 0)
    #expect(ModularRank.hadamardBits(of: IntegerMatrix([[1024, 0], [0, 1024]])) == 20)
    #expect(ModularRank.hadamardBits(of: IntegerMatrix([[3, 4], [4, 3]])) == 5)  // ⌈log2 25⌉ = 5
    // Only the min(m, n) longest rows count.
    #expect(ModularRank.hadamardBits(of: IntegerMatrix([[1024], [2], [1]])) == 10)
  }

  @Test func fullRankAndTinyDeterminantsAreProved() {
    let full = ModularRank.rank(of: IntegerMatrix([[1, 2, 3], [4, 5, 6]]), primes: 1, seed: 0)
    #expect(full.rank == 2 && full.isProved && full.failureProbabilityBound == 0)
    let tiny = ModularRank.rank(of: IntegerMatrix([[1, 2], [2, 4], [0, 0]]), primes: 1, seed: 0)
    #expect(tiny.rank == 1 && tiny.isProved)  // every minor is below 2^24
  }
}
