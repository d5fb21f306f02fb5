import ConvNet
import Exact
import Foundation

/// The `CONFIG|ARCH` argument and the instance options shared by the network subcommands.
enum NetworkOptions {
  /// Options every network subcommand accepts.
  static let valued: Set<String> = ["samples", "seed", "range", "max-denominator", "targets"]

  /// Help text for those options.
  static let help = """
      --samples N          number of samples n (default 100, or the config's)
      --seed S             seed of the random instance (default 1, or the config's)
      --range B            weights, inputs and targets uniform in [-B, B] (default 5)
      --max-denominator D  random values are fractions a/b with b ≤ D (default 1: integers)
      --targets random|zero
                           random targets (generic residuals, the default) or all zero
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
      if s.inputs != nil { throw CLIError("--samples conflicts with the config's explicit inputs") }
    }
    if let seed = args.value("seed") {
      guard let v = UInt64(seed) else { throw CLIError("--seed must be a non-negative integer, got '\(seed)'") }
      s.seed = v
    }
    s.range = try args.int("range", default: s.range, range: 1...NetworkConfig.maxRange)
    s.maxDenominator = try args.int("max-denominator", default: s.maxDenominator, range: 1...NetworkConfig.maxRange)
    if let t = args.value("targets") {
      guard let mode = TargetMode(rawValue: t) else { throw CLIError("--targets must be random or zero, got '\(t)'") }
      s.targets = mode
    }
    config.instance = s
    return config
  }

  /// The instance of a config, with errors as one line.
  static func instance(_ config: NetworkConfig) throws -> NetworkInstance {
    do {
      return try NetworkInstance(architecture: config.architecture, settings: config.instance)
    } catch {
      throw CLIError("\(error)")
    }
  }

  /// One line describing how the instance was drawn.
  static func instanceSummary(_ config: NetworkConfig, n: Int) -> String {
    let s = config.instance
    let values = s.maxDenominator == 1 ? "integers in [-\(s.range), \(s.range)]" : "fractions with denominators ≤ \(s.maxDenominator) in [-\(s.range), \(s.range)]"
    let explicit = [s.weights != nil ? "weights" : nil, s.inputs != nil ? "inputs" : nil, s.targetValues != nil ? "targets" : nil].compactMap { $0 }
    var line = "n = \(n) samples, seed \(s.seed), \(values), \(s.targets.rawValue) targets"
    if !explicit.isEmpty { line += " (explicit \(explicit.joined(separator: ", ")))" }
    return line
  }
}

/// A progress line on stderr, rewritten in place, shown only when stderr is a terminal.
struct Progress {
  let enabled: Bool
  let start = monotonicSeconds()

  init(enabled: Bool = Console.stderrIsTerminal) { self.enabled = enabled }

  /// Replaces the progress line with `s` and the elapsed time.
  func say(_ s: String) {
    guard enabled else { return }
    let elapsed = String(format: "%.1fs", monotonicSeconds() - start)
    FileHandle.standardError.write(Data("\r\u{1B}[K… [\(elapsed)] \(s)".utf8))
  }

  /// Same as `say`.
  func callAsFunction(_ s: String) { say(s) }

  /// Removes the progress line.
  func clear() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
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
