import ConvNet
import Exact
import HessianReference

// Helpers for these tests only. The rank routine is deliberately small and separate from the
// project's `ExactLinearAlgebra`: it is one of the two sides of a cross-check.

/// The exact rank over Q by fraction-free (Bareiss) elimination: each row is scaled to integers
/// by the lcm of its denominators, then every entry after k pivot steps is a k+1 minor, so each
/// division by the previous pivot is exact.
func exactRank(_ matrix: [[Rational]]) -> Int {
  guard let cols = matrix.first?.count, cols > 0 else { return 0 }
  var a: [[BigInt]] = matrix.map { row in
    let scale = row.reduce(BigInt(1)) { BigInt.lcm($0, $1.denominator) }
    return row.map { $0.numerator * scale.dividedExactly(by: $0.denominator) }
  }
  let rows = a.count
  var rank = 0
  var previous = BigInt(1)
  for col in 0..<cols where rank < rows {
    guard let pivotRow = (rank..<rows).first(where: { !a[$0][col].isZero }) else { continue }
    a.swapAt(rank, pivotRow)
    let pivot = a[rank][col]
    for i in (rank + 1)..<rows {
      let factor = a[i][col]
      for j in (col + 1)..<cols {
        var v = pivot * a[i][j]
        if !factor.isZero { v -= factor * a[rank][j] }
        a[i][j] = v.dividedExactly(by: previous)
      }
      a[i][col] = BigInt(0)
    }
    previous = pivot
    rank += 1
  }
  return rank
}

/// A p × p matrix sum.
func add(_ x: [[Rational]], _ y: [[Rational]]) -> [[Rational]] {
  zip(x, y).map { zip($0, $1).map { $0 + $1 } }
}

/// The transpose.
func transpose(_ m: [[Rational]]) -> [[Rational]] {
  guard let cols = m.first?.count else { return [] }
  return (0..<cols).map { j in m.map { $0[j] } }
}

/// Shorthand for exact rationals in literals.
func q(_ n: Int, _ d: Int = 1) -> Rational { Rational(n, d) }

/// A random exact instance: weights, inputs and targets drawn uniformly from [−range, range]
/// with denominators up to `maxDenominator`.
struct Instance {
  let architecture: Architecture
  let theta: [Rational]
  let inputs: [[Rational]]
  let targets: [[Rational]]

  init(_ architecture: Architecture, samples: Int, seed: UInt64, range: Int = 5, maxDenominator: Int = 1) throws {
    var rng = SeededRandom(seed: seed)
    let p = try architecture.parameterCount()
    let d = architecture.input.shape.count
    let k = architecture.outputCount
    self.architecture = architecture
    theta = (0..<p).map { _ in rng.nextRational(bound: range, maxDenominator: maxDenominator) }
    inputs = (0..<samples).map { _ in (0..<d).map { _ in rng.nextRational(bound: range, maxDenominator: maxDenominator) } }
    targets = (0..<samples).map { _ in (0..<k).map { _ in rng.nextRational(bound: range, maxDenominator: maxDenominator) } }
  }

  /// The first instance from seeds `seed`, `seed + 1000`, … with no pre-activation exactly 0
  /// before a ReLU (such kinks have probability zero in the continuum but do occur with small
  /// random rationals; the CLI likewise offers another seed).
  static func differentiable(_ architecture: Architecture, samples: Int, seed: UInt64, range: Int = 5,
                             maxDenominator: Int = 1) throws -> Instance {
    let network = try ReferenceNetwork(architecture)
    for attempt: UInt64 in 0..<50 {
      let instance = try Instance(architecture, samples: samples, seed: seed + 1000 * attempt, range: range,
                                  maxDenominator: maxDenominator)
      let smooth = try instance.inputs.allSatisfy { try network.trace(theta: instance.theta, input: $0).firstKink == nil }
      if smooth { return instance }
    }
    throw NoSmoothInstance(seed: seed)
  }

  func hessians() throws -> ReferenceHessians {
    try ReferenceHessians(architecture: architecture, theta: theta, inputs: inputs, targets: targets)
  }
}

/// Fifty seeds in a row all gave a ReLU kink.
struct NoSmoothInstance: Error {
  let seed: UInt64
}

/// Architectures built by hand (the parser lives elsewhere).
enum Nets {
  static func vector(_ d: Int, _ layers: [Layer]) -> Architecture {
    Architecture(input: InputSpec(shape: TensorShape(channels: 1, spatial: [d]), form: .vector), layers: layers)
  }

  static func signal(_ c: Int, _ d: Int, _ layers: [Layer]) -> Architecture {
    Architecture(input: InputSpec(shape: TensorShape(channels: c, spatial: [d]), form: .signal), layers: layers)
  }

