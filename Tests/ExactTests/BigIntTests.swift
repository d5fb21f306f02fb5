import Testing
@testable import Exact

@Suite struct BigIntTests {
  @Test func arithmeticMatchesClosedForms() {
    let two = BigInt(2)
    #expect(two.power(200).description == "1606938044258990275541962092341162602522202993782792835301376")
    #expect(two.power(200).bitWidth == 201)
    let a = BigInt("-123456789012345678901234567890")!
    let b = BigInt("987654321")!
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    #expect(q * b + r == a)
    #expect(r.signum <= 0)  // truncating division keeps the dividend's sign
    #expect(BigInt.gcd(BigInt(84), BigInt(-36)) == BigInt(12))
    #expect(BigInt.lcm(BigInt(4), BigInt(6)) == BigInt(12))
    #expect((a * b).dividedExactly(by: b) == a)
  }

  @Test func copyOnWriteKeepsValueSemantics() {
    var a = BigInt(5)
    let b = a
    a += BigInt(1)
    #expect(a == BigInt(6))
    #expect(b == BigInt(5))
    var c = b
    c *= c
    #expect(c == BigInt(25) && b == BigInt(5))
  }

  @Test func parsingRejectsJunk() {
    #expect(BigInt("+17") == BigInt(17))
    #expect(BigInt("-0") == BigInt(0))
    for bad in ["", "-", "1.5", "12a", " 3", "0x10", "1e3"] {
      #expect(BigInt(bad) == nil, "\(bad)")
    }
  }

  @Test func residuesAreNonNegative() {
    #expect(BigInt(-7).residue(modulo: 5) == 3)
    #expect(BigInt(2).power(100).residue(modulo: 1_000_000_007) == 976_371_285)
  }

  @Test func hashAgreesWithEquality() {
    let x = BigInt(2).power(130) - BigInt(1)
    let y = BigInt("1361129467683753853853498429727072845823")! - BigInt(0)
    #expect(x == y)
    #expect(Set([x, y]).count == 1)
    #expect(BigInt(-3).hashValue != BigInt(3).hashValue)
  }
}
