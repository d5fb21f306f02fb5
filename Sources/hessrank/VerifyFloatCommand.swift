import ConvNet
import FloatCheck
import FloatVerification
import Foundation
import Hessian

/// `hessrank verify-float CONFIG|ARCH --weights W --data X.npy --targets Y.npy`: is a float
/// Hessian's numerical rank the exact rank?
enum VerifyFloatCommand: Subcommand {
  static let name = "verify-float"
  static let abstract = "Verify a float Hessian's rank (PyTorch/JAX/NumPy) against the exact rank"
  static let spec = ArgumentSpec(
    valued: ["weights", "data", "targets", "labels", "loss", "reduction", "hessian", "kind", "claimed-rank", "rule", "method", "primes"],
    flags: ["json", "allow-extra-tensors", QuietOption.flag])
  static let help = """
    USAGE: hessrank verify-float <CONFIG|ARCH> --weights W.safetensors|DIR --data X.npy
                                 --targets Y.npy|--labels L.npy [--loss mse|ce]
                                 [--reduction mean|sum|mean-all|sum-all] [--hessian H.npy]
                                 [--kind outer|functional|loss] [--claimed-rank R] [--rule RULE]... [--json]

    Reads the weights, inputs and targets a float program used — every float is an exact
    dyadic rational — builds the exact Hessian of the loss (by default ℓ = 1/(2n) Σ ‖f(x_i) − y_i‖²)
    at exactly those numbers, proves its rank r*, and compares the float Hessian with it:
    its singular values (LAPACK, in the matrix's own precision, as NumPy/PyTorch/JAX do),
    σ_{r*} and σ_{r*+1} and their gap, a rigorous bound on ‖H_float − H_exact‖₂, the
    tolerances that give r*, the numerical rank under each rule, and a verdict per rule:
      CORRECT  the rule gives r*, and its tolerance is provably safe (Weyl's inequality);
      FRAGILE  the rule gives r*, but rounding within the error bound could have changed it;
      WRONG    the rule does not give r* (the report says by how much).

    ARGUMENTS:
      <CONFIG|ARCH>          a JSON config or an architecture string such as
                             "1x8 conv(2,k=3) dense(2)"; the config's instance settings are
                             ignored: weights and data come from the files

    OPTIONS:
      --weights W            a .safetensors file, a directory of <name>.npy files, or one .npy;
                             tensors named as PyTorch's state_dict: <layer index>.weight/.bias
                             (see 'hessrank describe'), any float dtype
      --allow-extra-tensors  ignore tensors that are no parameter of the architecture
      --data X.npy           inputs, shape (n, C, D), (n, C, H, W), (n, D) or (n, C·D·…)
      --targets Y.npy        targets, shape (n, K) (or (n,) when K = 1); for ce, probability
                             rows (one-hot or soft labels)
      --labels L.npy         class indices 0..K-1, shape (n,), instead of --targets: one-hot targets
      --loss L               mse (default, or the config's "loss") or ce: softmax cross-entropy over the K outputs, as
                             PyTorch F.cross_entropy / optax softmax_cross_entropy. The softmax
                             is irrational at the point: the float matrix is compared with H at
                             proved enclosures of π (the report adds their distance to the
                             bound); r* is 'hessrank rank --loss ce''s: H_o proved through C·J,
                             H_f and H_L modulo primes at a random t = e^(1/D) (a proved lower
                             bound, exact with the probability the report states)
      --reduction R          how the loss combines samples, so H_float is compared at its scale:
                               mean      (1/n) Σ_i ℓ_i (default; MSE ℓ_i = ½‖f(x_i) − y_i‖²,
                                         ce as F.cross_entropy's default)
                               sum       Σ_i ℓ_i = n × mean (reduction='sum')
                               mean-all  MSE only: 1/(nK) Σ (f_c(x_i) − y_ic)², PyTorch
                                         MSELoss() / jnp.mean((f - y)**2) = (2/K) × mean
                               sum-all   MSE only: Σ (f_c(x_i) − y_ic)², MSELoss(reduction='sum')
                                         = 2n × mean
      --hessian H.npy        the float Hessian (p × p, float32 or float64) to verify; without
                             it, hessrank builds the float64 Hessian itself
      --kind K               loss (default, H_L), outer (H_o = JᵀJ/n) or functional (H_f)
      --claimed-rank R       also judge a rank someone reported: CORRECT or WRONG by how much
      --rule RULE            a tolerance rule; repeat for several (default: numpy, torch, jax):
                             numpy | torch | jax | rtol=X | atol=X | numpy:tol=X |
                             torch:atol=X,rtol=Y | jax:rtol=X
      --method M             how r* is obtained: auto (default: certified when p ≤ \(certifiedLimit),
                             modular above), certified (proved: minor + exact upper bound by
                             primes; float weights make big integers, so it takes more
                             primes than an integer instance), or modular (rank
                             modulo random primes: a proved lower bound, exact unless every
                             prime divides one minor — the report bounds that probability)
      --primes N             primes for the modular method (default 4)
      --json                 print the report as JSON
      --quiet                no progress line on stderr (shown only on a terminal, never with --json)

    EXAMPLES:
      hessrank verify-float "1x8 conv(2,k=3) dense(2)" --weights run/weights.safetensors \\
        --data run/X.npy --targets run/Y.npy --hessian run/H32.npy --claimed-rank 25
      hessrank verify-float "1x8x8 conv(2,k=3) dense(5)" --loss ce --kind outer \\
        --weights examples/digits/ce-weights.safetensors --data examples/digits/X40.npy \\
        --labels examples/digits/labels40.npy   # exits 1: float64 JAX's tolerance gives 159, r* = 160

    EXIT CODES: 0 every verdict is CORRECT; 1 some verdict is WRONG or FRAGILE; 2 bad input
    (missing or misshapen tensors, NaN/Inf, truncated files, a ReLU pre-activation exactly 0).
    With an unproved modular r*, the verdicts take r* as the rank (see --method).
    """

