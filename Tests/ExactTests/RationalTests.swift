import Testing
@testable import Exact

@Suite struct RationalTests {
  @Test(arguments: [
    ("-3", "-3"), ("7/12", "7/12"), ("14/-24", nil), ("0.125", "1/8"), ("1e-3", "1/1000"),
    ("-1.5e2", "-150"), (".5", "1/2"), ("5.", "5"), ("+2/4", "1/2"), ("2E3", "2000"),
  ] as [(String, String?)])
  func parsing(text: String, expected: String?) throws {
    if let expected {
      #expect(try Rational(parsing: text).description == expected)
    } else {
      #expect(throws: ExactNumberError.self) { try Rational(parsing: text) }
    }
  }

  @Test func zeroDenominatorIsAnErrorNotACrash() {
    #expect(throws: ExactNumberError.zeroDenominator("1/0")) { try Rational(parsing: "1/0") }
    #expect(Rational(1).divided(by: Rational()) == nil)
    #expect(Rational().reciprocal == nil)
  }

  @Test func junkIsRejected() {
    for bad in ["", "abc", "1/2/3", "1..2", "e5", "1e", "--1", "1/ 2x", "0x1p3", "nan", "inf"] {
      #expect(throws: ExactNumberError.self, "\(bad)") { try Rational(parsing: bad) }
    }
  }

  @Test func exactDoubles() throws {
    #expect(try Rational(exactly: 0.1).description == "3602879701896397/36028797018963968")
    #expect(try Rational(exactly: -2.5) == Rational(-5, 2))
    #expect(throws: ExactNumberError.self) { try Rational(exactly: .nan) }
    #expect(throws: ExactNumberError.self) { try Rational(exactly: -.infinity) }
    let tiny = try Rational(exactly: Double.leastNonzeroMagnitude)
    #expect(tiny.denominator == BigInt(2).power(1074))
  }

  @Test func fieldAxioms() {
    var rng = SeededRandom(seed: 7)
    for _ in 0..<200 {
      let a = rng.nextRational(bound: 50, maxDenominator: 9)
      let b = rng.nextRational(bound: 50, maxDenominator: 9)
      let c = rng.nextRational(bound: 50, maxDenominator: 9)
      #expect((a + b) * c == a * c + b * c)
      #expect(a - a == Rational())
      if !b.isZero { #expect((a / b) * b == a) }
      #expect((a < b) == ((a - b).signum < 0))
    }
  }

  @Test func intMinOverMinusOneDoesNotOverflow() {
    let q = Rational(Int.min, -1)
    #expect(q.numerator == BigInt(2).power(63))
  }

  @Test func residueModP() throws {
    let f = try #require(PrimeField(1_000_000_007))
    let q = Rational(7, 12)
    let r = try #require(q.residue(modulo: f.p))
    #expect(f.multiply(r, 12) == 7)
    #expect(Rational(1, 7).residue(modulo: 7) == nil)
  }
}
