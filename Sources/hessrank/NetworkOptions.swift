import ConvNet
import Exact
import Foundation
import InstanceFiles

/// The `CONFIG|ARCH` argument and the instance options shared by the network subcommands.
enum NetworkOptions {
  /// Options every network subcommand accepts.
  static let valued: Set<String> = ["samples", "seed", "range", "max-denominator", "targets", "weights", "data", "labels"]

  /// Help text for those options.
  static let help = """
      --samples N          number of samples n (default 100, or the config's)
      --seed S             seed of the random instance (default 1, or the config's)
      --range B            weights, inputs and targets uniform in [-B, B] (default 1000000:
                           a degenerate point has probability ≤ N·deg/(2B+1), printed)
      --max-denominator D  random values are fractions a/b with b ≤ D (default 1: integers)
      --targets random|zero|Y.npy
                           random targets (generic residuals, the default), all zero, or
                           read from an .npy of shape (n, K)
      --weights W          θ from a .safetensors file, a directory of <name>.npy, or one .npy
                           (PyTorch state_dict names, see 'hessrank describe'; or θ flat)
      --data X.npy         inputs from an .npy of shape (n, C, H, W), (n, C, D) or (n, d); any
                           float or integer dtype (uint8 images too), read exactly
      --labels L.npy       class indices 0..K-1, shape (n,): one-hot targets
                           Any subset may come from files, the rest from the seed; --samples N
                           then takes the first N rows. Files are recorded by SHA-256.
    """

  /// Loads the config (file or architecture string) and applies the command-line overrides.
  static func load(_ args: ParsedArguments) throws -> NetworkConfig {
    guard !args.positional.isEmpty else {
      throw CLIError("expected <CONFIG|ARCH>: a JSON config file or an architecture string like \"1x16 conv(4,k=3) dense(2)\"")
    }
    var config: NetworkConfig
    do {
      config = try NetworkConfig.load(configOrArchitecture: args.positional.joined(separator: " "))
    } catch {
      throw CLIError(error.description)
    }
    var s = config.instance
    if args.value("samples") != nil {
      s.samples = try args.int("samples", default: s.samples, range: 1...NetworkConfig.maxSamples)
      if s.inputs != nil && s.files.data == nil && args.value("data") == nil {
        throw CLIError("--samples conflicts with the config's explicit inputs")
      }
    }
    if let seed = args.value("seed") {
      guard let v = UInt64(seed) else { throw CLIError("--seed must be a non-negative integer, got '\(seed)'") }
      s.seed = v
    }
    s.range = try args.int("range", default: s.range, range: 1...NetworkConfig.maxRange)
    s.maxDenominator = try args.int("max-denominator", default: s.maxDenominator, range: 1...NetworkConfig.maxRange)
    if let t = args.value("targets") {
      if let mode = TargetMode(rawValue: t) {
        s.targets = mode
      } else {
        s.files.targets = InstanceFileReference(path: t)
        s.targetValues = nil
        s.files.labels = nil
      }
    }
    try applyFiles(args, to: &s)
    config.instance = s
    do {
      return try InstanceFiles.resolve(config)
    } catch {
      throw CLIError(error.description)
    }
  }

  /// `--weights`, `--data`, `--labels` (and `--samples` as a row limit) onto the settings;
  /// a file replaces the config's explicit values of the same part.
  static func applyFiles(_ args: ParsedArguments, to s: inout InstanceSettings) throws {
    if let w = args.value("weights") {
      s.files.weights = InstanceFileReference(path: w)
      s.weights = nil
    }
    if let x = args.value("data") {
      s.files.data = InstanceFileReference(path: x)
      s.inputs = nil
    }
    if let l = args.value("labels") {
      if let t = args.value("targets"), TargetMode(rawValue: t) == nil {
        throw CLIError("give --targets Y.npy or --labels L.npy, not both")
      }
      s.files.labels = InstanceFileReference(path: l)
      s.files.targets = nil
      s.targetValues = nil
    }
    if args.value("samples") != nil && !s.files.isEmpty { s.files.rowLimit = s.samples }
  }

