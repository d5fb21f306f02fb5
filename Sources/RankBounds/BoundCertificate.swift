import ConvNet
import Exact
import Foundation
import Hessian

/// A checkable record of a `certify` run: the config, the seeds, per seed the Hessian rank
/// certificates (`HessianCertificate`), the bounds with their formulas, the values, ranks and
/// verdicts.
///
/// `verify` trusts nothing but the config and the bound catalog of this version: per seed it
/// regenerates the instance and the exact matrices, re-checks every rank certificate,
/// recomputes the variables and the bounds' values exactly, re-derives the verdicts and rejects
/// the file if any stored rank, value, verdict, variable, formula or config differs.
public struct BoundCertificate: Sendable {
  /// The format identifier.
  public static let currentFormat = "hessrank-bound-certificate/1"

  /// A bound as recorded: its id, what it claims, and the formula text.
  public struct BoundEntry: Sendable, Equatable {
    /// The catalog id, or the name given to a user formula ("formula-1").
    public var id: String
    /// Which Hessian.
    public var hessian: HessianKind
    /// Formula or upper bound.
    public var claim: BoundClaim
    /// Catalog status, or `user`.
    public var status: BoundStatus
    /// The formula text.
    public var formula: String
  }

  /// One verdict as recorded.
  public struct Result: Sendable, Equatable {
    /// The bound's id.
    public var bound: String
    /// Which Hessian.
    public var hessian: HessianKind
    /// The bound's exact value.
    public var value: BigInt
    /// The rank.
    public var rank: Int
    /// The verdict.
    public var verdict: Verdict
    /// Whether the verdict is proved at the point.
    public var proved: Bool
    /// The explanation line (informational, not compared).
    public var explanation: String
  }

  /// The record of one seed.
  public struct Instance: Sendable {
    /// The seed.
    public var seed: UInt64
    /// The rank certificates (their config is the base config with this seed): exact
    /// matrices for MSE, C·J and minors modulo primes at t for cross-entropy.
    public var hessians: PointRankCertificate
    /// The variables the bounds use, with their values.
    public var variables: [(name: String, value: BigInt)]
    /// The verdicts.
    public var results: [Result]
    /// The bounds that did not apply, with the reason.
    public var skipped: [(bound: String, reason: String)]
  }

  /// The network config (its seed is the first seed).
  public var config: NetworkConfig
  /// The bounds checked.
  public var bounds: [BoundEntry]
  /// One record per seed.
  public var instances: [Instance]

  /// The certificate of a run made with `wantCertificates`.
  /// - Throws: `HessianCertificateError.missingCertificate` when ranks were computed without certificates.
  public init(request: CertifyRequest, outcome: CertifyOutcome) throws {
    config = request.config
    bounds = request.bounds.map {
      BoundEntry(id: $0.id, hessian: $0.hessian, claim: $0.claim, status: $0.status, formula: $0.formula.text)
    }
    instances = try outcome.seeds.map { s in
      let used = Set(request.bounds.flatMap { $0.formula.variableNames + $0.hypotheses.conditions.flatMap(\.formula.variableNames) })
      return Instance(
        seed: s.seed, hessians: try PointRankCertificate(report: s.report, config: s.config),
        variables: s.variables.definedScalars.filter { used.contains($0.name) || ["r", "p", "n", "K"].contains($0.name) },
        results: s.checks.map {
          Result(bound: $0.bound.id, hessian: $0.bound.hessian, value: $0.value, rank: $0.evidence.rank,
                 verdict: $0.verdict, proved: $0.proved, explanation: $0.explanation)
        },
        skipped: s.skipped.map { ($0.bound.id, $0.reason) })
    }
  }

  // MARK: JSON

  /// The certificate as JSON (exact numbers as text).
  public var jsonValue: JSONValue {
    .object([
      ("format", .string(Self.currentFormat)),
      ("config", config.jsonObject(structuredLayers: false)),
      ("seeds", .array(instances.map { .number(String($0.seed)) })),
      ("bounds", .array(bounds.map { b in
        .object([("id", .string(b.id)), ("hessian", .string(b.hessian.rawValue)), ("claim", .string(b.claim.rawValue)),
                 ("status", .string(b.status.rawValue)), ("formula", .string(b.formula))])
      })),
      ("instances", .array(instances.map { i in
        .object([
          ("seed", .number(String(i.seed))),
          ("variables", .object(i.variables.map { ($0.name, JSONValue.number($0.value.description)) })),
          ("results", .array(i.results.map { r in
            .object([("bound", .string(r.bound)), ("hessian", .string(r.hessian.rawValue)), ("value", .number(r.value.description)),
                     ("rank", .number(String(r.rank))), ("verdict", .string(r.verdict.rawValue)), ("proved", .bool(r.proved)),
                     ("explanation", .string(r.explanation))])
          })),
          ("skipped", .array(i.skipped.map { .object([("bound", .string($0.bound)), ("reason", .string($0.reason))]) })),
          ("hessian_certificate", i.hessians.jsonValue),
        ])
      })),
    ])
  }