  static func image(_ c: Int, _ h: Int, _ w: Int, _ layers: [Layer]) -> Architecture {
    Architecture(input: InputSpec(shape: TensorShape(channels: c, spatial: [h, w]), form: .image), layers: layers)
  }

  /// The deep linear fully connected net d → M_1 → … → K without biases.
  static func deepLinear(d: Int, hidden: [Int], k: Int) -> Architecture {
    vector(d, (hidden + [k]).map { .dense(DenseLayer(outputs: $0)) })
  }

  /// Small networks that together use every layer option.
  static let covering: [(name: String, architecture: Architecture)] = [
    ("1-D conv stride/pad/bias, relu, dilated conv, leaky, dense bias",
     signal(2, 7, [
       .conv(ConvLayer(outChannels: 2, kernel: [3], stride: [2], padding: [1], bias: true)), .activation(.relu),
       .conv(ConvLayer(outChannels: 2, kernel: [2], dilation: [2])), .activation(.leaky(slope: Rational(1, 3))),
       .dense(DenseLayer(outputs: 2, bias: true)),
     ])),
    ("2-D conv 3x2 stride/pad/bias, avgpool, relu, dense",
     image(1, 4, 5, [
       .conv(ConvLayer(outChannels: 2, kernel: [3, 2], stride: [1, 2], padding: [1, 0], bias: true)),
       .avgPool(AvgPoolLayer(kernel: [2, 1])), .activation(.relu), .dense(DenseLayer(outputs: 2)),
     ])),
    ("2-D dilated conv with 2 input channels, leaky, dense",
     image(2, 4, 4, [
       .conv(ConvLayer(outChannels: 2, kernel: [2, 2], padding: [1, 0], dilation: [1, 2])),
       .activation(.leaky(slope: Rational(-1, 2))), .dense(DenseLayer(outputs: 2, bias: true)),
     ])),
    ("linear 1-D conv, avgpool, dense bias",
     signal(1, 6, [
       .conv(ConvLayer(outChannels: 2, kernel: [3])), .avgPool(AvgPoolLayer(kernel: [2])),
       .dense(DenseLayer(outputs: 2, bias: true)),
     ])),
    ("linear dense bias → dense → dense",
     vector(4, [.dense(DenseLayer(outputs: 3, bias: true)), .dense(DenseLayer(outputs: 2)), .dense(DenseLayer(outputs: 2))])),
  ]
}

/// Exact second partial derivatives of a function of (t, s) that is a polynomial of degree at
/// most `degree` in each variable, from its values on the grid {0, h, …, degree·h}²: the
/// Lagrange interpolant is the polynomial itself, and its derivatives at 0 are fixed linear
/// combinations of the values.
struct PolynomialDifferentiator {
  let nodes: [Rational]
  /// L_j′(0) for the Lagrange basis on `nodes`.
  let first: [Rational]
  /// L_j″(0).
  let second: [Rational]

  init(degree: Int, step h: Rational) {
    nodes = (0...degree).map { Rational($0) * h }
    var first: [Rational] = []
    var second: [Rational] = []
    for j in nodes.indices {
      // Coefficients of Π_{m≠j} (t − t_m) / (t_j − t_m), lowest degree first.
      var poly: [Rational] = [Rational(1)]
      for m in nodes.indices where m != j {
        let scale = Rational(1) / (nodes[j] - nodes[m])
        var next = [Rational](repeating: Rational(), count: poly.count + 1)
        for (e, c) in poly.enumerated() {
          next[e + 1] += c * scale
          next[e] -= c * nodes[m] * scale
        }
        poly = next
      }
      first.append(poly.count > 1 ? poly[1] : Rational())
      second.append(poly.count > 2 ? Rational(2) * poly[2] : Rational())
    }
    self.first = first
    self.second = second
  }

  /// ∂²g/∂t∂s at (0, 0) from g(t_j, t_k).
  func mixed(_ g: (Rational, Rational) throws -> Rational) rethrows -> Rational {
    var total = Rational()
    for (j, t) in nodes.enumerated() where !first[j].isZero {
      for (k, s) in nodes.enumerated() where !first[k].isZero {
        total += first[j] * first[k] * (try g(t, s))
      }
    }
    return total
  }

  /// g″(0) from g(t_j).
  func pure(_ g: (Rational) throws -> Rational) rethrows -> Rational {
    var total = Rational()
    for (j, t) in nodes.enumerated() where !second[j].isZero {
      total += second[j] * (try g(t))
    }
    return total
  }
}
