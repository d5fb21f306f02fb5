/// A rule that turns a float spectrum into a numerical rank: the number of spectrum values
/// strictly greater than a tolerance. NumPy, PyTorch and JAX all count `S > tol` (strictly),
/// so a value equal to the tolerance counts as zero.
///
/// Sources (checked for this implementation):
/// * NumPy `numpy.linalg.matrix_rank(A, tol=None, hermitian=False, *, rtol=None)` (NumPy 2.x
///   documentation and `numpy/linalg/_linalg.py`): by default
///   `tol = S.max() * max(M, N) * eps` with `eps = finfo(S.dtype).eps`; `rtol=r` gives
///   `tol = S.max() * r`; `tol=t` is an absolute threshold. It is "the algorithm MATLAB uses".
/// * PyTorch `torch.linalg.matrix_rank(A, *, atol=None, rtol=None, hermitian=False)`
///   (PyTorch documentation): `tol = max(atol, σ₁ · rtol)`; when `rtol` is not given it is
///   `max(m, n) · eps` of A's dtype — except that when `atol` is given and larger than zero,
///   an unspecified `rtol` is 0. An unspecified `atol` is 0.
/// * JAX `jax.numpy.linalg.matrix_rank(M, rtol=None, *, hermitian=False, tol=None)` (source
///   of `jax/_src/numpy/linalg.py`, JAX 0.10.2): by default
///   `S.max() * max(M, N) * finfo(S.dtype).eps`, like NumPy. A given `rtol` is compared
///   with S *directly* (`S > rtol`): despite its name and docstring it acts as an absolute
///   threshold. JAX computes in float32 unless `jax_enable_x64` is set, so a JAX user's
///   Hessian — and with it eps — is float32 by default; pass the spectrum of the matrix in
///   the precision it was computed in.
/// * `rtol=r` (relative, `tol = r · σ_max`) and `atol=a` (absolute, `tol = a`) for
///   thresholds a script chose itself.
///
/// eps is the spectrum's `FloatPrecision.epsilon`: 2^-52 for float64, 2^-23 for float32.
/// Tolerances are evaluated in double precision; a library evaluating them in float32 can
/// differ in the last bit of the threshold, which matters only for a value within one
/// float32 ulp of the tolerance.
public enum ToleranceRule: Sendable, Hashable, CustomStringConvertible {
  /// NumPy's default: `tol = σ_max · max(M, N) · eps`.
  case numpy
  /// PyTorch: `tol = max(atol, σ₁ · rtol)` with PyTorch's defaults for missing arguments.
  case torch(atol: Double?, rtol: Double?)
  /// JAX: the NumPy default when `rtol` is nil; otherwise `tol = rtol` (absolute, as JAX's
  /// code compares `S > rtol`).
  case jax(rtol: Double?)
  /// `tol = rtol · σ_max`.
  case relative(Double)
  /// `tol = atol`.
  case absolute(Double)

  /// The default rules of the three libraries: NumPy, PyTorch, JAX.
  public static let standard: [ToleranceRule] = [.numpy, .torch(atol: nil, rtol: nil), .jax(rtol: nil)]

  /// The tolerance for a spectrum with largest value `sigmaMax` of an M×N matrix whose
  /// machine epsilon is `epsilon`.
  public func tolerance(sigmaMax: Double, rows: Int, cols: Int, epsilon: Double) -> Double {
    let size = Double(max(rows, cols))
    switch self {
    case .numpy, .jax(rtol: nil):
      return sigmaMax * size * epsilon
    case .jax(rtol: let r?):
      return r
    case .torch(let atol, let rtol):
      let a = atol ?? 0
      let r = rtol ?? (a > 0 ? 0 : size * epsilon)
      return max(a, sigmaMax * r)
    case .relative(let r):
      return sigmaMax * r
    case .absolute(let a):
      return a
    }
  }

  /// The tolerance this rule uses on `spectrum` (0 largest value for an empty spectrum).
  public func tolerance(for spectrum: FloatSpectrum) -> Double {
    tolerance(sigmaMax: spectrum.values.first ?? 0, rows: spectrum.rows, cols: spectrum.cols,
              epsilon: spectrum.precision.epsilon)
  }

  /// The numerical rank under this rule: how many spectrum values exceed the tolerance.
  public func rank(of spectrum: FloatSpectrum) -> Int {
    let t = tolerance(for: spectrum)
    return spectrum.values.reduce(0) { $0 + ($1 > t ? 1 : 0) }
  }

