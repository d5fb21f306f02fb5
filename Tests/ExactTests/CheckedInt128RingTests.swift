import Testing

@testable import Exact

/// The checked 128-bit ring: exact results agree with big integers, and every kind of
/// overflow is caught (the builders then start again in big integers).
@Suite struct CheckedInt128RingTests {
  @Test func agreesWithBigIntegersWhileNothingOverflows() {
    let ring = CheckedInt128Ring()
    var rng = SeededRandom(seed: 128)
    for _ in 0..<500 {
      let a = rng.nextInt(in: -(1 << 60)...(1 << 60)), b = rng.nextInt(in: -(1 << 60)...(1 << 60))
      let x = Int128(a), y = Int128(b)
      let product = ring.multiply(x, y), sum = ring.add(x, y), difference = ring.subtract(x, y)
      #expect(BigInt(a) * BigInt(b) == Self.big(product))
      #expect(BigInt(a) + BigInt(b) == Self.big(sum))
      #expect(BigInt(a) - BigInt(b) == Self.big(difference))
      #expect(ring.negate(x) == -x)
    }
    #expect(!ring.overflowed)
  }

  @Test func everyOverflowIsRecorded() throws {
    let cases: [(CheckedInt128Ring) throws -> Void] = [
      { _ = $0.multiply(Int128(1) << 64, Int128(1) << 63) },  // 2^127
      { _ = $0.add(Int128.max, 1) },
      { _ = $0.subtract(Int128.min, 1) },
      { _ = $0.negate(Int128.min) },
      { _ = try $0.element(Rational(BigInt(2).power(70))) },  // a weight beyond 64 bits
    ]
    for (k, body) in cases.enumerated() {
      let ring = CheckedInt128Ring()
      try body(ring)
      #expect(ring.overflowed, "case \(k)")
    }
    // The largest product that fits does not overflow.
    let ring = CheckedInt128Ring()
    #expect(ring.multiply(Int128(1) << 63, (Int128(1) << 63) - 1) == (Int128(1) << 126) - (Int128(1) << 63))
    #expect(!ring.overflowed)
    #expect(throws: NoImageError.self) { try ring.element(Rational(1, 2)) }
  }

  static func big(_ v: Int128) -> BigInt {
    let hi = BigInt(Int(truncatingIfNeeded: v >> 64)), lo = BigInt(UInt64(truncatingIfNeeded: v))
    return hi * BigInt(2).power(64) + lo
  }
}
