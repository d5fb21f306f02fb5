/// The training loss whose Hessians are ranked, averaged over the n samples.
///
/// * `mse`: ℓ = 1/(2n) Σ_i ‖f(x_i) − y_i‖² (the default; output-space Hessian A_i = I_K);
/// * `crossEntropy`: ℓ = (1/n) Σ_i −Σ_c y_ic log π_ic with π_i = softmax(f(x_i)) and probability
///   targets y_i (one-hot or any rows ≥ 0 summing to 1); A_i = diag π_i − π_i π_iᵀ.
///
/// Each loss supplies its output-space quantities (`outerFactor`, residuals, A_i, in the Hessian
/// module); the network side (J_i, ∇²f_c) is shared. See proofs/cross-entropy.md. Declared here so
/// configs and sweeps can name it (`InstanceSettings.loss`, the `"loss"` key).
public enum LossFunction: String, CaseIterable, Sendable, Codable {
  /// Mean squared error (½‖f − y‖² per sample).
  case mse
  /// Softmax cross-entropy (PyTorch `cross_entropy`, optax `softmax_cross_entropy`, mean over samples).
  case crossEntropy = "ce"

  /// "MSE" or "cross-entropy".
  public var name: String { self == .mse ? "MSE" : "cross-entropy" }
}
