import ConvNet
import Exact
import HessianReference
import Testing

/// The identities that define the symbolic Toeplitz structure, exactly, on random layers.
@Suite struct ToeplitzIdentityTests {
  /// Every parametric layer of a random architecture with random θ, x, g over Q and mod p.
  @Test func patchIdentitiesHoldExactly() throws {
    var rng = SeededRandom(seed: 2024)
    let q = RationalRing()
    let f = PrimeField(unchecked: 1_000_000_007)
    var checked = 0
    for _ in 0..<150 {
      let arch = RandomArchitectures.make(&rng)
      let plan = try NetworkPlan(arch)
      for stage in plan.stages {
        guard case .parametric(let t, _, _) = stage else { continue }
        let theta = (0..<t.parameterCount).map { _ in rng.nextRational(bound: 5, maxDenominator: 3) }
        let x = (0..<t.cols).map { _ in rng.nextRational(bound: 5, maxDenominator: 3) }
        let g = (0..<t.rows).map { _ in rng.nextRational(bound: 5, maxDenominator: 3) }
        let th = theta[...]
        // T(θ)x + b = Z(x)θ
        let lhs = t.apply(theta: th, to: x, in: q)
        #expect(lhs == q.product(t.patchMatrix(input: x, in: q), theta))
        // The evaluated matrix agrees with apply (bias added separately).
        let tx = q.product(t.matrix(theta: th, in: q), x)
        let bias = (0..<t.rows).map { t.biasOfRow[$0] >= 0 ? theta[t.biasOfRow[$0]] : Rational() }
        #expect(zip(tx, bias).map { $0 + $1 } == lhs)
        // gᵀT(θ) = θᵀY(g)
        let gT = t.applyTransposed(theta: th, to: g, in: q)
        #expect(gT == q.product(t.transposedPatch(g, in: q).transposed(), theta))
        #expect(gT == q.product(t.matrix(theta: th, in: q).transposed(), g))
        // The same identities in a prime field, on the images of the same values.
        let thp = try theta.map { try f.element($0) }, xp = try x.map { try f.element($0) }
        #expect(try t.apply(theta: thp[...], to: xp, in: f) == lhs.map { try f.element($0) })
        #expect(f.product(t.patchMatrix(input: xp, in: f), thp) == t.apply(theta: thp[...], to: xp, in: f))
        checked += 1
      }
    }
    #expect(checked > 150)
  }

  /// The 1-D Toeplitz matrix of a stride-1 conv is [T^w]_{a,b} = w_{b − a} (cross-correlation).
  @Test func oneDimensionalToeplitzShape() {
    let c = ConvLayer(outChannels: 1, kernel: [3])
    let t = ToeplitzStructure(conv: c, input: TensorShape(channels: 1, spatial: [5]), output: TensorShape(channels: 1, spatial: [3]))
    let q = RationalRing()
    let w: [Rational] = [2, 3, 5]
    let m = t.matrix(theta: w[...], in: q)
    #expect(m.nestedRows == [[2, 3, 5, 0, 0], [0, 2, 3, 5, 0], [0, 0, 2, 3, 5]])
  }

  /// Stride 2, padding 1, dilation 2 in 1-D, against PyTorch's indexing rule written out by hand.
  @Test func strideDilationPadding() throws {
    let c = ConvLayer(outChannels: 1, kernel: [2], stride: [2], padding: [1], dilation: [2])
    let input = TensorShape(channels: 1, spatial: [6])
    // Output length ⌊(6 + 2 − 2·1 − 1)/2⌋ + 1 = 3; output y reads inputs 2y − 1 and 2y + 1.
    #expect(c.outputSize(input: 6, dimension: 0) == 3)
    let t = ToeplitzStructure(conv: c, input: input, output: TensorShape(channels: 1, spatial: [3]))
    let m = t.matrix(theta: ([7, 11] as [Rational])[...], in: RationalRing())
    #expect(m.nestedRows == [[0, 11, 0, 0, 0, 0], [0, 7, 0, 11, 0, 0], [0, 0, 0, 7, 0, 11]])
  }

  /// A 2-D kernel k=3x2 on a 2-channel 3×3 image: parameter layout [out, in, kh, kw].
  @Test func twoDimensionalLayout() {
    let c = ConvLayer(outChannels: 1, kernel: [3, 2])
    let input = TensorShape(channels: 2, spatial: [3, 3])
    let t = ToeplitzStructure(conv: c, input: input, output: TensorShape(channels: 1, spatial: [1, 2]))
    #expect(t.weightCount == 12)
    // Output (0, 1) reads columns 1...2 of each row; weight (ch, i, j) is parameter ch·6 + i·2 + j.
    let row1 = Array(zip(t.column[t.rowStart[1]..<t.rowStart[2]], t.parameter[t.rowStart[1]..<t.rowStart[2]]))
    let expected = (0..<2).flatMap { ch in (0..<3).flatMap { i in (0..<2).map { j in ((ch * 3 + i) * 3 + 1 + j, ch * 6 + i * 2 + j) } } }
    #expect(row1.map { $0.0 } == expected.map { $0.0 })
    #expect(row1.map { $0.1 } == expected.map { $0.1 })
  }

  /// Average pooling is the mean of each window.
  @Test func averagePooling() throws {
    let pl = AvgPoolLayer(kernel: [2, 2])
    let m = FixedLinearMap(avgPool: pl, input: TensorShape(channels: 1, spatial: [2, 4]), output: TensorShape(channels: 1, spatial: [1, 2]))
    let q = RationalRing()
    let x: [Rational] = [1, 2, 3, 4, 5, 6, 7, 9]
    #expect(m.apply(try m.coefficients(in: q), to: x, in: q) == [Rational(14, 4), Rational(23, 4)])
  }
}
