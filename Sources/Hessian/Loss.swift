import ConvNet
import Exact

extension LossFunction {
  /// Rows of the factor of H_o per sample: K for MSE, K − 1 for cross-entropy.
  public func outerRowsPerSample(outputs k: Int) -> Int { self == .mse ? k : k - 1 }

  /// The stacked matrix whose rank is rank(H_o), from the stacked Jacobian J (nK × p).
  ///
  /// MSE: J itself (n·H_o = JᵀJ). Cross-entropy: the stacked C·J_i with C = [I_{K−1} | −1]
  /// (row c of C·J_i is J_i[c] − J_i[K−1]); its rank equals rank(H_o) while every π_ic > 0
  /// (proofs/cross-entropy.md, Lemma 1), whatever the values of π.
  public func outerFactor<R: ScalarRing>(_ jac: ScalarMatrix<R.Element>, outputs k: Int, ring: R) -> ScalarMatrix<R.Element> {
    guard self == .crossEntropy else { return jac }
    let n = jac.rows / k, p = jac.cols, rows = k - 1
    var out = ring.zeroMatrix(rows: n * rows, cols: p)
    for i in 0..<n {
      let last = (i * k + k - 1) * p
      for c in 0..<rows {
        let src = (i * k + c) * p, dst = (i * rows + c) * p
        for j in 0..<p { out.storage[dst + j] = ring.subtract(jac.storage[src + j], jac.storage[last + j]) }
      }
    }
    return out
  }

  /// The symbol of the matrix whose rank is reported for H_o, e.g. "J (40×31)" or "C·J (30×31)".
  public func outerMatrixName(samples n: Int, outputs k: Int, parameters p: Int) -> String {
    self == .mse ? "J (\(n * k)×\(p))" : "C·J (\(n * (k - 1))×\(p))"
  }
}

/// Errors specific to a loss.
public struct LossError: Error, CustomStringConvertible {
  /// One line for the user.
  public let description: String
  /// An error with its message.
  public init(_ message: String) { description = message }
}

/// Cross-entropy targets: probability rows (≥ 0, summing to 1).
public enum CrossEntropyTargets {
  /// The instance's targets when they are probability rows; for random targets (not given
  /// explicitly) one-hot labels drawn from the instance seed instead, so that seeded points work.
  /// - Throws: `LossError` when explicit targets are not probability rows.
  public static func targets(_ instance: NetworkInstance) throws -> [[Rational]] {
    let k = instance.plan.outputSize
    if instance.settings.targetValues != nil {
      for (i, row) in instance.targets.enumerated() {
        guard row.allSatisfy({ $0.signum >= 0 }), row.reduce(Rational(), +) == Rational(1) else {
          throw LossError("cross-entropy targets must be probabilities (entries ≥ 0 summing to 1, e.g. one-hot); sample \(i) is not")
        }
      }
      return instance.targets
    }
    var rng = SeededRandom(seed: instance.settings.seed ^ 0x4345_4C41_4245_4C53)  // "CELABELS"
    return (0..<instance.sampleCount).map { _ in
      let label = rng.nextInt(in: 0...(k - 1))
      return (0..<k).map { $0 == label ? Rational(1) : Rational() }
    }
  }
}
