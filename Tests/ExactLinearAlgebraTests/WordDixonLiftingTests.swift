import Exact
import Testing

@testable import ExactLinearAlgebra

/// The machine-word lifting of small kernels (`WordDixonLifting`, `ExactRank.wordKernelVectors`)
/// against the big-integer routes on the same matrices.
@Suite struct WordDixonLiftingTests {
  static func wordPrime(_ seed: UInt64) -> UInt64 {
    var draws = ModularRank.RandomPrimes(seed: seed, range: PrimeProductProof.proofPrimeRange)
    return draws.next()
  }

  /// On random low-rank products the word path, when it answers, gives exactly the kernel
  /// vectors of fraction-free Gauss–Jordan (primitive, positive at the non-pivot column);
  /// when it declines (large factors: solutions past three word steps), the full route
  /// still gives them. Both cases occur.
  @Test func sameKernelAsTheBigIntegerRoute() {
    var rng = SeededRandom(seed: 1616)
    var answered = 0, declined = 0
    for trial in 0..<120 {
      let m = rng.nextInt(in: 2...30), n = rng.nextInt(in: 2...30)
      let r = rng.nextInt(in: 1...min(m, n))
      let bound = [3, 50, 1000, 100_000][trial % 4]
      let a = TestMatrices.product(m, r, n, bound: bound, rng: &rng).product
      let exact = a.bareiss()
      let isPivot = Set(exact.pivotCols)
      let others = (0..<n).filter { !isPivot.contains($0) }
      let plain = ExactRank.kernelVectors(of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols)
      let p = ModularRank.randomPrimes(count: 1, seed: UInt64(trial))[0]
      guard a.submatrix(rows: exact.pivotRows, cols: exact.pivotCols).residues(modulo: PrimeField(unchecked: p)).rank()
        == exact.rank, a.submatrix(rows: exact.pivotRows, cols: exact.pivotCols)
        .residues(modulo: PrimeField(unchecked: Self.wordPrime(p))).rank() == exact.rank
      else { continue }
      if let words = ExactRank.wordKernelVectors(
        of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols, others: others, prime: p)
      {
        answered += 1
        #expect(words == plain, "m=\(m) n=\(n) r=\(r) bound=\(bound)")
        #expect(ExactRank.annihilatesAll(a, words, threads: 1))
      } else {
        declined += 1
      }
      // The route the callers take (word path first, GMP lifting behind it).
      let lifted = ExactRank.kernelVectors(
        of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols, prime: p, threads: 1)
      #expect(lifted == plain, "m=\(m) n=\(n) r=\(r) bound=\(bound)")
    }
    #expect(answered >= 30 && declined >= 5, "answered \(answered), declined \(declined)")
  }