  /// The instance of a config, with errors as one line.
  static func instance(_ config: NetworkConfig) throws -> NetworkInstance {
    do {
      return try NetworkInstance(architecture: config.architecture, settings: config.instance)
    } catch {
      throw CLIError("\(error)")
    }
  }

  /// A probability bound as JSON: a number in [0, 1], or null when there is none or it is
  /// vacuous (≥ 1).
  static func probability(_ q: Rational?) -> String {
    guard let q, q < Rational(1) else { return "null" }
    let num = Double(q.numerator.description) ?? 0, den = Double(q.denominator.description) ?? 1
    return String(format: "%.3e", num / den)
  }

  /// The chance that the draw puts a ReLU/leaky pre-activation exactly at 0 (nil: no kinks).
  static func kinkSummary(_ instance: NetworkInstance) -> String? {
    guard instance.plan.architecture.hasKinkedActivation else { return nil }
    guard let b = instance.kinkProbabilityBound else {
      return instance.settings.weights != nil
        ? "none at this point (weights given, so no probability over the seed)"
        : "none at this point (no probability bound for this network or draw)"
    }
    guard b < Rational(1) else {
      return "none at this point; a draw at range \(instance.settings.range) can hit one (bound ≥ 1: widen --range)"
    }
    return "none at this point; a draw of the weights hits one with probability ≤ \(probability(b)) (N/(2B+1), Schwartz–Zippel)"
  }

  /// One line describing how the instance was drawn.
  static func instanceSummary(_ config: NetworkConfig, n: Int) -> String {
    let s = config.instance
    let values = s.maxDenominator == 1 ? "integers in [-\(s.range), \(s.range)]" : "fractions with denominators ≤ \(s.maxDenominator) in [-\(s.range), \(s.range)]"
    let explicit = [s.weights != nil ? "weights" : nil, s.inputs != nil ? "inputs" : nil, s.targetValues != nil ? "targets" : nil].compactMap { $0 }
    var line = "n = \(n) samples, seed \(s.seed), \(values), \(s.targets.rawValue) targets"
    let files = s.files.all
    if !files.isEmpty {
      let fromFiles = files.map { "\($0.role) \($0.reference.path)" }.joined(separator: ", ")
      let seeded = [s.weights == nil ? "weights" : nil, s.inputs == nil ? "inputs" : nil,
                    s.targetValues == nil ? "targets" : nil].compactMap { $0 }
      line = "n = \(n) samples; from files: \(fromFiles)"
      if !seeded.isEmpty {
        let targets = seeded.contains("targets") ? ", \(s.targets.rawValue) targets" : ""
        line += "; \(seeded.joined(separator: ", ")) from seed \(s.seed) (\(values)\(targets))"
      }
      return line
    }
    if explicit.count == 3 { return "n = \(n) samples, explicit weights, inputs, targets" }
    if !explicit.isEmpty {
      // Only the values still drawn from the seed are described by it.
      let seeded = [s.weights == nil ? "weights" : nil, s.inputs == nil ? "inputs" : nil].compactMap { $0 }
      let targets = s.targetValues == nil ? ", \(s.targets.rawValue) targets" : ""
      line = "n = \(n) samples, explicit \(explicit.joined(separator: ", "))"
      if !seeded.isEmpty { line += "; \(seeded.joined(separator: ", ")) from seed \(s.seed) (\(values))\(targets)" }
      else if !targets.isEmpty { line += "; seed \(s.seed)\(targets)" }
    }
    return line
  }
}

/// Minimal JSON text building for command output (keys in the given order).
enum JSONText {
  static func string(_ s: String) -> String { JSONValue.string(s).serialized() }

  static func object(_ pairs: [(String, String)]) -> String {
    "{" + pairs.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
  }

  static func array(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

  static func number(_ x: Double) -> String { String(format: "%.6f", x) }
}
