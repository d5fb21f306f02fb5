import ConvNet
import Exact
import Hessian

/// What `hessrank certify` is asked to do.
public struct CertifyRequest: Sendable {
  /// The network and its instance settings (the first seed is `config.instance.seed`; the
  /// ranks are of `config.instance.loss`).
  public var config: NetworkConfig
  /// The bounds to check: catalog bounds and user formulas.
  public var bounds: [RankBound]
  /// How many seeds: seed, seed + 1, …
  public var seedCount: Int
  /// The rank method (`auto`: certified for small networks or when certificates are wanted).
  public var method: RankMethod
  /// Primes for the modular method.
  public var primes: Int
  /// Whether rank certificates are required (for a certificate file).
  public var wantCertificates: Bool

  /// A request.
  public init(config: NetworkConfig, bounds: [RankBound], seedCount: Int = 2, method: RankMethod = .auto,
              primes: Int = 2, wantCertificates: Bool = false) {
    self.config = config
    self.bounds = bounds
    self.seedCount = seedCount
    self.method = method
    self.primes = primes
    self.wantCertificates = wantCertificates
  }

  /// The seeds: the config's seed and the next `seedCount − 1` (wrapping at 2^64).
  public var seeds: [UInt64] {
    (0..<UInt64(max(1, seedCount))).map { config.instance.seed &+ $0 }
  }
}

/// A bound that does not apply, and why.
public struct SkippedBound: Sendable {
  /// The bound.
  public let bound: RankBound
  /// Why it does not apply.
  public let reason: String
}

/// The checks at one seed.
public struct SeedOutcome: Sendable {
  /// The seed.
  public let seed: UInt64
  /// The config of this seed's instance.
  public let config: NetworkConfig
  /// The exact ranks.
  public let report: HessianRankReport
  /// The variables at the instance.
  public let variables: NetworkVariables
  /// One check per applicable bound, in request order.
  public let checks: [BoundCheck]
  /// The bounds that do not apply.
  public let skipped: [SkippedBound]
}

/// The whole run.
public struct CertifyOutcome: Sendable {
  /// The network's structure.
  public let facts: NetworkFacts
  /// One outcome per seed.
  public let seeds: [SeedOutcome]

  /// True when some bound is violated at some seed.
  public var anyViolated: Bool { seeds.contains { $0.checks.contains { $0.verdict == .violated } } }

  /// Each judged bound's verdict over the seeds (`Verdict.overSeeds`), in request order: a
  /// claimed formula is SHORT only when no seed attains it.
  public var verdictsOverSeeds: [(bound: RankBound, verdict: Verdict)] {
    BoundCertifier.verdictsOverSeeds(seeds.map(\.checks))
  }

}

/// An error of a certify run that is the user's to fix (a formula that cannot be evaluated here).
public struct CertifyError: Error, CustomStringConvertible {
  /// One line (plus, for formulas, the formula and a caret).
  public let description: String
}

/// Checks bounds against exact Hessian ranks at seeded instances.
public enum BoundCertifier {
  /// Each bound's verdict over the seeds, from per-seed checks, in first-seen order.
  public static func verdictsOverSeeds(_ checks: [[BoundCheck]]) -> [(bound: RankBound, verdict: Verdict)] {
    var order: [String] = []
    var byID: [String: (bound: RankBound, verdicts: [Verdict])] = [:]
    for c in checks.joined() {
      if byID[c.bound.id] == nil { order.append(c.bound.id); byID[c.bound.id] = (c.bound, []) }
      byID[c.bound.id]!.verdicts.append(c.verdict)
    }
    return order.compactMap { id in byID[id].flatMap { e in Verdict.overSeeds(e.verdicts).map { (e.bound, $0) } } }
  }

