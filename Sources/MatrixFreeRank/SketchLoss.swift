import Exact

/// The loss's side of the matrix-free products: what the output space contributes to H_o, H_f
/// and H_L, modulo the prime of one run.
///
/// With J_i the K × p Jacobian of f(x_i), the loss enters the three Hessians only through
/// δ_i = ∂ℓ_i/∂f (the residual weighting the output Hessians in n·H_f = Σ_i Σ_c δ_ic ∇²f_c) and
/// A_i = ∂²ℓ_i/∂f² (n·H_o = Σ_i J_iᵀ A_i J_i). The network side (J·V, n·H_f·V given δ) is
/// `BatchedProducts`; the sketches take
///
/// * rank(H_o) on the stacked F_i (J_i S), F_i any matrix with rank(H_o) = rank([F_i J_i]);
/// * Sᵀ(n·H_o)S = Σ_i (J_i S)ᵀ A_i (J_i S), from J·S and A·(J·S).
public protocol SketchLoss: Sendable {
  /// δ_i modulo P (residues in [0, P)) from the network output f(x_i) and the instance's target
  /// row, both modulo P.
  func residual(sample i: Int, output: [UInt64], target: [UInt64], field: PrimeField) -> [UInt64]
  /// Rows of F_i.
  func outerRowsPerSample(outputs k: Int) -> Int
  /// The stacked F_i (J_i V) (n·`outerRowsPerSample` × b, centred) from J·V (nK × b, rows
  /// i·K + c, centred).
  func outerFactor(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double]
  /// The stacked A_i (J_i V) (nK × b, centred) from J·V.
  func curvature(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double]
}

/// Mean squared error ℓ = (1/2n) Σ_i ‖f(x_i) − y_i‖²: δ_i = f(x_i) − y_i, A_i = I, F_i = I.
public struct MeanSquaredSketchLoss: SketchLoss {
  /// The loss.
  public init() {}

  public func residual(sample i: Int, output: [UInt64], target: [UInt64], field: PrimeField) -> [UInt64] {
    zip(output, target).map { field.subtract($0, $1) }
  }

  public func outerRowsPerSample(outputs k: Int) -> Int { k }

  public func outerFactor(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double] { jv }

  public func curvature(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double] { jv }
}

/// Softmax cross-entropy at π modulo P (proofs/cross-entropy.md): δ_i = π_i − y_i,
/// A_i = diag π_i − π_i π_iᵀ, and F_i = C = [I_{K−1} | −1] (row c of C·J_i is J_i[c] − J_i[K−1]),
/// whose stacked rank is rank(H_o) whatever π (Lemma 1).
///
/// π is the softmax evaluated at a random t modulo P (π_ic = t^{a_ic}/S_i(t), `SoftmaxExponents`
/// in the Hessian module); every rank found is a proved lower bound on the rank at the point
/// (Lemma 3), and it is the rank at the point unless the cleared minor vanishes at (S, t).
public struct CrossEntropySketchLoss: SketchLoss {
  /// π_ic modulo P (residues).
  public let probabilities: [[UInt64]]
  /// y_ic modulo P (residues): the probability targets of the loss.
  public let targets: [[UInt64]]

  /// The loss at probabilities π and targets y (n rows of K residues each).
  public init(probabilities: [[UInt64]], targets: [[UInt64]]) {
    precondition(probabilities.count == targets.count)
    self.probabilities = probabilities
    self.targets = targets
  }

  public func residual(sample i: Int, output: [UInt64], target: [UInt64], field: PrimeField) -> [UInt64] {
    zip(probabilities[i], targets[i]).map { field.subtract($0, $1) }
  }

  public func outerRowsPerSample(outputs k: Int) -> Int { k - 1 }

  public func outerFactor(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double] {
    let rows = k - 1
    var out = [Double](repeating: 0, count: n * rows * b)
    for i in 0..<n {
      let last = (i * k + k - 1) * b
      for c in 0..<rows {
        let src = (i * k + c) * b, dst = (i * rows + c) * b
        for j in 0..<b { out[dst + j] = field.reduce(jv[src + j] - jv[last + j]) }
      }
    }
    return out
  }

  public func curvature(_ jv: [Double], samples n: Int, outputs k: Int, width b: Int, field: CentredResidues) -> [Double] {
    // A_i u = π ⊙ u − π (πᵀu), per column of the block; every product of two reduced values
    // is reduced at once, so every value stays an integer far below 2^53.
    var out = [Double](repeating: 0, count: n * k * b)
    var dot = [Double](repeating: 0, count: b)
    for i in 0..<n {
      let pi = probabilities[i].map { field.centred($0) }
      for j in 0..<b { dot[j] = 0 }
      for c in 0..<k {
        let row = (i * k + c) * b
        for j in 0..<b { dot[j] = field.reduce(dot[j] + pi[c] * jv[row + j]) }
      }
      for c in 0..<k {
        let row = (i * k + c) * b
        for j in 0..<b { out[row + j] = field.reduce(field.reduce(pi[c] * jv[row + j]) - field.reduce(pi[c] * dot[j])) }
      }
    }
    return out
  }
}
