import Exact
import ExactLinearAlgebra

/// Builders for test matrices with known properties.
enum TestMatrices {
  /// A matrix with entries uniform in [−bound, bound].
  static func random(_ m: Int, _ n: Int, bound: Int, rng: inout SeededRandom) -> IntegerMatrix {
    let a = IntegerMatrix(rows: m, cols: n)
    for i in 0..<m {
      for j in 0..<n { a[i, j] = BigInt(rng.nextInt(in: -bound...bound)) }
    }
    return a
  }

  /// A·B with A m×r and B r×n random: rank r exactly when A has rank r and B has rank r
  /// (then A is injective and B surjective, so AB has rank r).
  static func product(_ m: Int, _ r: Int, _ n: Int, bound: Int, rng: inout SeededRandom)
    -> (product: IntegerMatrix, a: IntegerMatrix, b: IntegerMatrix)
  {
    let a = random(m, r, bound: bound, rng: &rng)
    let b = random(r, n, bound: bound, rng: &rng)
    return (a.multiply(b), a, b)
  }

  /// U·D·V with U (m×k), V (k×n) random and D = diag(d): the rank over Q is the number of
  /// nonzero d when U, V have full rank k; modulo a prime q the d divisible by q drop out.
  static func withDiagonal(_ m: Int, _ d: [Int], _ n: Int, bound: Int, rng: inout SeededRandom) -> IntegerMatrix {
    let k = d.count
    let u = random(m, k, bound: bound, rng: &rng)
    let v = random(k, n, bound: bound, rng: &rng)
    for i in 0..<k {
      for j in 0..<n { v[i, j] = v[i, j] * BigInt(d[i]) }
    }
    return u.multiply(v)
  }

  /// The n×n Hilbert matrix 1/(i+j+1).
  static func hilbert(_ n: Int) -> [[Rational]] {
    (0..<n).map { i in (0..<n).map { j in Rational(1, i + j + 1) } }
  }
}

extension BigInt {
  /// n! for small n.
  static func factorial(_ n: Int) -> BigInt {
    var f = BigInt(1)
    if n > 1 { for k in 2...n { f *= BigInt(k) } }
    return f
  }
}
