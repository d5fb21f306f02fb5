import ConvNet
import Exact

/// How a loss combines its per-sample (or per-entry) terms, so that a float Hessian is compared
/// at the scale its program used. The Hessian scales with the reduction; ranks do not.
///
/// hessrank's losses are `mean`: MSE ℓ = 1/(2n) Σ_i ‖f(x_i) − y_i‖², cross-entropy
/// ℓ = (1/n) Σ_i CE_i (PyTorch `F.cross_entropy`, `optax.softmax_cross_entropy(...).mean()`).
public enum LossReduction: String, CaseIterable, Sendable, Codable {
  /// (1/n) Σ_i ℓ_i, with ℓ_i = ½‖f(x_i) − y_i‖² for MSE (hessrank's loss).
  case mean
  /// Σ_i ℓ_i = n × mean (PyTorch `reduction='sum'` for cross-entropy).
  case sum
  /// MSE only: 1/(nK) Σ_i Σ_c (f_c(x_i) − y_ic)², PyTorch `MSELoss()` (reduction='mean'),
  /// `jnp.mean((f - y)**2)`: (2/K) × mean.
  case meanAll = "mean-all"
  /// MSE only: Σ_i Σ_c (f_c(x_i) − y_ic)², PyTorch `MSELoss(reduction='sum')`: 2n × mean.
  case sumAll = "sum-all"

  /// Whether the reduction is defined for `loss` (the elementwise ones are MSE's).
  public func applies(to loss: LossFunction) -> Bool {
    loss == .mse || self == .mean || self == .sum
  }

  /// The factor s with H_reduction = s · H_mean, for n samples and K outputs.
  public func scale(samples n: Int, outputs k: Int) -> Rational {
    switch self {
    case .mean: return Rational(1)
    case .sum: return Rational(n)
    case .meanAll: return Rational(2, k)
    case .sumAll: return Rational(2 * n)
    }
  }

  /// The float Hessian from its n-scaled float build n·H_mean, as a float program would
  /// scale it (one rounding per entry).
  func fromScaled(_ x: Double, samples n: Int, outputs k: Int) -> Double {
    switch self {
    case .mean: return x / Double(n)
    case .sum: return x
    case .meanAll: return (2 * x) / Double(n * k)
    case .sumAll: return 2 * x
    }
  }

  /// The loss in words, e.g. "(1/n) Σ_i CE_i" or "1/(nK) Σ (f − y)²".
  public func formula(_ loss: LossFunction) -> String {
    switch (loss, self) {
    case (.mse, .mean): return "1/(2n) Σ ‖f(x_i) − y_i‖²"
    case (.mse, .sum): return "½ Σ ‖f(x_i) − y_i‖²"
    case (.mse, .meanAll): return "1/(nK) Σ (f_c(x_i) − y_ic)²"
    case (.mse, .sumAll): return "Σ (f_c(x_i) − y_ic)²"
    case (.crossEntropy, .sum): return "Σ_i −Σ_c y_ic log softmax(f(x_i))_c"
    default: return "(1/n) Σ_i −Σ_c y_ic log softmax(f(x_i))_c"
    }
  }
}
