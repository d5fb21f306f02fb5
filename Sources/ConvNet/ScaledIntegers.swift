import Exact

/// Rationals written as `Int128` numerators over one positive common denominator d
/// (value q = n_q / d): the exact forward pass runs on these machine words, every sum and product
/// checked (or bounded beforehand), with no GMP call per product. Same rationals, so the results
/// are exact either way.
public struct ScaledIntegers: Sendable, Equatable {
  /// The numerators n_q.
  public let numerators: [Int128]
  /// The common denominator (≥ 1): the least common denominator of the values.
  public let denominator: Int128

  /// The values over their least common denominator, or nil when it or a numerator does not fit
  /// in `Int128`.
  public init?(_ values: some Collection<Rational>) {
    var d = BigInt(1)
    for q in values where !q.isInteger { d = BigInt.lcm(d, q.denominator) }
    guard let dw = Self.word(d) else { return nil }
    var out: [Int128] = []
    out.reserveCapacity(values.count)
    for q in values {
      if q.isZero {
        out.append(0)
        continue
      }
      let n = q.isInteger ? q.numerator * d : q.numerator * d.dividedExactly(by: q.denominator)
      guard let w = Self.word(n) else { return nil }
      out.append(w)
    }
    numerators = out
    denominator = dw
  }

  /// Numerators over a denominator d ≥ 1 as given (not reduced).
  public init(numerators: [Int128], denominator: Int128) {
    precondition(denominator >= 1)
    self.numerators = numerators
    self.denominator = denominator
  }

  /// The values as rationals (reduced).
  public var rationals: [Rational] {
    let d = Self.big(denominator)
    let small = Int(exactly: denominator)
    return numerators.map { n in
      if let s = small, let v = Int(exactly: n) { return Rational(v, s) }
      return (try? Rational(Self.big(n), d)) ?? Rational()  // d ≥ 1: never throws
    }
  }

  /// b as an `Int128`, or nil when it does not fit.
  static func word(_ b: BigInt) -> Int128? {
    if let v = b.intValue { return Int128(v) }
    let negative = b < BigInt(0)
    let m = negative ? BigInt(0) - b : b
    let (hi, lo) = m.quotientAndRemainder(dividingBy: two64)
    guard let h = hi.intValue, h >= 0, let l = UInt64(lo.toString()) else { return nil }  // h < 2^63: fits
    let w = Int128(h) << 64 | Int128(l)
    return negative ? -w : w
  }

  /// An `Int128` as a big integer.
  static func big(_ w: Int128) -> BigInt {
    if let v = Int(exactly: w) { return BigInt(v) }
    let m = w.magnitude
    let b = BigInt(UInt64(truncatingIfNeeded: m >> 64)) * two64 + BigInt(UInt64(truncatingIfNeeded: m))
    return w < 0 ? BigInt(0) - b : b
  }

  static let two64 = BigInt(UInt64.max) + BigInt(1)

  /// Bits of |w|: |w| < 2^bits.
  @inlinable static func bits(_ w: Int128) -> Int { 128 - w.magnitude.leadingZeroBitCount }
}

/// The exact forward pass of `NetworkInstance.activationPattern` on `Int128` numerators.
///
/// Every stage keeps its vector as numerators over one positive scale D (value = n / D), so signs
/// and comparisons are read off the numerators: a layer with θ = m/d_θ maps (h, D) to
/// (Σ m·h + m_b·D, d_θ·D); a fixed map with coefficients c/d_c to (Σ c·h, d_c·D); a leaky ReLU
/// with slope a/b (b > 0) multiplies positive numerators by b, negative ones by a, and D by b;
/// ReLU zeroes the negative numerators; max pooling copies the largest. A sum of L products of
/// factors below 2^u and 2^v runs unchecked when ⌈log2(L+1)⌉ + u + v ≤ 126 (it stays below
/// 2^126); otherwise every operation is checked. An overflow, a pre-activation exactly 0 or a
/// tie in a max-pooling window returns nil, and the caller runs that sample over Q (which also
/// decides whether the kink or tie is real) — so the results are the rational pass's.
public struct ScaledForwardPass: Sendable {
  enum Step: Sendable {
    /// bits: of the largest |θ| numerator plus of (longest row + 1), for the unchecked-sum test.
    case parametric(ToeplitzStructure, theta: [Int128], scale: Int128, bits: Int)
    case fixed(FixedLinearMap, coefficients: [Int128], scale: Int128, bits: Int)
    case activation(Activation, slope: (numerator: Int128, denominator: Int128))
    case selection(PoolingWindows)
  }

  let steps: [Step]

