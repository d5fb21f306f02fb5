import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation
import Hessian

/// `hessrank hessian CONFIG --kind K --out FILE`: exports an exact Hessian.
enum HessianCommand: Subcommand {
  static let name = "hessian"
  static let abstract = "Export an exact Hessian (rational text, or .npy float64)"
  static let spec = ArgumentSpec(valued: NetworkOptions.valued.union(["kind", "out"]), flags: [QuietOption.flag])
  static let help = """
    USAGE: hessrank hessian <CONFIG|ARCH> --out FILE [--kind outer|functional|loss|jacobian]
                            [instance options]

    Builds the exact Hessian of the MSE loss ℓ = 1/(2n) Σ ‖f(x_i) − y_i‖² at the instance and
    writes it (not scaled: the true H, entries exact rationals):
      FILE.txt   one row per line, entries like -7/12 (the format 'matrix-rank' reads)
      FILE.npy   float64, C order, each entry the double nearest to the exact value, for
                 comparison with NumPy, PyTorch or JAX
    Parameters are ordered as PyTorch's state_dict (see 'hessrank describe').

    OPTIONS:
      --kind K     loss (default), outer, functional, or jacobian (the nK × p Jacobian J)
      --out FILE   output path ending in .txt or .npy (written atomically)
      --quiet      no progress line on stderr (shown only on a terminal)
    \(NetworkOptions.help)

    EXAMPLE:
      hessrank hessian "1x12 conv(2,k=3) dense(2)" --kind loss --out H.txt
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    let config = try NetworkOptions.load(args)
    guard let out = args.value("out") else { throw CLIError("--out FILE is required (a .txt or .npy path)") }
    let kindName = args.value("kind") ?? "loss"
    let lower = out.lowercased()
    guard lower.hasSuffix(".txt") || lower.hasSuffix(".npy") else {
      throw CLIError("--out must end in .txt (exact rational text) or .npy (float64), got '\(out)'")
    }
    let instance = try NetworkOptions.instance(config)
    let p = instance.plan.parameterCount
    guard p * p <= 25_000_000 else {
      throw CLIError("the \(p) × \(p) Hessian has \(p * p) entries; export is limited to 25,000,000 entries")
    }
    let pattern: ActivationPattern
    do {
      pattern = try instance.activationPatternOnly()
    } catch let e as InstanceError {
      throw CLIError(e.description)
    }
    let progress = QuietOption.progress(args)
    defer { progress.clear() }
    progress.plan([Progress.Stage(marker: "building", cost: 4), Progress.Stage(marker: "writing", cost: 1)])
    progress.say("building the exact \(kindName == "jacobian" ? "Jacobian" : "Hessian") (p = \(p), rational arithmetic)")
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    let matrix: ScalarMatrix<Rational>
    if kindName == "jacobian" {
      matrix = builder.jacobian()
    } else {
      guard let kind = HessianKind(rawValue: kindName) else {
        throw CLIError("--kind must be loss, outer, functional or jacobian, got '\(kindName)'")
      }
      // n·H with JᵀJ taken over Z through one common denominator (`rationalGram`), then
      // divided by n: the same matrix as `builder.exactHessian(kind)` without p²·nK products
      // of fractions.
      let inverse = Rational(1, instance.sampleCount)
      matrix = try HessianRanks.exactScaledHessian(instance, pattern: pattern, kind: kind).map { $0 * inverse }
    }
    progress.say("writing \(matrix.rows) × \(matrix.cols) entries to \(out)")
    if lower.hasSuffix(".txt") {
      let header = "# \(kindName) of \(config.architecture) at seed \(config.instance.seed), n = \(instance.sampleCount): \(matrix.rows) x \(matrix.cols), exact\n"
      try AtomicFile.write(Data((header + MatrixText.format(matrix.nestedRows)).utf8), to: out)
    } else {
      try NumpyExport.write(matrix, to: out)
    }
    progress.clear()
    Console.out("wrote \(kindName) (\(matrix.rows) × \(matrix.cols)) to \(out)")
    return 0
  }
}
