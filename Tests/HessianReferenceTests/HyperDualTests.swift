import Exact
import HessianReference
import Testing

@Suite struct HyperDualTests {
  @Test func nilpotentUnits() {
    let e1 = HyperDual(q(0), e1: q(1))
    let e2 = HyperDual(q(0), e2: q(1))
    #expect(e1 * e1 == HyperDual(q(0)))
    #expect(e2 * e2 == HyperDual(q(0)))
    #expect(e1 * e2 == HyperDual(q(0), e12: q(1)))
    #expect(e1 * e2 == e2 * e1)
  }

  @Test func cubeGivesFirstAndSecondDerivatives() {
    // g(x) = x³ at x = 2/3 seeded in both units: g, g′ = 3x², g′ = 3x², g″ = 6x.
    let x = HyperDual(q(2, 3), e1: q(1), e2: q(1))
    #expect(x * x * x == HyperDual(q(8, 27), e1: q(4, 3), e2: q(4, 3), e12: q(4)))
  }

  @Test func mixedPartial() {
    // g(u, v) = u²v − 3v at (u, v) = (5, −2): ∂g/∂u = 2uv = −20, ∂g/∂v = u² − 3 = 22,
    // ∂²g/∂u∂v = 2u = 10.
    let u = HyperDual(q(5), e1: q(1))
    let v = HyperDual(q(-2), e2: q(1))
    let g = u * u * v - HyperDual(q(3)) * v
    #expect(g == HyperDual(q(-44), e1: q(-20), e2: q(22), e12: q(10)))
  }

  @Test func ringLaws() {
    var rng = SeededRandom(seed: 11)
    func random() -> HyperDual {
      HyperDual(rng.nextRational(bound: 4, maxDenominator: 3), e1: rng.nextRational(bound: 4, maxDenominator: 3),
                e2: rng.nextRational(bound: 4, maxDenominator: 3), e12: rng.nextRational(bound: 4, maxDenominator: 3))
    }
    for _ in 0..<50 {
      let (a, b, c) = (random(), random(), random())
      #expect(a * (b + c) == a * b + a * c)
      #expect((a * b) * c == a * (b * c))
      #expect(a * b == b * a)
      #expect(a - a == HyperDual(q(0)))
      var s = a
      s += b
      #expect(s == a + b)
      #expect(a.scaled(by: q(-3, 7)) == a * HyperDual(q(-3, 7)))
    }
  }
}
