import ConvNet
import Foundation
import RankBounds

/// `hessrank bounds [ID] [--variables] [--json]`: the bound catalog.
enum BoundsCommand: Subcommand {
  static let name = "bounds"
  static let abstract = "List the catalog of Hessian rank bounds, or explain one"
  static let spec = ArgumentSpec(valued: [], flags: ["variables", "json"])
  static let help = """
    USAGE: hessrank bounds [ID] [--variables] [--json]

    Without ID: a table of the named bounds 'hessrank certify' checks — id, Hessian, whether
    it claims the rank (=) or caps it (≤), where it comes from (paper, derived, observed,
    trivial) and its formula: first the bounds of the MSE loss, then those of the
    cross-entropy loss (fc-ce-*, K → K − 1, checked by 'certify --loss ce'). With ID: the
    statement in words, the loss, the hypotheses under which it is claimed, the source, the
    formula and what is known about it. --json gives every bound with a "loss" key.

    OPTIONS:
      --variables   list the variables formulas may use (r, q, rho, m[l], RF[l], …)
      --json        print JSON instead of text

    Formula language and variables: docs/bounds.md.

    EXAMPLES:
      hessrank bounds
      hessrank bounds one-conv-outer
      hessrank bounds fc-ce-functional
      hessrank bounds --variables
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    guard args.positional.count <= 1 else { throw CLIError("expected at most one bound ID, got \(args.positional.count) arguments") }
    let json = args.has("json")
    if args.has("variables") {
      guard args.positional.isEmpty else { throw CLIError("--variables takes no bound ID") }
      Console.out(json ? variablesJSON : variablesText)
      return 0
    }
    if let id = args.positional.first {
      guard let b = BoundCatalog.bound(id: id) else { throw CLIError(BoundCatalog.unknownMessage(id)) }
      Console.out(json ? boundJSON(b) : explain(b))
      return 0
    }
    Console.out(json ? JSONText.array(BoundCatalog.everyLoss.map(boundJSON)) : table)
    return 0
  }

  static var table: String {
    let idWidth = max(4, BoundCatalog.everyLoss.map(\.id.count).max() ?? 0) + 2
    var lines = ["id".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "Hessian  claim  status    audit T/</V of rows  formula"]
    func row(_ b: RankBound) -> String {
      b.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
        + b.hessian.symbol.padding(toLength: 9, withPad: " ", startingAt: 0)
        + b.claim.symbol.padding(toLength: 7, withPad: " ", startingAt: 0)
        + b.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
        + auditCell(b.id).padding(toLength: 20, withPad: " ", startingAt: 0) + " "
        + b.formula.text
    }
    lines.append("MSE loss (the default):")
    lines += BoundCatalog.all.map(row)
    lines.append("cross-entropy loss (certify --loss ce; the fully connected formulas with K → K − 1):")
    lines += BoundCatalog.crossEntropy.map(row)
    lines.append("")
    lines.append("claim: '=' the formula is claimed to be the rank for generic weights, data and targets;")
    lines.append("       '≤' an upper bound. status: paper (published, proved there), derived (derived in")
    lines.append("       this project, proofs/), observed (seen in float64 checks, no derivation), trivial.")
    lines.append("audit: rows (config × seed) inside the hypotheses in the audit (docs/audit.md; \(BoundAudit.sweep)):")
    lines.append("       TIGHT / rank < value (not attained, for '=') / VIOLATED, of the total; '-' none.")
    lines.append("Explain one (with its proof status): hessrank bounds ID.  Check them: hessrank certify CONFIG|ARCH.")
    return lines.joined(separator: "\n")
  }

  /// "20/4/0 of 24", or "-" when the audit had no row inside the hypotheses.
  static func auditCell(_ id: String) -> String {
    guard let a = BoundAudit.count(id), a.configs > 0 else { return "-" }
    return "\(a.tight)/\(a.notAttained)/\(a.violated) of \(a.configs)"
  }

  static func explain(_ b: RankBound) -> String {
    var lines = [
      "\(b.id): \(b.claimText)",
      "",
      "statement   \(b.statement)",
      "Hessian     \(b.hessian.symbol) (\(b.hessian.rawValue))",
      "loss        " + (b.loss == .crossEntropy
        ? "cross-entropy (softmax over K, mean over samples): checked by 'certify --loss ce'"
        : "MSE (the default): checked by 'certify'"),
      "claim       \(b.claim == .equality ? "formula: the rank equals it for generic weights, data and targets (TIGHT expected)" : "upper bound: the rank is at most this")",
      "status      \(b.status.rawValue)",
      "source      \(b.source)",
      "hypotheses  " + b.hypotheses.lines.joined(separator: "\n            "),
      "formula     \(b.formula.text)",
    ]
    if let p = b.upperBoundProof {
      lines.append("rank ≤ formula at every point: \(p)")
      lines.append("            (so TIGHT at a point proves the rank there, and the generic rank = the formula)")
    }
    lines.append("proof       \(BoundAudit.proofStatus(b))")
    if b.loss == .crossEntropy {
      lines.append("audit       not in the audit (its sweeps rank MSE Hessians); checked against exact cross-entropy ranks by the tests (Tests/RankBoundsTests/CrossEntropyCatalogTests.swift)")
      lines.append("check       hessrank certify ARCH --loss ce [--certificate C.json]: H_o is proved on C·J; H_f and H_L")
      lines.append("            are proved lower bounds (a minor modulo a prime at t = e^(1/D), proofs/cross-entropy.md),")
      lines.append("            so TIGHT there is proved by this theorem's upper bound")
    } else {
      lines.append("audit       \(BoundAudit.count(b.id).map { $0.summary + " (\(BoundAudit.sweep), docs/audit.md)" } ?? "not in the last audit (run make audit)")")
    }
    if let n = b.notes { lines.append("notes       \(n)") }
    return lines.joined(separator: "\n")
  }

  static func boundJSON(_ b: RankBound) -> String {
    var pairs: [(String, String)] = [
      ("id", JSONText.string(b.id)), ("hessian", JSONText.string(b.hessian.rawValue)),
      ("loss", JSONText.string(b.loss?.rawValue ?? "any")),
      ("claim", JSONText.string(b.claim.rawValue)), ("status", JSONText.string(b.status.rawValue)),
      ("formula", JSONText.string(b.formula.text)), ("statement", JSONText.string(b.statement)),
      ("hypotheses", JSONText.array(b.hypotheses.lines.map(JSONText.string))), ("source", JSONText.string(b.source)),
    ]
    if let p = b.upperBoundProof { pairs.append(("upper_bound_proof", JSONText.string(p))) }
    if let n = b.notes { pairs.append(("notes", JSONText.string(n))) }
    pairs.append(("proof_status", JSONText.string(BoundAudit.proofStatus(b))))
    if let a = BoundAudit.count(b.id) {
      pairs.append(("audit", JSONText.object([("rows", "\(a.configs)"), ("tight", "\(a.tight)"),
                                               ("not_attained", "\(a.notAttained)"), ("violated", "\(a.violated)")])))
    }
    return JSONText.object(pairs)
  }

  static var variablesText: String {
    let entries = VariableCatalog.standard.entries
    let names = entries.map { $0.kind == .perLayer ? "\($0.name)[l]" : $0.name }
    let width = (names.map(\.count).max() ?? 8) + 2
    var lines = ["variable".padding(toLength: width, withPad: " ", startingAt: 0) + "meaning"]
    for (name, e) in zip(names, entries) {
      lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + e.meaning)
    }
    lines.append("")
    lines.append("Per-layer variables take l = 1…L (the conv and dense layers in order; 0 is the input).")
    lines.append("Operators: + - * / (exact) ^, min(…), max(…), binom(n,k), sum(l, e) for l = 1…L,")
    lines.append("sum(l=a..b, e); comparisons == != < <= > >= and && || give 1 or 0.")
    return lines.joined(separator: "\n")
  }

  static var variablesJSON: String {
    JSONText.array(VariableCatalog.standard.entries.map {
      JSONText.object([("name", JSONText.string($0.name)), ("per_layer", $0.kind == .perLayer ? "true" : "false"),
                       ("meaning", JSONText.string($0.meaning))])
    })
  }
}