  /// Networks with at most this many parameters use the certified rank under `--method auto`.
  static let certifiedLimit = 600

  static func run(_ args: ParsedArguments) throws -> Int32 {
    // The instance options of other commands (--targets random|zero, …) do not apply here.
    var configArgs = args
    configArgs.values = [:]
    configArgs.flags = []
    let config = try NetworkOptions.load(configArgs)
    func required(_ option: String, _ what: String) throws -> String {
      guard let v = args.value(option) else { throw CLIError("--\(option) \(what) is required") }
      return v
    }
    let weightsPath = try required("weights", "W.safetensors|DIR")
    let dataPath = try required("data", "X.npy")
    let labelsPath = args.value("labels")
    if labelsPath != nil && args.value("targets") != nil { throw CLIError("give --targets Y.npy or --labels L.npy, not both") }
    let targetsPath = try labelsPath ?? required("targets", "Y.npy (or --labels L.npy)")
    let loss = try LossOption.parse(args, config: config)  // --loss, else the config's "loss" key
    let reductionName = args.value("reduction") ?? "mean"
    guard let reduction = LossReduction(rawValue: reductionName) else {
      throw CLIError("--reduction must be mean, sum, mean-all or sum-all, got '\(reductionName.prefix(40))'")
    }
    guard reduction.applies(to: loss) else {
      throw CLIError(FloatVerificationError.reductionForLoss(reduction.rawValue, loss: loss.name).description)
    }
    let kindName = args.value("kind") ?? "loss"
    guard let kind = HessianKind(rawValue: kindName) ?? HessianKind.allCases.first(where: { $0.symbol == kindName }) else {
      throw CLIError("--kind must be loss, outer or functional, got '\(kindName)'")
    }
    let rules = try args.all("rule").map { text in
      do { return try ToleranceRule(parsing: text) } catch { throw CLIError("--rule: \(error)") }
    }
    var claimed: Int?
    if args.value("claimed-rank") != nil {
      claimed = try args.int("claimed-rank", default: 0, range: 0...Int(Int32.max))
    }
    let primes = try args.int("primes", default: 4, range: 1...64)
    let methodName = args.value("method") ?? "auto"
    guard ["auto", "certified", "modular"].contains(methodName) else {
      throw CLIError("--method must be auto, certified or modular, got '\(methodName)'")
    }
    let json = args.has("json")
    let progress = QuietOption.progress(args, json: json)
    defer { progress.clear() }
    let verification: FloatHessianVerification
    do {
      progress("reading \(weightsPath), \(dataPath), \(targetsPath)")
      let weights = try TensorFiles.read(weightsPath)
      let inputs = try singleTensor(dataPath)
      let targets = try singleTensor(targetsPath)
      let instance = try FloatNetworkData.instance(
        architecture: config.architecture, weights: weights, inputs: inputs, targets: targets,
        targetsAreLabels: labelsPath != nil, allowExtraTensors: args.has("allow-extra-tensors"))
      let source: FloatHessianSource
      if let h = args.value("hessian") {
        source = .file(h, try singleTensor(h))
      } else {
        source = .builtFloat64
      }
      let p = instance.plan.parameterCount
      let certified = methodName == "certified" || (methodName == "auto" && p <= certifiedLimit)
      // p³ each: the float64 Hessian, the exact one (5×), its rank (5× certified), the bound
      // on the difference (a few power iterations) and the float spectrum (an SVD, ~10 p³).
      let cube = Double(p) * Double(p) * Double(p)
      progress.plan([Progress.Stage(marker: "float64 Hessian", cost: cube),
                     Progress.Stage(marker: "exact Hessian over Q", cost: 5 * cube),
                     Progress.Stage(marker: "exact rank", cost: (certified ? 5 : Double(primes)) * cube),
                     Progress.Stage(marker: "bound on", cost: cube),
                     Progress.Stage(marker: "float spectrum", cost: 10 * cube)])
      verification = try FloatHessianVerification(
        instance: instance, kind: kind, floatHessian: source, loss: loss, reduction: reduction,
        rules: rules.isEmpty ? ToleranceRule.standard : rules, claimedRank: claimed,
        rankMethod: certified ? .certified : .modular(primes: primes), progress: progress.say)
    } catch let e as CLIError {
      throw e
    } catch {
      throw CLIError("\(error)")
    }
    progress.clear()
    Console.out(json ? try verification.json() : verification.text)
    return verification.allCorrect ? 0 : 1
  }

  /// The one tensor in a `.npy` file (or a `.safetensors` file holding a single tensor).
  static func singleTensor(_ path: String) throws -> FloatTensor {
    let tensors = try TensorFiles.read(path)
    guard tensors.count == 1, let t = tensors.values.first else {
      throw FloatVerificationError.notOneTensor(file: path, names: Array(tensors.keys))
    }
    return t
  }
}
