/// A seeded, reproducible pseudo-random generator (xoshiro256** seeded through SplitMix64).
///
/// The same seed gives the same sequence on every machine and every Swift version: nothing
/// here depends on the standard library's unspecified `random(in:)` algorithms.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  /// A generator whose whole future is fixed by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = s.3 << 45 | s.3 >> 19
    return result
  }

  /// A uniform value in [range.lowerBound, range.upperBound] by rejection (no modulo bias).
  public mutating func next(in range: ClosedRange<UInt64>) -> UInt64 {
    let width = range.upperBound &- range.lowerBound
    if width == .max { return next() }
    let n = width + 1
    let limit = UInt64.max - (UInt64.max % n + 1) % n  // largest multiple of n, minus 1
    while true {
      let v = next()
      if v <= limit { return range.lowerBound + v % n }
    }
  }

  /// A uniform integer in [range.lowerBound, range.upperBound].
  public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
    let width = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound))
    return range.lowerBound &+ Int(bitPattern: UInt(next(in: 0...width)))
  }

  /// A uniform integer in [−bound, bound] as a `BigInt`.
  public mutating func nextBigInt(bound: Int) -> BigInt {
    BigInt(nextInt(in: -bound...bound))
  }

  /// A rational a/b with a uniform in [−bound·b, bound·b] and b uniform in 1...maxDenominator,
  /// so the value lies in [−bound, bound]. With maxDenominator 1 it is a uniform integer.
  public mutating func nextRational(bound: Int, maxDenominator: Int = 1) -> Rational {
    precondition(bound >= 0 && maxDenominator >= 1)
    let b = nextInt(in: 1...maxDenominator)
    let a = nextInt(in: -(bound * b)...(bound * b))
    return Rational(a, b)
  }

  /// A uniform nonzero element of a range's residues: used for random field elements.
  public mutating func nextElement(of field: PrimeField) -> UInt64 {
    next(in: 0...(field.p - 1))
  }
}
