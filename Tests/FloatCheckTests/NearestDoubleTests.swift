import Exact
import Testing
@testable import FloatCheck

@Suite struct NearestDoubleTests {
  /// A random non-negative integer of `words` 64-bit words.
  static func bigInt(words: Int, _ rng: inout SeededRandom) -> BigInt {
    var v = BigInt()
    let shift = BigInt(2).power(64)
    for _ in 0..<words { v = v * shift + BigInt(rng.next()) }
    return v
  }

  static func exact(_ x: Double) -> Rational { try! Rational(exactly: x) }

  /// Checks the definition: `d` is a double nearest to q, and on a tie the even one.
  static func isNearest(_ d: Double, to q: Rational) -> Bool {
    guard d.isFinite else {
      // Overflow: q lies at or beyond the midpoint between the largest double and 2^1024.
      let threshold = exact(.greatestFiniteMagnitude) + exact(0x1p970)
      return d > 0 ? !(q < threshold) : !(-threshold < q)
    }
    let distance = (q - exact(d)).magnitude
    for neighbour in [d.nextUp, d.nextDown] where neighbour.isFinite {
      let other = (q - exact(neighbour)).magnitude
      if other < distance { return false }
      if other == distance && d.significandBitPattern & 1 == 1 && !(d.isZero || neighbour.isZero) { return false }
    }
    return true
  }

  @Test func everyDoubleRoundTripsThroughItsExactValue() {
    var rng = SeededRandom(seed: 11)
    var samples: [Double] = [1, -1, 0.1, -0.3, 1e308, -1e-308, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                             .leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude,
                             -.greatestFiniteMagnitude, 0x1p-1022, Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), 3 * 0x1p-1074]
    while samples.count < 3000 {
      let x = Double(bitPattern: rng.next())
      if x.isFinite { samples.append(x) }
    }
    for x in samples {
      let back = Double(nearest: Self.exact(x))
      #expect(back.bitPattern == x.bitPattern, "\(x) came back as \(back)")
    }
    #expect(Double(nearest: Rational()).bitPattern == 0)
  }

  @Test func halfwayCasesGoToTheEvenNeighbourAndNearbyValuesToTheNearerOne() {
    var rng = SeededRandom(seed: 12)
    var lows: [Double] = [1, 0x1p53, 1.5, Double(1).nextDown, 0x1p-1022, Double(0x1p-1022).nextDown,
                          .leastNonzeroMagnitude, 0, 2 * .leastNonzeroMagnitude, 0x1p1000,
                          Double.greatestFiniteMagnitude.nextDown]
    while lows.count < 600 {
      let x = Double(bitPattern: rng.next() >> 1)  // positive
      if x.isFinite && x.nextUp.isFinite { lows.append(x) }
    }
    for low in lows {
      let high = low.nextUp
      let a = Self.exact(low), b = Self.exact(high)
      let mid = (a + b) * Rational(1, 2)
      let even = low.significandBitPattern & 1 == 0 ? low : high
      for sign in [1, -1] {
        let s = Rational(sign)
        let tie = Double(nearest: s * mid)
        #expect(tie == Double(sign) * even, "tie between \(low) and \(high)")
        // A hair (2^-80 of the spacing) above or below the midpoint decides it.
        let hair = (b - a) * Rational(1, 1 << 40) * Rational(1, 1 << 40)
        #expect(Double(nearest: s * (mid + hair)) == Double(sign) * high)
        #expect(Double(nearest: s * (mid - hair)) == Double(sign) * low)
      }
    }
  }

  @Test func overflowAndUnderflowThresholds() {
    let top = Self.exact(.greatestFiniteMagnitude)
    let half = Self.exact(0x1p970)  // half the spacing at the top binade
    // The largest double has an odd significand, so the tie with 2^1024 rounds up: ∞.
    #expect(Double(nearest: top + half) == .infinity)
    #expect(Double(nearest: -(top + half)) == -.infinity)
    #expect(Double(nearest: top + half - Rational(1)) == .greatestFiniteMagnitude)
    #expect(Double(nearest: Rational(BigInt(2).power(5000))) == .infinity)
    // Half the least subnormal ties with 0 (even); a hair above rounds to the subnormal.
    let tiny = Self.exact(.leastNonzeroMagnitude) * Rational(1, 2)
    #expect(Double(nearest: tiny) == 0)
    #expect(Double(nearest: tiny + tiny * Rational(1, 1 << 30)) == .leastNonzeroMagnitude)
    #expect(Double(nearest: -tiny).sign == .minus && Double(nearest: -tiny) == 0)
    #expect(Double(nearest: try! Rational(BigInt(1), BigInt(2).power(5000))) == 0)
  }

  @Test func randomRationalsSatisfyTheDefinitionAndAgreeWithTruncation() {
    var rng = SeededRandom(seed: 13)
    for trial in 0..<2000 {
      let num = Self.bigInt(words: rng.nextInt(in: 1...20), &rng)
      let den = Self.bigInt(words: rng.nextInt(in: 1...20), &rng) + BigInt(1)
      let q = try! Rational(trial % 2 == 0 ? num : -num, den)
      let d = Double(nearest: q)
      #expect(Self.isNearest(d, to: q), "\(q)")
      // GMP's mpq_get_d truncates toward zero: it is d or d's neighbour towards zero.
      let truncated = RationalBounds.approximate(q)
      if d.isFinite && truncated.isFinite && !truncated.isZero && !d.isZero {
        #expect(truncated == d || truncated == (d > 0 ? d.nextDown : d.nextUp), "\(q): \(truncated) vs \(d)")
      }
    }
  }

  @Test func floatRingIsIEEEDoubleArithmetic() throws {
    let ring = FloatRing()
    #expect(try ring.element(Rational(1, 3)) == 1.0 / 3.0)
    #expect(try ring.element(Rational(1, 10)) == 0.1)
    #expect(ring.add(0.1, 0.2) == 0.30000000000000004 && ring.multiply(ring.one, 2) == 2)
    #expect(ring.isZero(ring.negate(ring.zero)) && !ring.isZero(.leastNonzeroMagnitude))
    #expect(ring.element(1 << 53 + 1) == 0x1p53)
  }
}
