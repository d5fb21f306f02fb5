import Exact

/// Rationals written as machine-integer numerators over one common denominator, when every
/// numerator and the denominator stay below 2^31 in magnitude: the exact forward pass then runs
/// on machine integers (products below 2^62, sums in `Int128`), with no GMP call per product.
/// The values are the same rationals, so the results are exact either way.
public struct ScaledIntegers: Sendable {
  /// The numerators n_q (value q = n_q / denominator).
  public let numerators: [Int]
  /// The common denominator (≥ 1).
  public let denominator: Int
  /// Magnitudes allowed for numerators and the denominator.
  static let limit = 1 << 31

  /// The values over their least common denominator, or nil when something reaches 2^31.
  public init?(_ values: some Collection<Rational>) {
    var d = 1
    for q in values where !q.isInteger {
      guard let qd = q.denominator.intValue, qd < Self.limit else { return nil }
      d = d / Self.gcd(d, qd) * qd
      guard d < Self.limit else { return nil }
    }
    var out: [Int] = []
    out.reserveCapacity(values.count)
    for q in values {
      if q.isZero {
        out.append(0)
        continue
      }
      guard let n = q.numerator.intValue, n.magnitude < UInt(Self.limit) else { return nil }
      let scale = q.isInteger ? d : d / (q.denominator.intValue ?? d)
      let v = n.multipliedReportingOverflow(by: scale)
      guard !v.overflow, v.partialValue.magnitude < UInt(Self.limit) else { return nil }
      out.append(v.partialValue)
    }
    numerators = out
    denominator = d
  }

  static func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
  }
}

extension ToeplitzStructure {
  /// z = T(θ) x + b(θ) over Q on machine integers, or nil when an output does not fit an `Int`
  /// (the caller then uses `apply(theta:to:in:)` over the rationals).
  public func applyScaled(theta: ScaledIntegers, to x: ScaledIntegers) -> [Rational]? {
    let th = theta.numerators, xs = x.numerators
    let d = theta.denominator * x.denominator  // both < 2^31
    var z: [Rational] = []
    z.reserveCapacity(rows)
    for a in 0..<rows {
      var acc: Int128 = biasOfRow[a] >= 0 ? Int128(th[biasOfRow[a]] * x.denominator) : 0
      for e in rowStart[a]..<rowStart[a + 1] { acc += Int128(th[parameter[e]] * xs[column[e]]) }
      guard let v = Int(exactly: acc) else { return nil }
      z.append(d == 1 ? Rational(v) : Rational(v, d))
    }
    return z
  }
}
