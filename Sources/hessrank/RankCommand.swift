import ConvNet
import Exact
import Foundation
import Hessian

/// `hessrank rank CONFIG|ARCH`: the exact ranks of H_o, H_f and H_L at a seeded instance.
enum RankCommand: Subcommand {
  static let name = "rank"
  static let abstract = "Exact ranks of the loss Hessians H_o, H_f, H_L of a network"
  static let spec = ArgumentSpec(
    valued: NetworkOptions.valued.union(["hessian", "method", "primes", "certificate", "loss", "time-limit"]), flags: ["json", QuietOption.flag])
  static let help = """
    USAGE: hessrank rank <CONFIG|ARCH> [--hessian outer,functional,loss] [--method M]
                         [--primes N] [--loss mse|ce] [--certificate OUT.json] [--json]
                         [--time-limit T] [instance options]

    Builds the exact network instance (weights, inputs and targets drawn from the seed, or
    given in the config), assembles the Jacobian J and the Hessians of the MSE loss
    ℓ = 1/(2n) Σ ‖f(x_i) − y_i‖² from the layers' Toeplitz structures, and prints their
    exact ranks: H_o = JᵀJ/n (rank taken on J), H_f, and H_L = H_o + H_f, with p, K, n and
    r = rank(Σ_xx).

    ARGUMENTS:
      <CONFIG|ARCH>        a JSON config file, or an architecture string such as
                           "1x12 conv(2,k=3) dense(2)"

    OPTIONS:
      --hessian LIST       which Hessians, comma-separated (default outer,functional,loss)
      --method M           auto (default): certified when a certificate is asked for, or when
                           p ≤ 600 and its cost (exact build measured + proofs estimated) is
                           within 4× the modular ranks' time or under 0.25 s; matrix-free from
                           p ≥ 3000 (or when the dense matrices would not fit); modular
                           otherwise (the 'why' line says which and why);
                           modular: build every matrix modulo random primes in [2^24, 2^25);
                             the largest rank is a proved lower bound and equals the rank
                             over Q unless every prime divides a nonzero minor;
                           certified: exact integer matrices, a rank profile mod a prime
                             (rank ≥ r) and an exact upper bound: kernel vectors, or ranks
                             modulo primes whose product passes Hadamard's bound on the
                             (r+1)-minors, whichever is cheaper: the rank is proved;
                           bareiss: fraction-free elimination on the exact matrices (slow);
                           matrix-free: ranks of random sketches SᵀHS (J·S for H_o) from
                             batched Hessian/Jacobian-vector products modulo primes in
                             [2^23, 2^24), memory O(p·t) for sketch width t ≈ the rank,
                             never a p × p matrix; H_f and H_L of networks ending in a
                             head block (last hidden layer → average pooling → dense head)
                             by the head-block reduction instead (m unit-direction products,
                             m = parameters outside that block); proved lower bounds, exact
                             with the printed probability; auto picks it from p ≥ 3000
                             (faster there), from p > 600 where the head-block reduction
                             applies, or when the dense matrices would not fit in memory
      --primes N           primes for the modular method, independent (prime, sketch) runs
                           for matrix-free (default 2)
      --time-limit T       matrix-free: stop growing the sketches after T (seconds, or with a
                           suffix s, m, h: 90, 10m, 2h) and report the ranks of the last width
                           completed — proved lower bounds (a sketch still of full rank says
                           nothing about how far below the rank it is); other methods ignore it
      --loss L             mse or ce (default: the config's "loss", else mse); ce: softmax
                           cross-entropy, mean over samples,
                           one-hot targets drawn from the seed (or explicit probability
                           targets); H_o is ranked exactly as the stacked C·J_i (n(K−1) × p),
                           H_f and H_L modulo primes in [2^61, 2^62) at a random t = e^(1/D):
                           a proved lower bound, exact with the probability shown
                           (proofs/cross-entropy.md); --certificate writes a
                           cross-entropy certificate (H_o proved, H_f and H_L lower
                           bounds: check exits 3 unless --lower-bound-ok; with
                           --method matrix-free a sketch certificate recording t)
      --certificate FILE   write a certificate that 'hessrank check FILE' re-verifies
                           (matrix-free: a sketch certificate, docs/certificates.md)
      --json               print one JSON object (p, r, n, K, seed, rank_outer, …, results)
      --quiet              no progress line on stderr (shown only on a terminal, never with --json)
    \(NetworkOptions.help)

    A rank at one seeded point is exact for that point and a lower bound on the generic rank;
    it equals the generic rank with probability ≥ 1 − deg/(2B+1) over the draw (Schwartz–
    Zippel), so try a second --seed for an independent confirmation (see README).

    EXAMPLES:
      hessrank rank "1x12 conv(2,k=3) dense(2)"
      hessrank rank examples/configs/fc-d8-6-6-K3-n100.json --certificate fc.json && hessrank check fc.json
      hessrank rank "1x32 conv(16,k=5) conv(16,k=5) dense(10)" --samples 64 --method modular

    EXIT CODES: 0 success; 2 bad input (invalid network, non-differentiable point, too large).
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    let config = try NetworkOptions.load(args)
    var options = HessianRankOptions()
    if let list = args.value("hessian") {
      options.kinds = try list.split(separator: ",").map { word in
        let w = word.trimmingCharacters(in: .whitespaces)
        guard let k = HessianKind(rawValue: w) ?? HessianKind.allCases.first(where: { $0.symbol == w }) else {
          throw CLIError("--hessian takes outer, functional, loss (comma-separated), got '\(w)'")
        }
        return k
      }
      guard !options.kinds.isEmpty else { throw CLIError("--hessian needs at least one of outer, functional, loss") }
    }
    if let m = args.value("method") {
      guard let method = RankMethod(rawValue: m) else {
        throw CLIError("--method must be one of \(RankMethod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(m)'")
      }
      options.method = method
    }
    options.primes = try args.int("primes", default: 2, range: 1...64)
    if let text = args.value("time-limit") { options.timeLimit = try TimeLimitOption.parse(text) }
    options.loss = try LossOption.parse(args, config: config)
    let certPath = args.value("certificate")
    options.wantCertificates = certPath != nil
    let json = args.has("json")
    let instance = try NetworkOptions.instance(config)
    let progress = QuietOption.progress(args, json: json)
    progress.plan(Progress.rankStages(instance, options: options))
    let start = monotonicSeconds()
    let report: HessianRankReport
    do {
      report = try HessianRanks.compute(instance, options: options, progress: progress.say)
    } catch let e as InstanceError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as HessianRankError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as LossError {
      progress.clear()
      throw CLIError(e.description)
    }
    progress.clear()
    let seconds = monotonicSeconds() - start
    if let certPath {
      var config = config
      config.instance.loss = report.loss  // --loss overrides the config's "loss"
      if report.method == .matrixFree {
        try AtomicFile.write(try SketchCertificate(report: report, config: config).jsonData(), to: certPath)
      } else if report.loss == .crossEntropy {
        try AtomicFile.write(try CrossEntropyCertificate(report: report, config: config).jsonData(), to: certPath)
      } else {
        let cert = try HessianCertificate(report: report, config: config)
        try AtomicFile.write(cert.jsonData(), to: certPath)
      }
    }
    Console.out(json ? jsonReport(report, config: config, seconds: seconds, instance: instance)
                : textReport(report, config: config, seconds: seconds, certificate: certPath, instance: instance))
    return 0
  }

  static func textReport(_ r: HessianRankReport, config: NetworkConfig, seconds: Double, certificate: String?,
                         instance: NetworkInstance? = nil) -> String {
    var lines = [
      "network   \(config.architecture)",
      "instance  \(NetworkOptions.instanceSummary(config, n: r.n))",
    ]
    if let instance, let line = NetworkOptions.kinkSummary(instance) { lines.append("kinks     \(line)") }
    lines += [
      "sizes     p = \(r.p) parameters, K = \(r.k) outputs, n = \(r.n) samples, r = rank(Σ_xx) = \(r.dataRank)",
    ] + (r.loss == .mse ? [] : ["loss      \(r.loss.name) (softmax over K, mean over samples)"]) + [
      "",
      "Hessian  rank  of matrix          status                     seconds",
    ]
    for x in r.results {
      let status: String
      if x.isProved {
        status = "proved"
      } else if let b = x.failureBound, b < 0.1 {  // a larger bound says nothing worth printing
        status = "exact w.p. ≥ 1 − \(String(format: "%.0e", b))"
      } else {
        status = "proved lower bound"
      }
      lines.append(
        x.kind.symbol.padding(toLength: 9, withPad: " ", startingAt: 0)
          + String(x.rank).padding(toLength: 6, withPad: " ", startingAt: 0)
          + x.matrix.padding(toLength: 19, withPad: " ", startingAt: 0)
          + status.padding(toLength: max(27, status.count + 2), withPad: " ", startingAt: 0)
          + String(format: "%.3f", x.seconds))
    }
    lines.append("")
    // One method line, or one per group of Hessians when they went different ways (matrix-free:
    // a sketch for H_o, the head-block reduction for H_f and H_L).
    var methods: [(text: String, kinds: [String])] = []
    for x in r.results {
      if let i = methods.firstIndex(where: { $0.text == x.method }) { methods[i].kinds.append(x.kind.symbol) } else { methods.append((x.method, [x.kind.symbol])) }
    }
    if methods.count <= 1 {
      lines.append("method    \(r.method.rawValue): \(r.results.first?.method ?? "")")
    } else {
      lines.append("method    \(r.method.rawValue):")
      for m in methods { lines.append("          \(m.kinds.joined(separator: ", ")): \(m.text)") }
    }
    if let why = r.methodReason { lines.append("why       \(why)") }
    lines.append("generic   a rank at one point is a lower bound on the generic rank (the maximum over all points)")
    let bounds = r.results.compactMap { x in x.genericFailureBound.map { (x.kind, $0) } }
    if bounds.isEmpty {
      lines.append("          (no Schwartz–Zippel bound for this network or instance; confirm with another --seed)")
    } else if bounds.allSatisfy({ $0.1 < Rational(1) }) {
      let parts = bounds.map { $0.1 == Rational(0) ? "\($0.0.symbol) ε = 0 (largest rank any point has)" : "\($0.0.symbol) ε ≤ \(scientific($0.1))" }
      lines.append("          equal to it unless a probability-ε event occurred (Schwartz–Zippel): " + parts.joined(separator: ", "))
    } else {
      lines.append("          (Schwartz–Zippel gives no useful bound at --range \(config.instance.range); a larger range, e.g.")
      lines.append("           --range 1000000000, makes it small; or confirm with another --seed)")
    }
    if r.method == .modular {
      lines.append("          (rank modulo a prime ≤ rank over Q, so each rank is a proved lower bound; it is")
      lines.append("           the exact rank unless every prime divides a nonzero maximal minor, which by")
      lines.append("           Hadamard's bound on the minors has the probability shown; --method certified proves it)")
    }
    if r.method == .matrixFree {
      lines.append("          (matrix-free: each rank is that of a random sketch SᵀHS, or \(r.loss == .mse ? "J·S" : "C·J·S") for H_o, modulo a prime:")
      lines.append("           a proved lower bound — a nonzero minor of a product of integer matrices with H —")
      lines.append("           and the exact rank unless the prime divides every maximal minor (Hadamard) or the")
      lines.append("           sketch fell short (Schwartz–Zippel); the probability shown bounds both, over all runs\(r.loss == .mse ? ")" : ";")")
      if r.results.contains(where: { $0.sketch?.reduction != nil }) {
        lines.append("          (head-block reduction: rank(n·H mod P) itself, no sketch — a proved lower bound, exact")
        lines.append("           unless the prime divides every maximal minor; proofs/head-block-reduction.md)")
      }
      if r.loss != .mse {
        lines.append("           cross-entropy H_f, H_L: also Schwartz–Zippel in the random t of the softmax; the prime's")
        lines.append("           share is not bounded there, as on the dense path, and no bound is shown when it is vacuous)")
      }
    }
    if let certificate { lines.append("certificate written to \(certificate) (verify: hessrank check \(certificate))") }
    lines.append(String(format: "time      %.3f s", seconds))
    return lines.joined(separator: "\n")
  }

  /// "1.6e-05" for a small positive rational (display only).
  static func scientific(_ q: Rational) -> String {
    let num = Double(q.numerator.description) ?? 0, den = Double(q.denominator.description) ?? 1
    return String(format: "%.1e", num / den)
  }

  static func jsonReport(_ r: HessianRankReport, config: NetworkConfig, seconds: Double,
                         instance: NetworkInstance? = nil) -> String {
    var pairs: [(String, String)] = [
      ("architecture", JSONText.string(config.architecture.description)),
      ("p", String(r.p)), ("K", String(r.k)), ("n", String(r.n)), ("r", String(r.dataRank)),
      ("seed", String(config.instance.seed)), ("method", JSONText.string(r.method.rawValue)),
    ]
    if let why = r.methodReason { pairs.append(("method_reason", JSONText.string(why))) }
    for x in r.results { pairs.append(("rank_\(x.kind.rawValue)", String(x.rank))) }
    pairs.append(("results", JSONText.array(r.results.map { x in
      JSONText.object([
        ("hessian", JSONText.string(x.kind.rawValue)), ("rank", String(x.rank)),
        ("matrix", JSONText.string(x.matrix)), ("proved", x.isProved ? "true" : "false"),
        ("method", JSONText.string(x.method)), ("seconds", JSONText.number(x.seconds)),
        ("prime_failure_bound", x.failureBound.map { String(format: "%.3e", $0) } ?? "null"),
        ("generic_failure_bound", NetworkOptions.probability(x.genericFailureBound)),
      ])
    })))
    if let instance { pairs.append(("kink_probability_bound", NetworkOptions.probability(instance.kinkProbabilityBound))) }
    pairs.append(("seconds", JSONText.number(seconds)))
    return JSONText.object(pairs)
  }
}