  /// Entries of B exactly at the word limit (a + ⌈log2 r⌉ + 24 = 52) are accepted and solved
  /// exactly (B·Z = d·C over Z, same solution as the GMP lifting); one bit more is declined,
  /// and the kernel route falls back to GMP with the same vectors.
  @Test(arguments: [1, 4, 9, 16]) func wordLimitAndFallback(size r: Int) throws {
    let logR = r <= 1 ? 0 : Int.bitWidth - (r - 1).leadingZeroBitCount
    let limitBits = 52 - 24 - logR
    #expect(WordDixonLifting.accepts(size: r, bitsB: limitBits, bitsC: 50))
    #expect(!WordDixonLifting.accepts(size: r, bitsB: limitBits + 1, bitsC: 50))
    #expect(!WordDixonLifting.accepts(size: r, bitsB: limitBits, bitsC: 51))
    var rng = SeededRandom(seed: UInt64(r) * 77)
    var solvedAtLimit = 0
    for trial in 0..<6 {
      let s = rng.nextInt(in: 1...5)
      // B: ±(2^a − 1) on the diagonal (exactly a bits, the limit) plus small noise.
      let top = (1 << limitBits) - 1
      let b = IntegerMatrix(rows: r, cols: r)
      for i in 0..<r {
        for j in 0..<r { b[i, j] = BigInt(i == j ? (trial % 2 == 0 ? top : -top) : rng.nextInt(in: -3...3)) }
      }
      // C = B·Z₀ for a small Z₀: a solution of a few bits, B entries at the limit.
      let c = b.multiply(TestMatrices.random(r, s, bound: 5, rng: &rng))
      let words = { (x: IntegerMatrix) in (0..<(x.rows * x.cols)).map { Int64(x[$0 / x.cols, $0 % x.cols].intValue!) } }
      let q = Self.wordPrime(UInt64(trial + 1))
      guard b.residues(modulo: PrimeField(unchecked: q)).rank() == r else { continue }
      if let (z, d) = WordDixonLifting.solve(b: words(b), c: words(c), size: r, columns: s, prime: q) {
        solvedAtLimit += 1
        let zm = IntegerMatrix((0..<r).map { i in (0..<s).map { Int(z[i * s + $0]) } })
        let lhs = b.multiply(zm)
        for i in 0..<r { for k in 0..<s { #expect(lhs[i, k] == BigInt(Int(d[k])) * c[i, k]) } }
        let (zg, dg) = try #require(DixonLifting.solve(b, c, prime: q, threads: 1))
        for i in 0..<r { for k in 0..<s { #expect(zm[i, k] * dg[k] == zg[i, k] * BigInt(Int(d[k]))) } }
      }
      // One bit more in B: declined, whatever the solution.
      let wide = b.copy()
      wide[0, 0] = BigInt(top + 1)
      #expect(WordDixonLifting.solve(b: words(wide), c: words(c), size: r, columns: s, prime: q) == nil)
    }
    #expect(solvedAtLimit > 0)
    // A matrix [B | B·e + …] with an entry past the word limit: the kernel route declines the
    // word path and still returns the kernel of Gauss–Jordan.
    let m = IntegerMatrix(rows: r, cols: r + 2)
    for i in 0..<r {
      for j in 0..<r { m[i, j] = BigInt(i == j ? 1 << (limitBits + 1) : rng.nextInt(in: -9...9)) }
      m[i, r] = m[i, 0] + m[i, r - 1]
      m[i, r + 1] = BigInt(rng.nextInt(in: 1...9)) * BigInt(1 << 62) * BigInt(4)  // past Int64
    }
    let pivots = Array(0..<r)
    let pivotRows = Array(0..<r)
    #expect(
      ExactRank.wordKernelVectors(of: m, pivotRows: pivotRows, pivotCols: pivots, others: [r, r + 1], prime: 24_970_349)
        == nil)
    let lifted = ExactRank.kernelVectors(of: m, pivotRows: pivotRows, pivotCols: pivots, prime: 24_970_349, threads: 1)
    let plain = ExactRank.kernelVectors(of: m, pivotRows: pivotRows, pivotCols: pivots)
    #expect(lifted == plain)
    #expect(ExactRank.annihilatesAll(m, lifted, threads: 1))
  }

  /// The one-product check in exact doubles agrees with the per-vector exact check, on true
  /// kernels and on kernels with one entry changed by one, at sizes on both sides of its limit.
  @Test func doubleCheckAgreesWithExactCheck() {
    var rng = SeededRandom(seed: 5353)
    var viaDoubles = 0
    for trial in 0..<40 {
      let m = rng.nextInt(in: 2...25), n = rng.nextInt(in: 3...25)
      let r = rng.nextInt(in: 1...min(m, n - 1))
      let bound = [7, 1 << 12, 1 << 20, 1 << 30][trial % 4]
      let a = TestMatrices.product(m, r, n, bound: bound, rng: &rng).product
      let exact = a.bareiss()
      var kernel = ExactRank.kernelVectors(of: a, pivotRows: exact.pivotRows, pivotCols: exact.pivotCols)
      guard !kernel.isEmpty else { continue }
      if ExactRank.annihilatesAllInDoubles(a, kernel, threads: 1) != nil { viaDoubles += 1 }
      #expect(ExactRank.annihilatesAllInDoubles(a, kernel, threads: 1) ?? true)
      #expect(ExactRank.annihilatesAll(a, kernel, threads: 2))
      let k = rng.nextInt(in: 0...(kernel.count - 1)), t = rng.nextInt(in: 0...(kernel[k].values.count - 1))
      kernel[k].values[t] = kernel[k].values[t] + BigInt(1)
      let perVector = kernel.allSatisfy { a.annihilates(indices: $0.indices, values: $0.values) }
      #expect(ExactRank.annihilatesAll(a, kernel, threads: 2) == perVector)
      #expect((ExactRank.annihilatesAllInDoubles(a, kernel, threads: 1) ?? perVector) == perVector)
    }
    #expect(viaDoubles >= 10)
  }
}