  /// True when the tolerance grows with σ_max (a relative component is in effect).
  var isRelative: Bool {
    switch self {
    case .numpy, .jax(rtol: nil), .relative: return true
    case .jax, .absolute: return false
    case .torch(let atol, let rtol): return (rtol ?? ((atol ?? 0) > 0 ? 0 : 1)) > 0
    }
  }

  /// How the tolerance is formed, in words.
  public var formula: String {
    switch self {
    case .numpy: return "σ_max · max(M,N) · eps (NumPy default)"
    case .jax(rtol: nil): return "σ_max · max(M,N) · eps (JAX default)"
    case .jax(rtol: let r?): return "\(r) (JAX compares S > rtol directly)"
    case .torch(nil, nil): return "max(0, σ_max · max(M,N) · eps) (PyTorch default)"
    case .torch(let atol, let rtol):
      let a = atol ?? 0
      let r = rtol.map { "\($0)" } ?? (a > 0 ? "0" : "max(M,N) · eps")
      return "max(\(a), σ_max · \(r)) (PyTorch)"
    case .relative(let r): return "\(r) · σ_max"
    case .absolute(let a): return "\(a)"
    }
  }

  /// The rule as `parsing` accepts it: `numpy`, `torch`, `jax`, `rtol=1e-10`, `atol=1e-8`,
  /// `torch:atol=1e-8,rtol=0`, `jax:rtol=1e-5`.
  public var description: String {
    switch self {
    case .numpy: return "numpy"
    case .jax(rtol: nil): return "jax"
    case .jax(rtol: let r?): return "jax:rtol=\(r)"
    case .torch(nil, nil): return "torch"
    case .torch(let atol, let rtol):
      return "torch:" + [atol.map { "atol=\($0)" }, rtol.map { "rtol=\($0)" }].compactMap { $0 }.joined(separator: ",")
    case .relative(let r): return "rtol=\(r)"
    case .absolute(let a): return "atol=\(a)"
    }
  }

  /// Parses `numpy`, `torch`, `jax`, `rtol=X`, `atol=X`, `numpy:rtol=X`, `numpy:tol=X`
  /// (absolute, as NumPy's `tol`), `torch:atol=X`, `torch:rtol=Y`, `torch:atol=X,rtol=Y`,
  /// `jax:rtol=X`. Values are non-negative finite decimals.
  public init(parsing text: String) throws {
    let lowered = text.lowercased()
    let (library, arguments): (String?, String) = {
      if let colon = lowered.firstIndex(of: ":") {
        return (String(lowered[..<colon]), String(lowered[lowered.index(after: colon)...]))
      }
      return (nil, lowered)
    }()
    var values: [String: Double] = [:]
    func parseArguments(_ allowed: Set<String>) throws {
      for part in arguments.split(separator: ",", omittingEmptySubsequences: false) {
        let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard kv.count == 2, allowed.contains(String(kv[0])), values[String(kv[0])] == nil else {
          throw ToleranceRuleError(text: text)
        }
        guard let v = Double(kv[1]), v.isFinite, v >= 0 else { throw ToleranceRuleError(text: text) }
        values[String(kv[0])] = v
      }
    }
    switch library {
    case nil:
      switch arguments {
      case "numpy": self = .numpy
      case "torch", "pytorch": self = .torch(atol: nil, rtol: nil)
      case "jax": self = .jax(rtol: nil)
      default:
        try parseArguments(["rtol", "atol"])
        guard values.count == 1 else { throw ToleranceRuleError(text: text) }
        self = values["rtol"].map(ToleranceRule.relative) ?? .absolute(values["atol"]!)
      }
    case "numpy":
      try parseArguments(["rtol", "tol"])
      guard values.count == 1 else { throw ToleranceRuleError(text: text) }
      self = values["rtol"].map(ToleranceRule.relative) ?? .absolute(values["tol"]!)
    case "torch", "pytorch":
      try parseArguments(["atol", "rtol"])
      self = .torch(atol: values["atol"], rtol: values["rtol"])
    case "jax":
      try parseArguments(["rtol"])
      self = .jax(rtol: values["rtol"])
    default:
      throw ToleranceRuleError(text: text)
    }
  }
}

/// A tolerance rule that does not parse.
public struct ToleranceRuleError: Error, Equatable, CustomStringConvertible {
  /// The text given.
  public var text: String
  /// One line for the user.
  public var description: String {
    "'\(text)' is not a tolerance rule (expected numpy, torch, jax, rtol=X, atol=X, numpy:tol=X, torch:atol=X,rtol=Y or jax:rtol=X with X ≥ 0)"
  }
}