  /// Pretty-printed JSON text.
  public func jsonData() -> Data { Data((jsonValue.serialized() + "\n").utf8) }

  /// Reads a certificate written by `jsonData()`.
  /// - Throws: `BoundCertificateError.malformed`.
  public init(json data: Data) throws {
    let root: JSONValue
    do { root = try JSONValue.parse(Array(data)) } catch { throw BoundCertificateError.malformed(error.description) }
    guard case .string(let format)? = root["format"], format == Self.currentFormat else {
      throw BoundCertificateError.malformed("not a \(Self.currentFormat) certificate")
    }
    guard let c = root["config"] else { throw BoundCertificateError.malformed("no \"config\"") }
    do {
      config = try NetworkConfig(json: Data(c.serialized().utf8))
    } catch {
      throw BoundCertificateError.malformed("config: \(error.description)")
    }
    let boundItems = try J.array(root["bounds"], "bounds")
    bounds = try boundItems.enumerated().map { (i, b) in
      let w = "bounds[\(i)]"
      guard let hessian = HessianKind(rawValue: try J.string(b["hessian"], w + ".hessian")),
            let claim = BoundClaim(rawValue: try J.string(b["claim"], w + ".claim")),
            let status = BoundStatus(rawValue: try J.string(b["status"], w + ".status")) else {
        throw BoundCertificateError.malformed("\(w): unknown hessian, claim or status")
      }
      return BoundEntry(id: try J.string(b["id"], w + ".id"), hessian: hessian, claim: claim, status: status,
                        formula: try J.string(b["formula"], w + ".formula"))
    }
    let seeds = try J.array(root["seeds"], "seeds").enumerated().map { try J.unsigned($1, "seeds[\($0)]") }
    let items = try J.array(root["instances"], "instances")
    guard items.count == seeds.count else {
      throw BoundCertificateError.malformed("\(seeds.count) seeds but \(items.count) instances")
    }
    instances = try items.enumerated().map { (i, item) in
      let w = "instances[\(i)]"
      guard case .object(let vars)? = item["variables"] else { throw BoundCertificateError.malformed("\(w): no \"variables\" object") }
      let hessians: PointRankCertificate
      do {
        guard let h = item["hessian_certificate"] else { throw BoundCertificateError.malformed("\(w): no \"hessian_certificate\"") }
        hessians = try PointRankCertificate(jsonValue: h)
      } catch let e as BoundCertificateError {
        throw e
      } catch {
        throw BoundCertificateError.malformed("\(w): \(error)")
      }
      let results = try J.array(item["results"], w + ".results").enumerated().map { (k, r) in
        let v = "\(w).results[\(k)]"
        guard let hessian = HessianKind(rawValue: try J.string(r["hessian"], v + ".hessian")),
              let verdict = Verdict(rawValue: try J.string(r["verdict"], v + ".verdict")) else {
          throw BoundCertificateError.malformed("\(v): unknown hessian or verdict")
        }
        guard case .bool(let proved)? = r["proved"] else { throw BoundCertificateError.malformed("\(v): \"proved\" must be true or false") }
        let explanation: String
        if case .string(let e)? = r["explanation"] { explanation = e } else { explanation = "" }
        return Result(bound: try J.string(r["bound"], v + ".bound"), hessian: hessian, value: try J.integer(r["value"], v + ".value"),
                      rank: try J.int(r["rank"], v + ".rank"), verdict: verdict, proved: proved, explanation: explanation)
      }
      let skipped = try J.array(item["skipped"], w + ".skipped").enumerated().map { (k, s) in
        (bound: try J.string(s["bound"], "\(w).skipped[\(k)].bound"), reason: try J.string(s["reason"], "\(w).skipped[\(k)].reason"))
      }
      return Instance(seed: seeds[i], hessians: hessians,
                      variables: try vars.map { (name: $0.key, value: try J.integer($0.value, "\(w).variables.\($0.key)")) },
                      results: results, skipped: skipped)
    }
    for (i, item) in items.enumerated() where try J.unsigned(item["seed"], "instances[\(i)].seed") != seeds[i] {
      throw BoundCertificateError.malformed("instances[\(i)].seed differs from seeds[\(i)]")
    }
  }

