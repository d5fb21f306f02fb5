import ConvNet
import Exact
import HessianReference
import Testing

/// The machine-integer forward pass equals the one over Q, and steps aside when values are too big.
@Suite struct ScaledIntegerTests {
  /// Random layers, integer and fractional θ and x: `applyScaled` = `apply` over Q exactly.
  @Test func scaledApplyEqualsRationalApply() throws {
    var rng = SeededRandom(seed: 77)
    let q = RationalRing()
    var checked = 0
    for round in 0..<60 {
      let plan = try NetworkPlan(RandomArchitectures.make(&rng))
      for stage in plan.stages {
        guard case .parametric(let t, _, _) = stage else { continue }
        let denominator = round % 3 == 0 ? 1 : 4
        let theta = (0..<t.parameterCount).map { _ in rng.nextRational(bound: 1000, maxDenominator: denominator) }
        let x = (0..<t.cols).map { _ in rng.nextRational(bound: 1000, maxDenominator: denominator) }
        let th = try #require(ScaledIntegers(theta[...]))
        let xs = try #require(ScaledIntegers(x))
        #expect(t.applyScaled(theta: th, to: xs) == t.apply(theta: theta[...], to: x, in: q))
        checked += 1
      }
    }
    #expect(checked > 60)
  }

  /// 2^31 and beyond, or denominators whose lcm reaches 2^31: no scaled form (the rational
  /// path is used); an output beyond Int: nil.
  @Test func largeValuesFallBack() throws {
    #expect(ScaledIntegers([Rational(1 << 31)]) == nil)
    #expect(ScaledIntegers([Rational(1, 65_536), Rational(1, 65_537)]) == nil)
    let s = try #require(ScaledIntegers([Rational(1, 2), Rational(-3, 4), Rational(5)]))
    #expect(s.denominator == 4 && s.numerators == [2, -3, 20])
    let t = ToeplitzStructure(dense: DenseLayer(outputs: 1, bias: false), inputs: 4)
    let big = try #require(ScaledIntegers([Rational]((0..<4).map { _ in Rational((1 << 31) - 1) })))
    #expect(t.applyScaled(theta: big, to: big) == nil)  // 4·(2^31 − 1)² > Int.max
  }
}