  /// Runs the request.
  /// - Throws: `CertifyError` (user formula cannot be evaluated), instance and rank errors.
  public static func run(_ request: CertifyRequest, progress: (String) -> Void = { _ in }) throws -> CertifyOutcome {
    let facts = NetworkFacts(request.config.architecture)
    var outcomes: [SeedOutcome] = []
    for (i, seed) in request.seeds.enumerated() {
      var config = request.config
      config.instance.seed = seed
      let instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
      let plan = BoundPlan(bounds: request.bounds, facts: facts, settings: config.instance)
      var options = HessianRankOptions(kinds: plan.kinds, method: request.method, primes: request.primes,
                                       wantCertificates: request.wantCertificates)
      options.loss = config.instance.loss
      progress("seed \(seed) (\(i + 1)/\(request.seeds.count))")
      let report = try HessianRanks.compute(instance, options: options) { progress("seed \(seed): \($0)") }
      var evidence: [HessianKind: RankEvidence] = [:]
      for r in report.results { evidence[r.kind] = RankEvidence(r) }
      progress("seed \(seed): variables")
      let variables = NetworkVariables(instance: instance, dataRank: report.dataRank,
                                       ranks: evidence.mapValues(\.rank), names: plan.variableNames)
      let (checks, skipped) = try plan.judge(variables: variables, evidence: evidence, seed: seed)
      outcomes.append(SeedOutcome(seed: seed, config: config, report: report, variables: variables, checks: checks, skipped: skipped))
    }
    return CertifyOutcome(facts: facts, seeds: outcomes)
  }
}

/// Which bounds apply structurally, which Hessians and variables they need, and the judging
/// step shared by the certifier and the certificate checker.
struct BoundPlan {
  let bounds: [RankBound]
  /// Per bound: the structural reason it does not apply, or nil.
  let structural: [String?]
  /// The Hessians needed, in canonical order.
  let kinds: [HessianKind]
  /// Every variable the applicable bounds' formulas and conditions use.
  let variableNames: Set<String>

  init(bounds: [RankBound], facts: NetworkFacts, settings: InstanceSettings) {
    self.bounds = bounds
    structural = bounds.map {
      $0.lossMismatch(settings.loss)
        ?? $0.hypotheses.structuralMismatch(facts, targets: settings.targets, explicitTargets: settings.targetValues != nil)
    }
    var kinds = Set<HessianKind>()
    var names = Set<String>()
    for (b, why) in zip(bounds, structural) where why == nil {
      kinds.insert(b.hessian)
      let used = b.formula.variableNames + b.hypotheses.conditions.flatMap(\.formula.variableNames)
      names.formUnion(used)
      for kind in HessianKind.allCases where used.contains("rank_\(kind.rawValue)") { kinds.insert(kind) }
    }
    self.kinds = HessianKind.allCases.filter { kinds.contains($0) }
    variableNames = names
  }

  /// Evaluates conditions and formulas and compares with the ranks.
  func judge(variables: NetworkVariables, evidence: [HessianKind: RankEvidence], seed: UInt64) throws
    -> (checks: [BoundCheck], skipped: [SkippedBound])
  {
    var checks: [BoundCheck] = []
    var skipped: [SkippedBound] = []
    bounds: for (b, why) in zip(bounds, structural) {
      if let why {
        skipped.append(SkippedBound(bound: b, reason: why))
        continue
      }
      for condition in b.hypotheses.conditions {
        do {
          if !(try condition.formula.holds(in: variables)) {
            skipped.append(SkippedBound(bound: b, reason: "needs \(condition.words) [\(condition.formula.text)]"))
            continue bounds
          }
        } catch {
          skipped.append(SkippedBound(bound: b, reason: "needs \(condition.words): \(error.message)"))
          continue bounds
        }
      }
      let value: BigInt
      do {
        value = try b.formula.evaluate(in: variables)
      } catch {
        if b.status == .user {
          throw CertifyError(description: "formula for \(b.hessian.symbol) cannot be evaluated for this network: \(error.located)")
        }
        skipped.append(SkippedBound(bound: b, reason: error.message))
        continue
      }
      guard let e = evidence[b.hessian] else {
        skipped.append(SkippedBound(bound: b, reason: "the rank of \(b.hessian.symbol) was not computed"))
        continue
      }
      let usesInexactRank = HessianKind.allCases.contains { kind in
        b.formula.variableNames.contains("rank_\(kind.rawValue)") && evidence[kind]?.isExact != true
      }
      checks.append(BoundCheck(bound: b, seed: seed, value: value, evidence: e, valueIsExact: !usesInexactRank))
    }
    return (checks, skipped)
  }
}