  // MARK: Verification

  /// What a verification re-derived.
  public struct Verification: Sendable {
    /// The verdicts, per seed, recomputed from the regenerated matrices.
    public var checks: [[BoundCheck]]
    /// One line: what was re-checked.
    public var summary: String
  }

  /// Re-derives everything from the config and rejects any difference.
  /// - Parameters:
  ///   - seed: fixes the verification primes (nil: fresh random primes).
  ///   - primes: how many primes the rank certificates are checked modulo.
  /// - Throws: `BoundCertificateError.rejected` naming the first difference.
  public func verify(seed: UInt64? = nil, primes: Int = 3) throws -> Verification {
    guard !instances.isEmpty else { throw BoundCertificateError.rejected("the certificate has no instances") }
    guard Set(instances.map(\.seed)).count == instances.count else { throw BoundCertificateError.rejected("a seed is listed twice") }
    guard instances[0].seed == config.instance.seed else {
      throw BoundCertificateError.rejected("the first seed \(instances[0].seed) is not the config's seed \(config.instance.seed)")
    }
    guard Set(bounds.map(\.id)).count == bounds.count else { throw BoundCertificateError.rejected("a bound id is listed twice") }
    let rankBounds = try bounds.map { try Self.bound(for: $0) }
    let facts = NetworkFacts(config.architecture)
    var allChecks: [[BoundCheck]] = []
    var counts: [Verdict: Int] = [:]
    for record in instances {
      let w = "seed \(record.seed)"
      var expected = config
      expected.instance.seed = record.seed
      guard record.hessians.config == expected else {
        throw BoundCertificateError.rejected("\(w): the Hessian certificate's config differs from the certificate's config with this seed")
      }
      let plan = BoundPlan(bounds: rankBounds, facts: facts, settings: expected.instance)
      let present = Set(record.hessians.kinds)
      if let missing = plan.kinds.first(where: { !present.contains($0) }) {
        throw BoundCertificateError.rejected("\(w): no rank certificate for \(missing.symbol), which the bounds need")
      }
      let verification: (dataRank: Int, evidence: [HessianKind: RankEvidence])
      do {
        verification = try record.hessians.verify(seed: seed, primes: primes)
      } catch {
        throw BoundCertificateError.rejected("\(w): \(error)")
      }
      let instance: NetworkInstance
      do {
        instance = try NetworkInstance(architecture: expected.architecture, settings: expected.instance)
      } catch {
        throw BoundCertificateError.rejected("\(w): the config does not give a valid instance: \(error)")
      }
      var evidence = verification.evidence
      if expected.instance.loss == .mse {
        for kind in evidence.keys { evidence[kind]!.degenerateProbability = HessianRanks.schwartzZippelBound(instance, kind: kind, rank: evidence[kind]!.rank) }
      }
      let variables = NetworkVariables(instance: instance, dataRank: verification.dataRank,
                                       ranks: evidence.mapValues(\.rank), names: plan.variableNames)
      for (name, value) in record.variables {
        guard case .value(let actual)? = variables.scalar(name) else {
          throw BoundCertificateError.rejected("\(w): variable \(name) is recorded but has no value for this network")
        }
        guard actual == value else {
          throw BoundCertificateError.rejected("\(w): variable \(name) is recorded as \(value), recomputed \(actual)")
        }
      }
      let judged: (checks: [BoundCheck], skipped: [SkippedBound])
      do {
        judged = try plan.judge(variables: variables, evidence: evidence, seed: record.seed)
      } catch {
        throw BoundCertificateError.rejected("\(w): \(error)")
      }
      let recordedIDs = record.results.map(\.bound)
      guard recordedIDs == judged.checks.map(\.bound.id) else {
        throw BoundCertificateError.rejected("\(w): the recorded verdicts are for [\(recordedIDs.joined(separator: ", "))], the applicable bounds are [\(judged.checks.map(\.bound.id).joined(separator: ", "))]")
      }
      guard record.skipped.map(\.bound) == judged.skipped.map(\.bound.id) else {
        throw BoundCertificateError.rejected("\(w): the recorded skipped bounds differ from the inapplicable ones")
      }
      for (r, c) in zip(record.results, judged.checks) {
        let b = "\(w), bound \(r.bound)"
        guard r.hessian == c.bound.hessian else { throw BoundCertificateError.rejected("\(b): recorded for \(r.hessian.symbol), the bound is about \(c.bound.hessian.symbol)") }
        guard r.value == c.value else { throw BoundCertificateError.rejected("\(b): value recorded as \(r.value), recomputed \(c.value)") }
        guard r.rank == c.evidence.rank else { throw BoundCertificateError.rejected("\(b): rank recorded as \(r.rank), the certificate proves \(c.evidence.rank)") }
        guard r.verdict == c.verdict else { throw BoundCertificateError.rejected("\(b): verdict recorded as \(r.verdict.rawValue), re-derived \(c.verdict.rawValue)") }
        guard r.proved == c.proved else { throw BoundCertificateError.rejected("\(b): recorded as \(r.proved ? "proved" : "not proved"), re-derived \(c.proved ? "proved" : "not proved")") }
        counts[c.verdict, default: 0] += 1
      }
      allChecks.append(judged.checks)
    }
    let tally = Verdict.allCases.compactMap { v -> String? in
      v == .short && counts[v] == nil ? nil : "\(counts[v] ?? 0) \(v.rawValue)"
    }.joined(separator: ", ")
    let summary = "\(config.architecture): \(allChecks.map(\.count).reduce(0, +)) verdicts on \(instances.count) seed\(instances.count == 1 ? "" : "s") (\(instances.map { String($0.seed) }.joined(separator: ", "))) re-derived from regenerated matrices: \(tally)"
    return Verification(checks: allChecks, summary: summary)
  }

