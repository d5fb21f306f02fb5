import Exact
import Testing

@testable import ExactLinearAlgebra

/// Lifting with entries of any size, the budgeted (output-sensitive) kernel route, and
/// Bareiss with several threads: every route agrees with every other on random matrices.
@Suite struct OutputSensitiveRankTests {
  /// Entries uniform in [−2^bits + 1, 2^bits − 1], for bit sizes beyond Int.
  static func wide(_ m: Int, _ n: Int, bits: Int, rng: inout SeededRandom) -> IntegerMatrix {
    let a = IntegerMatrix(rows: m, cols: n)
    for i in 0..<m {
      for j in 0..<n {
        var v = BigInt(0)
        var left = bits
        while left > 0 {
          let take = min(left, 30)
          v = v * BigInt(1 << take) + BigInt(rng.nextInt(in: 0...((1 << take) - 1)))
          left -= take
        }
        a[i, j] = rng.nextInt(in: 0...1) == 0 ? v : -v
      }
    }
    return a
  }

  /// B·Z = d·C exactly when B and C have entries of 60 and 100 bits (GMP residual).
  @Test(arguments: [52, 60, 100]) func liftingSolvesWideSystems(bits: Int) throws {
    var rng = SeededRandom(seed: UInt64(bits) &* 77)
    for trial in 0..<6 {
      let r = rng.nextInt(in: 1...14), s = rng.nextInt(in: 1...5)
      let b = Self.wide(r, r, bits: bits, rng: &rng)
      let c = Self.wide(r, s, bits: bits + trial, rng: &rng)
      guard !b.determinant().isZero else { continue }
      let p = ModularRank.randomPrimes(count: 1, seed: UInt64(100 + trial))[0]
      guard b.residues(modulo: PrimeField(unchecked: p)).rank() == r else { continue }
      let (z, d) = try #require(DixonLifting.solve(b, c, prime: p, threads: 2))
      let lhs = b.multiply(z)
      for i in 0..<r { for j in 0..<s { #expect(lhs[i, j] == d[j] * c[i, j], "r=\(r) bits=\(bits)") } }
      for dj in d { #expect(b.determinant().isDivisible(by: dj)) }
    }
  }

  /// Columns of very different sizes (some right-hand sides are B times a small vector, so
  /// their solution is that vector over 1; the others are random, with solutions as large as
  /// r-minors): the small columns leave the lifting early, the large ones go through the
  /// common-denominator probe (≥ 4 columns after 16 steps), and every column is exact —
  /// in each residual mode (words, Int128, GMP) and with the small lifting prime.
  @Test(arguments: [12, 40, 90, 130]) func mixedColumnSizesSolveExactly(bits: Int) throws {
    var rng = SeededRandom(seed: UInt64(bits) &* 131)
    let r = 24, s = 10
    let b = Self.wide(r, r, bits: bits, rng: &rng)
    let p = ModularRank.randomPrimes(count: 1, seed: UInt64(bits))[0]
    try #require(b.residues(modulo: PrimeField(unchecked: p)).rank() == r)
    let c = IntegerMatrix(rows: r, cols: s)
    for k in 0..<s {
      if k % 2 == 0 {
        let x = (0..<r).map { _ in BigInt(rng.nextInt(in: -9...9)) }
        let bx = b.multiply(x)
        for i in 0..<r { c[i, k] = bx[i] }
      } else {
        for i in 0..<r { c[i, k] = BigInt(rng.nextInt(in: -(1 << 20)...(1 << 20))) }
      }
    }
    for small in [false, true] {
      let (z, d) = try #require(DixonLifting.solve(b, c, prime: p, threads: 2, smallPrime: small))
      let lhs = b.multiply(z)
      for i in 0..<r { for k in 0..<s { #expect(lhs[i, k] == d[k] * c[i, k], "bits=\(bits) k=\(k)") } }
      for k in stride(from: 0, to: s, by: 2) { #expect(d[k] == BigInt(1), "small column \(k): denominator 1") }
    }
  }

  /// Bit slices straddling limb boundaries are read exactly.
  @Test func magnitudeBitsReadAcrossLimbs() {
    let z = IntegerMatrix([[BigInt(-1) * (BigInt(2).power(100) + BigInt(2).power(63) + BigInt(5))]])
    let v = z.entry(0, 0)
    #expect(DixonLifting.magnitudeBits(v, from: 0, count: 20) == 5)
    #expect(DixonLifting.magnitudeBits(v, from: 60, count: 20) == 8)  // bit 63 → bit 3 of the slice
    #expect(DixonLifting.magnitudeBits(v, from: 100, count: 20) == 1)
    #expect(DixonLifting.magnitudeBits(v, from: 120, count: 20) == 0)
  }

  /// A budget too small for the solution gives up (nil); an ample one solves.
  @Test func liftingGivesUpAtItsBudget() throws {
    var rng = SeededRandom(seed: 9)
    let b = TestMatrices.random(20, 20, bound: 1 << 20, rng: &rng)
    let c = TestMatrices.random(20, 3, bound: 1 << 20, rng: &rng)
    let p: UInt64 = 16_777_259
    let perStep = DixonLifting.workPerStep(size: 20, columns: 3, slices: 2, wide: false)
    #expect(DixonLifting.solve(b, c, prime: p, threads: 1, workBudget: 4 * perStep) == nil)
    let (z, d) = try #require(DixonLifting.solve(b, c, prime: p, threads: 1, workBudget: 1 << 40))
    let lhs = b.multiply(z)
    for i in 0..<20 { for j in 0..<3 { #expect(lhs[i, j] == d[j] * c[i, j]) } }
  }

  /// Every route — Bareiss (1 and 2 threads), kernel, primes, auto — gives the known rank on
  /// random matrices of each class: dense small and wide entries, low-rank products of small
  /// and wide factors, and products with a structured (small) kernel.
  @Test func everyRouteAgreesOnEveryClass() throws {
    var rng = SeededRandom(seed: 2026)
    var checked = 0
    for trial in 0..<60 {
      let m = rng.nextInt(in: 1...14), n = rng.nextInt(in: 1...14)
      let r = rng.nextInt(in: 0...min(m, n))
      let matrix: IntegerMatrix
      switch trial % 4 {
      case 0: matrix = TestMatrices.random(m, n, bound: 1 << 10, rng: &rng)
      case 1: matrix = TestMatrices.product(m, r, n, bound: 7, rng: &rng).product
      case 2: matrix = Self.wide(m, r, bits: 50, rng: &rng).multiply(Self.wide(r, n, bits: 50, rng: &rng))
      default: matrix = Self.wide(m, n, bits: 100, rng: &rng)
      }
      let one = matrix.bareiss(threads: 1), two = matrix.bareiss(threads: 2)
      #expect(one == two, "Bareiss depends on the thread count (trial \(trial))")
      let known = one.rank
      for route in ExactRank.UpperBoundRoute.allCases {
        for threads in [1, 2] {
          let cert = ExactRank.certify(matrix, seed: UInt64(trial), threads: threads, route: route)
          #expect(cert.rank == known, "trial \(trial) route \(route) threads \(threads)")
          #expect((try? cert.verify(against: matrix, seed: 1)) == known)
        }
      }
      checked += 1
    }
    #expect(checked == 60)
  }

  /// With the budget `certify` gives it under `auto` (a fraction of the primes route's
  /// estimated work), the lifting gives up on a product of random factors (kernel vectors as
  /// large as the minors) and finishes on a matrix whose kernel is tiny although Hadamard's
  /// bound on its minors is huge.
  @Test func budgetedLiftingPaysForTheKernelItFinds() throws {
    func budget(_ m: IntegerMatrix, rank r: Int) -> Int {
      let bits = PrimeProductProof.requiredBits(of: m, rank: r)
      return ExactRank.primeRouteWork(rows: m.rows, cols: m.cols, rank: r, requiredBits: bits)
        / ExactRank.outputSensitiveBudgetFraction
    }
    var rng = SeededRandom(seed: 31)
    let p: UInt64 = 16_777_259
    let big = TestMatrices.product(70, 50, 70, bound: 1 << 12, rng: &rng).product
    let profile = big.residues(modulo: PrimeField(unchecked: p)).rankProfile()
    #expect(profile.rank == 50)
    #expect(
      ExactRank.liftedKernelVectors(
        of: big, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: p, threads: 2,
        workBudget: budget(big, rank: 50)) == nil)
    // Columns 50..<70 copy columns 0..<20 of a 70×50 block with 80-bit entries: the kernel
    // vectors are e_j − e_{j−50}.
    let base = Self.wide(70, 50, bits: 80, rng: &rng)
    let structured = IntegerMatrix(rows: 70, cols: 70)
    for i in 0..<70 { for j in 0..<70 { structured[i, j] = base[i, j < 50 ? j : j - 50] } }
    let sp = structured.residues(modulo: PrimeField(unchecked: p)).rankProfile()
    #expect(sp.rank == 50)
    let kernel = try #require(
      ExactRank.liftedKernelVectors(
        of: structured, pivotRows: sp.pivotRows, pivotCols: sp.pivotCols, prime: p, threads: 2,
        workBudget: budget(structured, rank: 50)))
    #expect(kernel.count == 20)
    #expect(kernel.allSatisfy { $0.values.allSatisfy { $0.magnitude <= BigInt(1) } })
    #expect(ExactRank.annihilatesAll(structured, kernel, threads: 2))
    let cert = ExactRank.certify(structured, seed: 4, route: .automatic)
    #expect(cert.rank == 50 && (try? cert.verify(against: structured, seed: 2)) == 50)
  }

  /// A kernel certificate of a wide-entry matrix (lifted with a GMP residual) is rejected when
  /// tampered: a changed kernel entry, a dropped vector with the rank unchanged.
  @Test func tamperedWideKernelCertificatesAreRejected() throws {
    var rng = SeededRandom(seed: 77)
    let m = Self.wide(12, 6, bits: 70, rng: &rng).multiply(Self.wide(6, 12, bits: 70, rng: &rng))
    let cert = ExactRank.certify(m, seed: 1, route: .kernel)
    #expect(cert.rank == 6)
    #expect((try? cert.verify(against: m, seed: 1)) == 6)
    var changed = cert
    var kernel = try #require(cert.kernel)
    kernel[2].values[0] = kernel[2].values[0] + BigInt(1)
    changed.kernel = kernel
    #expect((try? changed.verify(against: m, seed: 1)) == nil)
    var dropped = cert
    dropped.kernel = Array(try #require(cert.kernel).dropLast())
    #expect((try? dropped.verify(against: m, seed: 1)) == nil)
  }
}