  /// Bits of the largest |value| plus bits of (longest CSR row + 1).
  static func bits(_ values: [Int128], rowStart: [Int]) -> Int {
    let longest = rowStart.indices.dropFirst().map { rowStart[$0] - rowStart[$0 - 1] }.max() ?? 0
    return (values.map(ScaledIntegers.bits).max() ?? 0) + ScaledIntegers.bits(Int128(longest + 1))
  }

  /// The pass for `plan` at `theta`, or nil when θ, a fixed coefficient or a slope does not fit.
  public init?(plan: NetworkPlan, theta: [Rational]) {
    var steps: [Step] = []
    for stage in plan.stages {
      switch stage {
      case .parametric(let t, let off, _):
        guard let s = ScaledIntegers(theta[off..<(off + t.parameterCount)]) else { return nil }
        steps.append(.parametric(t, theta: s.numerators, scale: s.denominator,
                                 bits: Self.bits(s.numerators, rowStart: t.rowStart)))
      case .fixed(let m, _):
        guard let s = ScaledIntegers(m.coefficient) else { return nil }
        steps.append(.fixed(m, coefficients: s.numerators, scale: s.denominator,
                            bits: Self.bits(s.numerators, rowStart: m.rowStart)))
      case .activation(let a, _, _):
        var slope: (Int128, Int128) = (1, 1)
        if case .leaky(let q) = a {
          guard let s = ScaledIntegers([q]) else { return nil }
          slope = (s.numerators[0], s.denominator)
        }
        steps.append(.activation(a, slope: slope))
      case .selection(let w, _):
        steps.append(.selection(w))
      }
    }
    self.steps = steps
  }

  /// The branches, max-pooling selections and output of one sample, or nil (see the type).
  public func run(_ x: [Rational], allowKinks: Bool) -> (masks: [[Bool]], selections: [[Int]], output: [Rational])? {
    guard let input = ScaledIntegers(x) else { return nil }
    var h = input.numerators
    var scale = input.denominator
    var masks: [[Bool]] = []
    var selections: [[Int]] = []
    let ring = CheckedInt128Ring()
    for step in steps {
      switch step {
      case .parametric(let t, let th, let d, let bits):
        let unchecked = bits + (h.map(ScaledIntegers.bits).max() ?? 0) <= 126
        var z = [Int128](repeating: 0, count: t.rows)
        for a in 0..<t.rows {
          var acc: Int128 = 0
          if unchecked {
            for e in t.rowStart[a]..<t.rowStart[a + 1] { acc &+= th[t.parameter[e]] &* h[t.column[e]] }
          } else {
            for e in t.rowStart[a]..<t.rowStart[a + 1] { acc = ring.add(acc, ring.multiply(th[t.parameter[e]], h[t.column[e]])) }
          }
          if t.biasOfRow[a] >= 0 { acc = ring.add(acc, ring.multiply(th[t.biasOfRow[a]], scale)) }
          z[a] = acc
        }
        h = z
        scale = ring.multiply(scale, d)
      case .fixed(let m, let c, let d, let bits):
        let unchecked = bits + (h.map(ScaledIntegers.bits).max() ?? 0) <= 126
        h = (0..<m.rows).map { a in
          var acc: Int128 = 0
          for e in m.rowStart[a]..<m.rowStart[a + 1] {
            acc = unchecked ? acc &+ c[e] &* h[m.column[e]] : ring.add(acc, ring.multiply(c[e], h[m.column[e]]))
          }
          return acc
        }
        scale = ring.multiply(scale, d)
      case .activation(let a, let slope):
        var positive = [Bool](repeating: false, count: h.count)
        for q in h.indices {
          if h[q] == 0 && a != .identity && !allowKinks { return nil }
          positive[q] = h[q] > 0
          switch a {
          case .identity: break
          case .relu: if h[q] < 0 { h[q] = 0 }
          case .leaky: h[q] = ring.multiply(h[q], h[q] < 0 ? slope.numerator : slope.denominator)
          }
        }
        if case .leaky = a { scale = ring.multiply(scale, slope.denominator) }
        masks.append(positive)
      case .selection(let w):
        var chosen = [Int](repeating: 0, count: w.rows)
        for a in 0..<w.rows {
          let window = w.candidates(a)
          var best = window.first!
          var tied = false
          for q in window.dropFirst() {
            if h[q] > h[best] {
              best = q
              tied = false
            } else if h[q] == h[best] {
              tied = true
            }
          }
          if tied && !allowKinks { return nil }
          chosen[a] = best
        }
        h = chosen.map { h[$0] }
        selections.append(chosen)
      }
      if ring.overflowed { return nil }
    }
    return (masks, selections, ScaledIntegers(numerators: h, denominator: scale).rationals)
  }
}
