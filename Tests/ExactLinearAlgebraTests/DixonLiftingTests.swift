import Exact
import Testing

@testable import ExactLinearAlgebra

@Suite struct DixonLiftingTests {
  /// B·Z[:, k] = d_k·C[:, k] exactly, for entry sizes that need one or several bit slices of B.
  @Test(arguments: [3, 20, 30]) func solvesExactly(bits: Int) throws {
    var rng = SeededRandom(seed: UInt64(bits))
    let bound = (1 << bits) - 1
    for trial in 0..<12 {
      // Sizes above 32 run the product kernel over several panels of the inner dimension.
      let r = trial < 2 && bits <= 20 ? rng.nextInt(in: 33...75) : rng.nextInt(in: 1...24), s = rng.nextInt(in: 1...10)
      let b = TestMatrices.random(r, r, bound: bound, rng: &rng)
      let c = TestMatrices.random(r, s, bound: bound, rng: &rng)
      guard !b.determinant().isZero else { continue }
      let p = ModularRank.randomPrimes(count: 1, seed: UInt64(trial))[0]
      guard b.residues(modulo: PrimeField(unchecked: p)).rank() == r else { continue }
      let (z, d) = try #require(DixonLifting.solve(b, c, prime: p, threads: 2))
      #expect(d.count == s && d.allSatisfy { $0.signum > 0 })
      let lhs = b.multiply(z)
      for i in 0..<r {
        for j in 0..<s { #expect(lhs[i, j] == d[j] * c[i, j], "r=\(r) s=\(s) bits=\(bits)") }
      }
      // Each d_k divides det B (Cramer), so it is no larger than needed.
      for dk in d { #expect(b.determinant().isDivisible(by: dk)) }
    }
  }

  @Test func hilbertSystemHasTheKnownInverse() throws {
    // H_4 · X = e_1: the first column of H_4⁻¹ is (16, −120, 240, −140).
    let h = IntegerMatrix(rationalRows: TestMatrices.hilbert(4))  // rows scaled by 12, 60, 60, 420
    let c = IntegerMatrix([[12], [0], [0], [0]])
    let (z, d) = try #require(DixonLifting.solve(h, c, prime: 16_777_259, threads: 1))
    let x = (0..<4).map { try! Rational(z[$0, 0], d[0]) }
    #expect(x == [16, -120, 240, -140].map { Rational($0) })
  }

  @Test func refusesWhatItCannotDoExactly() {
    // Singular modulo p.
    let q = 16_777_259
    let b = IntegerMatrix([[1, 0], [0, q]])
    #expect(DixonLifting.solve(b, IntegerMatrix([[1], [1]]), prime: UInt64(q), threads: 1) == nil)
    // Primes outside the fast kernel's range.
    #expect(DixonLifting.solve(IntegerMatrix([[2]]), IntegerMatrix([[1]]), prime: 1_000_000_007, threads: 1) == nil)
  }

  /// Kernel vectors by lifting and by fraction-free Gauss–Jordan span the same space and
  /// are both annihilated.
  @Test func kernelVectorsAgreeWithGaussJordan() {
    var rng = SeededRandom(seed: 404)
    for _ in 0..<20 {
      let m = rng.nextInt(in: 2...15), n = rng.nextInt(in: 2...15)
      let r = rng.nextInt(in: 1...min(m, n))
      let a = TestMatrices.product(m, r, n, bound: 200, rng: &rng).product
      let exact = a.bareiss()
      let lifted = ExactRank.kernelVectors(
        of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols, prime: 16_777_259, threads: 2)
      let plain = ExactRank.kernelVectors(of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols)
      #expect(lifted.count == n - exact.rank && plain.count == lifted.count)
      #expect(ExactRank.annihilatesAll(a, lifted, threads: 2))
      // Same non-pivot column structure, so each lifted vector is a multiple of its partner.
      for (u, v) in zip(lifted, plain) {
        #expect(u.indices == v.indices)
        let du = u.dense(count: n), dv = v.dense(count: n)
        let j = u.indices.last!
        for t in 0..<n { #expect(du[t] * dv[j] == dv[t] * du[j]) }
      }
    }
  }
}