  /// The bound a recorded entry names: the catalog's (which must match) or the user formula.
  static func bound(for entry: BoundEntry) throws -> RankBound {
    if entry.status == .user {
      // A user formula may not borrow a catalog id: a reader would take its verdict for the
      // catalog bound's.
      if BoundCatalog.bound(id: entry.id) != nil {
        throw BoundCertificateError.rejected("bound \(entry.id) is recorded as a user formula, but \(entry.id) is a catalog id; user formulas are named formula-N")
      }
      guard entry.id.hasPrefix("formula-"), Int(entry.id.dropFirst("formula-".count)) != nil else {
        throw BoundCertificateError.rejected("user formula id \(entry.id.debugDescription.prefix(60)) is not of the form formula-N")
      }
      let formula: Formula
      do {
        formula = try Formula(parsing: entry.formula)
        try formula.validate()
      } catch {
        throw BoundCertificateError.rejected("bound \(entry.id): \(error.description)")
      }
      return RankBound(userFormula: formula, id: entry.id, hessian: entry.hessian, claim: entry.claim)
    }
    guard let b = BoundCatalog.bound(id: entry.id) else {
      throw BoundCertificateError.rejected("bound \(entry.id) is not in this version's catalog")
    }
    guard b.formula.text == entry.formula, b.hessian == entry.hessian, b.claim == entry.claim, b.status == entry.status else {
      throw BoundCertificateError.rejected("bound \(entry.id) is recorded as rank(\(entry.hessian.symbol)) \(entry.claim.symbol) \(entry.formula) [\(entry.status.rawValue)], the catalog has \(b.claimText) [\(b.status.rawValue)]")
    }
    return b
  }
}

/// Why a bound certificate cannot be read or is not accepted.
public enum BoundCertificateError: Error, CustomStringConvertible {
  /// The file is not a well-formed bound certificate.
  case malformed(String)
  /// The certificate does not hold.
  case rejected(String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .malformed(let s): return "malformed bound certificate: \(s)"
    case .rejected(let s): return s
    }
  }
}

/// Typed access to JSON values with malformed-certificate errors.
enum J {
  static func array(_ v: JSONValue?, _ what: String) throws -> [JSONValue] {
    guard case .array(let a)? = v else { throw BoundCertificateError.malformed("\(what) must be an array") }
    return a
  }

  static func string(_ v: JSONValue?, _ what: String) throws -> String {
    guard case .string(let s)? = v else { throw BoundCertificateError.malformed("\(what) must be a string") }
    return s
  }

  static func integer(_ v: JSONValue?, _ what: String) throws -> BigInt {
    switch v {
    case .number(let t)?, .string(let t)?:
      guard let x = BigInt(t) else { throw BoundCertificateError.malformed("\(what) must be an integer, found \(t)") }
      return x
    default: throw BoundCertificateError.malformed("\(what) must be an integer")
    }
  }

  static func int(_ v: JSONValue?, _ what: String) throws -> Int {
    guard let x = try integer(v, what).intValue else { throw BoundCertificateError.malformed("\(what) is too large") }
    return x
  }

  static func unsigned(_ v: JSONValue?, _ what: String) throws -> UInt64 {
    guard case .number(let t)? = v, let x = UInt64(t) else { throw BoundCertificateError.malformed("\(what) must be a non-negative integer") }
    return x
  }
}
