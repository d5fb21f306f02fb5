import ConvNet
import Foundation
import Hessian
import RankBounds

/// `hessrank certify CONFIG|ARCH`: checks rank bounds against exact Hessian ranks, with verdicts.
enum CertifyCommand: Subcommand {
  static let name = "certify"
  static let abstract = "Check rank bounds against exact ranks: TIGHT, HOLDS, SHORT or VIOLATED"
  static let spec = ArgumentSpec(
    valued: NetworkOptions.valued.union(["bound", "formula", "seeds", "certificate", "method", "primes", "fail-on", "loss"]), flags: ["json", QuietOption.flag])
  static let help = """
    USAGE: hessrank certify <CONFIG|ARCH> [--bound ID]... [--formula 'HESSIAN: EXPR']...
                            [--seeds N] [--certificate OUT.json] [--json] [--method M]
                            [--primes N] [--fail-on V] [--loss mse|ce] [instance options]

    For every catalog bound whose hypotheses hold for the network (or only those named with
    --bound) and every --formula, at each of N seeded instances: the exact rank of the
    Hessian, the bound's exact value, and the verdict —
      VIOLATED  rank > value: the bound is false at this point. Proved: the rank's lower
                bound is a nonzero minor (attached to the certificate).
      TIGHT     rank = value; proved when the bound is a theorem (paper, trivial, or an
                upper bound proved in proofs/) or an exact kernel certificate bounds the rank
                from above — the report says which.
      HOLDS     rank < value at this point, for an upper bound (≤).
      SHORT     rank < value at this point, for a claimed formula (=): the formula is not
                attained. Over the seeds, a formula is SHORT when no seed attains it (the
                largest rank over the seeds is below the value): it is then false unless
                every seed is degenerate, with the Schwartz–Zippel probability shown.
    Bounds whose hypotheses fail are listed as skipped, with the reason.

    ARGUMENTS:
      <CONFIG|ARCH>        a JSON config file, or an architecture string such as
                           "1x12 conv(2,k=3) dense(2)"

    OPTIONS:
      --bound ID           check only this catalog bound (repeatable; see 'hessrank bounds')
      --formula 'H: EXPR'  check your own formula for H = outer, functional or loss (or H_o,
                           H_f, H_L): 'outer: q*(r+K-q)' or 'outer = …' claims the rank,
                           'outer <= …' an upper bound (repeatable; language: docs/bounds.md)
      --seeds N            instances at seeds S, S+1, …, S+N−1 (default 2; S from --seed)
      --certificate FILE   write a certificate (config, seeds, rank certificates, bounds,
                           values, verdicts) that 'hessrank check FILE' re-derives from scratch
      --json               print one JSON object with a "results" array
      --quiet              no progress line on stderr (shown only on a terminal, never with --json)
      --method M           auto (default: certified when --certificate, or when p ≤ 600 and
                           affordable; matrix-free from p ≥ 3000; as for 'hessrank rank'),
                           certified, modular, bareiss, matrix-free
      --primes N           primes for the modular method (default 2)
      --loss L             mse or ce (default: the config's "loss", else mse). With ce the
                           catalog's cross-entropy bounds (fc-ce-outer, fc-ce-functional,
                           fc-ce-loss: K → K − 1) are the ones checked, the MSE ones are
                           not; ranks as in 'hessrank rank --loss ce'; with
                           --certificate each seed carries a cross-entropy certificate
                           (H_f, H_L lower bounds: a verdict proved only by them makes
                           check exit 3 unless --lower-bound-ok)
    \(FailOnOption.help(default: "short"))
    \(NetworkOptions.help)

    A verdict is about the exact rank at one seeded rational point. That rank is a lower bound
    on the generic rank, which it equals with probability ≥ 1 − deg/(2B+1) (Schwartz–Zippel);
    TIGHT with a proved upper bound therefore proves the generic rank equals the bound.
    See proofs/README.md.

    EXAMPLES:
      hessrank certify "1x12 conv(2,k=3) dense(2)"
      hessrank certify examples/configs/fc-d8-6-6-K3-n100.json --bound fc-outer --bound fc-loss
      hessrank certify "4x6 conv(1,k=5) dense(3)" --samples 10 --certificate c.json   # exits 1: r < k̃ refutes two
      hessrank certify "8 dense(6) dense(3)" --formula 'outer: q*(r+K-q)' --formula 'functional <= p/2'   # exits 1

    EXIT CODES: 0 no failing verdict; 1 a bound VIOLATED or a formula SHORT over the seeds
    (--fail-on violated: only VIOLATED fails; --fail-on none: always 0); 2 bad input or usage.
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    var config = try NetworkOptions.load(args)
    config.instance.loss = try LossOption.parse(args, config: config)
    let catalog = config.instance.loss == .mse ? BoundCatalog.all : BoundCatalog.crossEntropy
    var bounds: [RankBound] = []
    for id in args.all("bound") {
      guard let b = catalog.first(where: { $0.id == id }) else {
        if let other = (BoundCatalog.all + BoundCatalog.crossEntropy).first(where: { $0.id == id }) {
          throw CLIError("bound '\(other.id)' is not about the \(config.instance.loss.name) loss; with --loss \(config.instance.loss.rawValue) use \(catalog.map(\.id).prefix(3).joined(separator: ", "))\(catalog.count > 3 ? ", …" : "")")
        }
        throw CLIError(BoundCatalog.unknownMessage(id))
      }
      if !bounds.contains(where: { $0.id == id }) { bounds.append(b) }
    }
    let formulas = args.all("formula")
    for (i, text) in formulas.enumerated() {
      bounds.append(try userBound(text, id: "formula-\(i + 1)"))
    }
    if args.all("bound").isEmpty && formulas.isEmpty { bounds = catalog }
    let seedCount = try args.int("seeds", default: 2, range: 1...100)
    var method = RankMethod.auto
    if let m = args.value("method") {
      guard let v = RankMethod(rawValue: m) else {
        throw CLIError("--method must be one of \(RankMethod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(m)'")
      }
      method = v
    }
    let certPath = args.value("certificate")
    let policy = try FailOnOption.parse(args, default: .violatedOrShort)
    if certPath != nil && (method == .modular || method == .matrixFree) {
      throw CLIError("--certificate needs exact rank certificates; drop --method \(method.rawValue) (or use certified)")
    }
    let request = CertifyRequest(config: config, bounds: bounds, seedCount: seedCount, method: method,
                                 primes: try args.int("primes", default: 2, range: 1...64), wantCertificates: certPath != nil)
    let json = args.has("json")
    let progress = QuietOption.progress(args, json: json)
    // One stage per seed (equal work); "modulo prime k/N" inside a seed gives its fraction.
    progress.plan(request.seeds.map { Progress.Stage(marker: "seed \($0) (", cost: 1) })
    let start = monotonicSeconds()
    let outcome: CertifyOutcome
    do {
      outcome = try BoundCertifier.run(request, progress: progress.say)
    } catch let e as CertifyError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as InstanceError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as HessianRankError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as ArchitectureError {
      progress.clear()
      throw CLIError(e.description)
    } catch let e as LossError {
      progress.clear()
      throw CLIError(e.description)
    }
    if let certPath {
      progress.say("writing \(certPath)")
      let cert = try BoundCertificate(request: request, outcome: outcome)
      try AtomicFile.write(cert.jsonData(), to: certPath)
    }
    progress.clear()
    let seconds = monotonicSeconds() - start
    Console.out(json ? jsonReport(outcome, config: config, certificate: certPath, seconds: seconds)
                     : textReport(outcome, config: config, certificate: certPath, seconds: seconds))
    return policy.fails(outcome.verdictsOverSeeds.map(\.verdict)) ? 1 : 0
  }

  /// Parses `HESSIAN: EXPR`, `HESSIAN = EXPR` or `HESSIAN <= EXPR`.
  static func userBound(_ text: String, id: String) throws -> RankBound {
    let chars = Array(text)
    var i = 0
    while i < chars.count && chars[i].isWhitespace { i += 1 }
    let wordStart = i
    while i < chars.count && (chars[i].isLetter || chars[i] == "_") { i += 1 }
    let word = String(chars[wordStart..<i])
    while i < chars.count && chars[i].isWhitespace { i += 1 }
    var claim = BoundClaim.equality
    var rest = ""
    if i < chars.count && (chars[i] == ":" || (chars[i] == "=" && (i + 1 >= chars.count || chars[i + 1] != "="))) {
      rest = String(chars[(i + 1)...])
    } else if i + 1 < chars.count && chars[i] == "<" && chars[i + 1] == "=" {
      claim = .upperBound
      rest = String(chars[(i + 2)...])
    } else if i < chars.count && chars[i] == "≤" {
      claim = .upperBound
      rest = String(chars[(i + 1)...])
    } else {
      throw CLIError("--formula '\(text)': write HESSIAN: EXPR, e.g. 'outer: q*(r+K-q)' (HESSIAN is outer, functional or loss; '<=' for an upper bound)")
    }
    guard let kind = HessianKind(word: word) else {
      throw CLIError("--formula '\(text)': '\(word)' is not a Hessian; use outer, functional or loss (or H_o, H_f, H_L)")
    }
    let expression = rest.trimmingCharacters(in: .whitespaces)
    do {
      let formula = try Formula(parsing: expression)
      try formula.validate()
      return RankBound(userFormula: formula, id: id, hessian: kind, claim: claim)
    } catch {
      throw CLIError("--formula for \(kind.symbol): \(error.located)")
    }
  }

  // MARK: Reports

  static func textReport(_ o: CertifyOutcome, config: NetworkConfig, certificate: String?, seconds: Double) -> String {
    guard let first = o.seeds.first else { return "" }
    let r0 = first.report
    var lines = [
      "certify    \(config.architecture)",
      "network    \(o.facts.summary); p = \(r0.p), K = \(r0.k)",
      "instances  \(NetworkOptions.instanceSummary(config, n: r0.n).replacingOccurrences(of: "seed \(config.instance.seed), ", with: "")); seeds \(o.seeds.map { String($0.seed) }.joined(separator: ", ")) (one random rational point each)",
      "ranks      \(methodLine(r0))",
    ]
    let used = Set(o.seeds.flatMap { $0.checks.flatMap { $0.bound.formula.variableNames } })
    for s in o.seeds {
      lines.append("")
      let ranks = s.report.results.map { "\($0.kind.symbol) \($0.isProved ? "=" : "≥") \($0.rank)" }.joined(separator: ", ")
      lines.append("seed \(s.seed): r = \(s.report.dataRank)\(ranks.isEmpty ? "" : "; rank \(ranks)")")
      let shown = s.variables.definedScalars.filter { used.contains($0.name) && !$0.name.hasPrefix("rank_") }
      if !shown.isEmpty {
        lines.append("  variables  " + shown.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))
      }
      let idWidth = max(8, s.checks.map(\.bound.id.count).max() ?? 0) + 2
      for c in s.checks {
        let mark = c.verdict.rawValue + (c.proved ? "" : "?")
        lines.append("  " + mark.padding(toLength: 10, withPad: " ", startingAt: 0)
          + c.bound.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
          + "\(c.bound.claimText) = \(c.value)  [\(c.bound.status.rawValue)]")
        lines.append("            " + c.explanation)
      }
      if s.checks.isEmpty { lines.append("  (no applicable bound)") }
    }
    // Skipped bounds, once per (bound, reason), with the seeds when not all.
    var skipped: [(id: String, reason: String, seeds: [UInt64])] = []
    for s in o.seeds {
      for k in s.skipped {
        if let i = skipped.firstIndex(where: { $0.id == k.bound.id && $0.reason == k.reason }) {
          skipped[i].seeds.append(s.seed)
        } else {
          skipped.append((k.bound.id, k.reason, [s.seed]))
        }
      }
    }
    if !skipped.isEmpty {
      lines.append("")
      lines.append("skipped (hypotheses do not hold for this network):")
      let w = (skipped.map(\.id.count).max() ?? 0) + 2
      for k in skipped {
        let at = k.seeds.count == o.seeds.count ? "" : " (seed \(k.seeds.map(String.init).joined(separator: ", ")))"
        lines.append("  " + k.id.padding(toLength: w, withPad: " ", startingAt: 0) + k.reason + at)
      }
    }
    let all = o.seeds.flatMap(\.checks)
    // SHORT is listed only when it occurs (claimed formulas not attained are rare).
    let tally = Verdict.allCases.compactMap { v -> String? in
      let n = all.filter { $0.verdict == v }.count
      return v == .short && n == 0 ? nil : "\(n) \(v.rawValue)"
    }.joined(separator: ", ")
    let unproved = all.filter { !$0.proved }.count
    lines.append("")
    lines.append("summary    \(all.count) verdicts on \(o.seeds.count) seed\(o.seeds.count == 1 ? "" : "s"): \(tally)"
      + (unproved > 0 ? " (\(unproved) marked ? are likely but not proved)" : "; every verdict proved at its point"))
    let short = o.verdictsOverSeeds.filter { $0.verdict == .short }.map(\.bound.id)
    lines.append(o.anyViolated
      ? "           SOME BOUND IS VIOLATED: the rank exceeds it at a point, proved by a nonzero minor."
      : "           no bound is violated.")
    if !short.isEmpty {
      lines.append("           NOT ATTAINED (SHORT at every seed): \(short.joined(separator: ", ")): the largest rank over the seeds is")
      lines.append("           below the claimed value, so the formula is false unless every seed is degenerate.")
    }
    lines.append("           A verdict is about the exact rank at its seeded point; that rank is a lower bound on")
    lines.append("           the generic rank (equal with high probability). See proofs/README.md.")
    if let certificate { lines.append("certificate \(certificate) (re-derive everything: hessrank check \(certificate))") }
    lines.append(String(format: "time       %.3f s", seconds))
    return lines.joined(separator: "\n")
  }

  static func methodLine(_ r: HessianRankReport) -> String {
    switch r.method {
    case .modular:
      return "modular: rank modulo random primes, a proved lower bound (exact unless every prime divides a minor)"
    case .bareiss:
      return "Bareiss elimination on the exact integer matrices (every rank proved)"
    case .matrixFree:
      let reduced = r.results.contains { $0.sketch?.reduction != nil }
      return "matrix-free: ranks of random sketches SᵀHS, J·S modulo primes" + (reduced ? " (H_f, H_L: the head-block reduction, rank modulo the prime itself)" : "")
        + ", proved lower bounds (exact with the printed probability)"
    default:
      return "certified: exact integer matrices, rank profile mod a prime + an exact upper bound (kernel vectors or ranks modulo primes past the Hadamard bound; every rank proved)"
    }
  }

  static func jsonReport(_ o: CertifyOutcome, config: NetworkConfig, certificate: String?, seconds: Double) -> String {
    let r0 = o.seeds.first?.report
    var results: [String] = []
    var skipped: [String] = []
    for s in o.seeds {
      for c in s.checks {
        results.append(JSONText.object([
          ("seed", String(s.seed)), ("bound", JSONText.string(c.bound.id)), ("hessian", JSONText.string(c.bound.hessian.rawValue)),
          ("claim", JSONText.string(c.bound.claim.rawValue)), ("status", JSONText.string(c.bound.status.rawValue)),
          ("formula", JSONText.string(c.bound.formula.text)), ("value", c.value.description), ("rank", String(c.evidence.rank)),
          ("rank_exact", c.evidence.isExact ? "true" : "false"), ("verdict", JSONText.string(c.verdict.rawValue)),
          ("proved", c.proved ? "true" : "false"), ("explanation", JSONText.string(c.explanation)),
        ]))
      }
      for k in s.skipped {
        skipped.append(JSONText.object([("seed", String(s.seed)), ("bound", JSONText.string(k.bound.id)), ("reason", JSONText.string(k.reason))]))
      }
    }
    let all = o.seeds.flatMap(\.checks)
    var pairs: [(String, String)] = [
      ("architecture", JSONText.string(config.architecture.description)),
      ("class", JSONText.string(o.facts.architectureClass.rawValue)),
      ("p", String(r0?.p ?? 0)), ("K", String(r0?.k ?? 0)), ("n", String(r0?.n ?? 0)),
      ("seeds", JSONText.array(o.seeds.map { String($0.seed) })),
      ("method", JSONText.string(r0?.method.rawValue ?? "")),
      ("data_rank", JSONText.array(o.seeds.map { String($0.report.dataRank) })),
      ("results", JSONText.array(results)),
      ("skipped", JSONText.array(skipped)),
      ("verdicts", JSONText.object(Verdict.allCases.map { v in (v.rawValue, String(all.filter { $0.verdict == v }.count)) })),
      ("violated", o.anyViolated ? "true" : "false"),
      ("short", JSONText.array(o.verdictsOverSeeds.filter { $0.verdict == .short }.map { JSONText.string($0.bound.id) })),
    ]
    if let certificate { pairs.append(("certificate", JSONText.string(certificate))) }
    pairs.append(("seconds", JSONText.number(seconds)))
    return JSONText.object(pairs)
  }
}
