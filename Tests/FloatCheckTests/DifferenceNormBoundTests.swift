import Exact
import Testing
@testable import FloatCheck

@Suite struct DifferenceNormBoundTests {
  @Test func squareRootBoundIsRigorousAndTight() throws {
    var rng = SeededRandom(seed: 5)
    var qs: [Rational] = [1, 2, 3, Rational(1, 3), Rational(10, 7), try Rational(parsing: "1e-700"),
                          try Rational(parsing: "1e600"), try Rational(parsing: "123456789012345678901234567890/7")]
    for _ in 0..<200 { qs.append(rng.nextRational(bound: 1_000_000, maxDenominator: 1_000_000).magnitude) }
    for q in qs where !q.isZero {
      let u = RationalBounds.squareRootUpperBound(q)
      let r = try Rational(exactly: u)
      #expect(r * r >= q, "\(q)")
      let below = try Rational(exactly: u.nextDown)
      // Tight: a few ulps at most above the true square root.
      let fewBelow = try Rational(exactly: u.nextDown.nextDown.nextDown.nextDown)
      #expect(fewBelow * fewBelow < q || below * below < q, "\(q) → \(u)")
    }
    #expect(RationalBounds.squareRootUpperBound(Rational(4)) == 2)
    #expect(RationalBounds.squareRootUpperBound(Rational()) == 0)
    #expect(RationalBounds.squareRootUpperBound(try Rational(parsing: "1e1000")) == .infinity)
    #expect(RationalBounds.upperBound(Rational(1, 3)) == (1.0 / 3).nextUp)
    #expect(RationalBounds.upperBound(Rational(1, 4)) == 0.25)
  }

  @Test func boundsAKnownSpectralNormFromAbove() throws {
    // A − B = u vᵀ (rank one) has ‖A − B‖₂ = ‖u‖ ‖v‖ exactly; here u = (3, 4)/1024,
    // v = (1, 2, 2)/3 so ‖·‖₂ = (5/1024)(3/3) = 5/1024, while the Frobenius bound is equal
    // too (rank one) — so every bound must be ≥ 5/1024 and the best one within rounding.
    let u: [Rational] = [Rational(3, 1024), Rational(4, 1024)]
    let v: [Rational] = [Rational(1, 3), Rational(2, 3), Rational(2, 3)]
    var float: [Double] = []
    var b: [Rational] = []
    for i in 0..<2 {
      for j in 0..<3 {
        // Pick the float entry; the exact matrix is float − u vᵀ so the difference is u vᵀ.
        let f = Double(i * 3 + j) * 0.37 - 1
        float.append(f)
        b.append(try Rational(exactly: f) - u[i] * v[j])
      }
    }
    let bound = try DifferenceNormBound(float: float, exact: b, rows: 2, cols: 3)
    let truth = Rational(5, 1024)
    #expect(bound.frobeniusSquared == truth * truth)
    #expect(try Rational(exactly: bound.upperBound) >= truth)
    #expect(bound.upperBound <= (5.0 / 1024).nextUp.nextUp)
    #expect(bound.maxEntryDifference == Rational(8, 3 * 1024))
    for (_, value) in bound.bounds { #expect(try Rational(exactly: value) >= truth) }
  }

  @Test func collatzWielandtBeatsTheNormInequalitiesOnANoiseMatrix() throws {
    // A diagonal difference diag(d): ‖·‖₂ = max |d_i| while Frobenius is √Σd_i².
    let n = 50
    var rng = SeededRandom(seed: 11)
    var float = [Double](repeating: 0, count: n * n)
    var exact = [Rational](repeating: Rational(), count: n * n)
    var largest = Rational()
    for i in 0..<n {
      float[i * n + i] = 1
      let d = Rational(Int(rng.next(in: 1...1000)), 1 << 40)
      exact[i * n + i] = 1 - d
      if largest < d { largest = d }
    }
    let bound = try DifferenceNormBound(float: float, exact: exact, rows: n, cols: n)
    #expect(try Rational(exactly: bound.upperBound) >= largest)
    #expect(bound.upperBound <= RationalBounds.upperBound(largest) * (1 + 1e-9))
    #expect(bound.upperBound < bound.bounds["Frobenius"]!)
    // Zero difference: bound 0.
    let zero = try DifferenceNormBound(float: [1, 2], exact: [1, 2], rows: 1, cols: 2)
    #expect(zero.upperBound == 0)
    #expect(throws: SpectrumError.self) { try DifferenceNormBound(float: [.nan], exact: [1], rows: 1, cols: 1) }
    #expect(throws: SpectrumError.self) { try DifferenceNormBound(float: [1, 2], exact: [1], rows: 1, cols: 2) }
  }
}
