import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation

/// A checkable proof of the cross-entropy Hessian ranks of one network instance.
///
/// It carries the network config (whose `"loss"` must be `"ce"`), the rank certificate of the
/// data matrix X, and per Hessian:
/// * H_o: the rank certificate of the stacked C·J_i (rank H_o = rank C·J while every
///   π_ic > 0, proofs/cross-entropy.md, Lemma 1), re-checked exactly as MSE's J is (a nonzero
///   minor and an upper-bound proof): the rank is proved.
/// * H_f, H_L: a `CrossEntropyWitness`: a prime q, the residue t* of t = e^{1/D} modulo q and
///   the rows and columns of an r × r minor of n·H modulo q at t* that is nonzero. A nonzero
///   minor there is a nonzero minor over Q(t), so rank ≥ r at the point (Lemmas 2 and 3): a
///   proved lower bound, the exact rank when r = p. It equals the rank at the point unless a
///   maximal minor vanishes at t*, with the recorded probability bound (Schwartz–Zippel in t).
///
/// `verify` trusts nothing in the file but the config: it regenerates the instance, the data
/// matrix, C·J, the softmax exponents and n·H modulo each prime at its t, and recomputes each
/// minor and each probability bound.
public struct CrossEntropyCertificate: Sendable {
  /// The format identifier.
  public static let currentFormat = "hessrank-cross-entropy-certificate/1"

  /// How one Hessian's rank is proved.
  public enum Proof: Sendable, Equatable {
    /// H_o: a rank certificate of the stacked C·J_i (proves the rank).
    case stackedJacobian(RankCertificate)
    /// H_f or H_L: a nonzero minor modulo a prime at a residue of t, and the recorded
    /// Schwartz–Zippel bound (nil: vacuous) on the chance that the rank at the point is larger.
    case minorAtT(CrossEntropyWitness, failureBound: Rational?)
  }

  /// One Hessian's proof.
  public struct Entry: Sendable, Equatable {
    /// Which Hessian.
    public var kind: HessianKind
    /// Its proof.
    public var proof: Proof
    /// H_o's `"rank"` as written in the file (checked against what the certificate proves).
    public var recordedRank: Int?

    /// An entry.
    public init(kind: HessianKind, proof: Proof, recordedRank: Int? = nil) {
      self.kind = kind
      self.proof = proof
      self.recordedRank = recordedRank
    }

    /// The rank the entry claims (exact for H_o, a lower bound otherwise).
    public var rank: Int {
      switch proof {
      case .stackedJacobian(let c): return c.rank
      case .minorAtT(let w, _): return w.rank
      }
    }
  }

  /// The network and its instance settings (loss: cross-entropy).
  public var config: NetworkConfig
  /// The certificate of rank(X) = r.
  public var dataRank: RankCertificate
  /// One entry per certified Hessian.
  public var entries: [Entry]

  /// A certificate from its parts.
  public init(config: NetworkConfig, dataRank: RankCertificate, entries: [Entry]) {
    self.config = config
    self.dataRank = dataRank
    self.entries = entries
  }

  /// The certificate of a cross-entropy rank report computed with certificates.
  /// - Throws: `HessianCertificateError.missingCertificate` for a result without its proof.
  public init(report: HessianRankReport, config: NetworkConfig) throws {
    guard report.loss == .crossEntropy, config.instance.loss == .crossEntropy else {
      throw HessianCertificateError.malformed("a cross-entropy certificate needs cross-entropy ranks")
    }
    let softmax = SoftmaxExponents(logits: try report.instance.activationPattern().outputs)
    entries = try report.results.map { r in
      if r.kind == .outer {
        guard let c = r.certificate else { throw HessianCertificateError.missingCertificate(r.kind.symbol) }
        return Entry(kind: .outer, proof: .stackedJacobian(c))
      }
      guard let w = r.crossEntropyWitness else { throw HessianCertificateError.missingCertificate(r.kind.symbol) }
      let bound = CrossEntropyRanks.failureBound(kind: w.kind, parameters: report.p, softmax: softmax, prime: w.prime)
      return Entry(kind: r.kind, proof: .minorAtT(w, failureBound: w.rank == report.p ? Rational() : bound))
    }
    self.config = config
    dataRank = report.dataRankCertificate
  }

  // MARK: JSON

  /// The certificate as a JSON value (exact numbers as text).
  public var jsonValue: JSONValue {
    .object([
      ("format", .string(Self.currentFormat)),
      ("config", config.jsonObject(structuredLayers: false)),
      ("data_rank", HessianCertificate.json(dataRank)),
      ("hessians", .array(entries.map { e in
        switch e.proof {
        case .stackedJacobian(let c):
          return .object([("hessian", .string(e.kind.rawValue)), ("matrix", .string("stacked-cj")),
                          ("rank", .number(String(c.rank))), ("certificate", HessianCertificate.json(c))])
        case .minorAtT(let w, let bound):
          return .object([
            ("hessian", .string(e.kind.rawValue)), ("matrix", .string("scaled-hessian-modulo-prime-at-t")),
            ("rank_at_least", .number(String(w.rank))), ("prime", .string(String(w.prime))), ("t", .string(String(w.t))),
            ("pivot_rows", .array(w.pivotRows.map { .number(String($0)) })),
            ("pivot_cols", .array(w.pivotCols.map { .number(String($0)) })),
            ("failure_probability", bound.map { .string($0.description) } ?? .null),
          ])
        }
      })),
    ])
  }

  /// JSON text.
  public func jsonData() -> Data { Data((jsonValue.serialized() + "\n").utf8) }

  /// Reads a certificate written by `jsonData()`.
  public init(json data: Data) throws {
    let root: JSONValue
    do { root = try JSONValue.parse(Array(data)) } catch { throw HessianCertificateError.malformed(error.description) }
    try self.init(jsonValue: root)
  }

  /// Reads a certificate from its JSON value.
  public init(jsonValue root: JSONValue) throws {
    config = try HessianCertificate.config(of: root, format: Self.currentFormat)
    guard let d = root["data_rank"] else { throw HessianCertificateError.malformed("no \"data_rank\"") }
    dataRank = try HessianCertificate.rankCertificate(d, what: "data_rank")
    guard case .array(let items)? = root["hessians"] else { throw HessianCertificateError.malformed("no \"hessians\" array") }
    entries = try items.enumerated().map { (i, item) in
      func bad(_ s: String) -> HessianCertificateError { .malformed("hessians[\(i)]: \(s)") }
      guard case .string(let k)? = item["hessian"], let kind = HessianKind(rawValue: k) else {
        throw bad("\"hessian\" must be outer, functional or loss")
      }
      if kind == .outer {
        guard let c = item["certificate"] else { throw bad("no certificate of C·J") }
        let cert = try HessianCertificate.rankCertificate(c, what: "hessians[\(i)]")
        guard case .number(let r)? = item["rank"], let rank = Int(r) else { throw bad("\"rank\" must be an integer") }
        return Entry(kind: kind, proof: .stackedJacobian(cert), recordedRank: rank)
      }
      guard case .number(let r)? = item["rank_at_least"], let rank = Int(r), rank >= 0 else { throw bad("\"rank_at_least\" must be a non-negative integer") }
      // Integers above 2^53 are written as strings, so that no JSON tool rounds them.
      guard case .string(let pr)? = item["prime"], let prime = UInt64(pr) else { throw bad("\"prime\" must be an integer below 2^64 in a string") }
      guard case .string(let tt)? = item["t"], let t = UInt64(tt) else { throw bad("\"t\" must be an integer below 2^64 in a string") }
      func indices(_ key: String) throws -> [Int] { try HessianCertificate.integers(item, key, bad: bad) }
      let bound: Rational?
      switch item["failure_probability"] {
      case .null?: bound = nil
      case .string(let s)?:
        guard let q = try? Rational(parsing: s) else { throw bad("\"failure_probability\" must be a fraction, e.g. \"3/1000\"") }
        bound = q
      default: throw bad("\"failure_probability\" must be a fraction in a string, or null")
      }
      let w = CrossEntropyWitness(kind: kind, rank: rank, prime: prime, t: t, pivotRows: try indices("pivot_rows"),
                                  pivotCols: try indices("pivot_cols"))
      return Entry(kind: kind, proof: .minorAtT(w, failureBound: bound))
    }
  }

  // MARK: Verification

  /// What a verification proved about one Hessian.
  public struct Result: Sendable {
    /// Which Hessian.
    public var kind: HessianKind
    /// The proved rank (exact) or lower bound.
    public var rank: Int
    /// True when the rank is proved exactly.
    public var exact: Bool
    /// How rank ≥ `rank` was re-checked ("a nonzero 30×30 minor of n·H_f modulo q at t = …").
    public var lowerProof: String
    /// How rank ≤ `rank` was re-checked, when exact.
    public var upperProof: String?
    /// For H_f, H_L: the recomputed Schwartz–Zippel bound on the chance that the rank at the
    /// point is larger (0 when exact, nil when vacuous).
    public var failureBound: Rational?
  }

  /// What a verification proved.
  public struct Verification: Sendable {
    /// r = rank(X), proved.
    public var dataRank: Int
    /// One result per entry, in order.
    public var results: [Result]
  }

  /// Regenerates the instance and matrices from the config and re-checks every proof.
  /// - Parameters:
  ///   - seed: fixes the primes the rank certificates of X and C·J are checked modulo.
  ///   - primes: how many such primes.
  /// - Throws: `HessianCertificateError.rejected` when anything does not hold.
  public func verify(seed: UInt64? = nil, primes: Int = 3, threads: Int = ModularElimination.defaultThreads) throws -> Verification {
    guard config.instance.loss == .crossEntropy else {
      throw HessianCertificateError.rejected("the config's loss is \(config.instance.loss.name), but a cross-entropy certificate proves ranks of the cross-entropy loss (\"loss\": \"ce\")")
    }
    let (instance, pattern, outputs) = try HessianCertificate.regenerate(config)
    let data = try HessianCertificate.verifyDataRank(dataRank, instance: instance, seed: seed, primes: primes)
    let kinds = entries.map(\.kind)
    guard Set(kinds).count == kinds.count else { throw HessianCertificateError.rejected("a Hessian is listed twice") }
    let p = instance.plan.parameterCount
    let targets: [[Rational]]
    do {
      targets = try CrossEntropyTargets.targets(instance)
    } catch {
      throw HessianCertificateError.rejected("\(error)")
    }
    let softmax = SoftmaxExponents(logits: outputs)
    var results: [Result] = []
    for e in entries {
      func reject(_ s: String) -> HessianCertificateError { .rejected("\(e.kind.symbol): \(s)") }
      switch e.proof {
      case .stackedJacobian(let cert):
        guard e.kind == .outer else { throw reject("only H_o is certified through C·J") }
        let matrices: [HessianKind: IntegerMatrix]
        do {
          matrices = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: [.outer], threads: threads, loss: .crossEntropy)
        } catch {
          throw reject("C·J cannot be rebuilt: \(error)")
        }
        let v: RankVerification
        do {
          v = try cert.verification(against: matrices[.outer]!, seed: seed, primes: primes)
        } catch {
          throw reject("C·J: \(error)")
        }
        if let recorded = e.recordedRank, recorded != v.rank {
          throw reject("rank recorded as \(recorded), the certificate of C·J proves \(v.rank)")
        }
        results.append(Result(kind: .outer, rank: v.rank, exact: v.isExact,
                              lowerProof: "a nonzero \(v.rank)×\(v.rank) minor of C·J",
                              upperProof: v.isExact ? Self.upperProof(cert) : nil, failureBound: v.isExact ? Rational() : nil))
      case .minorAtT(let w, let recorded):
        guard e.kind != .outer, w.kind == e.kind else { throw reject("H_o is certified through C·J, not modulo a prime at t") }
        let r = w.rank
        guard CrossEntropyRanks.primeRange.contains(w.prime), Primality.isPrime(w.prime) else {
          throw reject("\(w.prime) is not a prime in [2^61, 2^62)")
        }
        guard w.t >= 1 && w.t < w.prime else { throw reject("t must be a residue in [1, \(w.prime))") }
        guard r <= p else { throw reject("rank \(r) exceeds the matrix size \(p)") }
        guard w.pivotRows.count == r, w.pivotCols.count == r else { throw reject("the minor must have \(r) rows and \(r) columns") }
        guard Set(w.pivotRows).count == r, Set(w.pivotCols).count == r else { throw reject("repeated pivot index") }
        guard (w.pivotRows + w.pivotCols).allSatisfy({ $0 >= 0 && $0 < p }) else { throw reject("pivot index out of range") }
        let expected = r == p ? Rational() : CrossEntropyRanks.failureBound(kind: e.kind, parameters: p, softmax: softmax, prime: w.prime)
        guard recorded == expected else {
          throw reject("failure probability recorded as \(recorded?.description ?? "null"), recomputed \(expected?.description ?? "null (vacuous)")")
        }
        let field = MontgomeryField(prime: w.prime)
        let pf = PrimeField(unchecked: w.prime)
        let builder: HessianBuilder<MontgomeryField>
        let y: [[UInt64]]
        do {
          builder = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
          y = try targets.map { try $0.map { try field.element($0) } }
        } catch {
          throw reject("the prime \(w.prime) divides a denominator of the instance")
        }
        guard let pi = softmax.probabilities(at: w.t, prime: pf) else {
          throw reject("a softmax denominator S_i(t) vanishes modulo \(w.prime) at t = \(w.t)")
        }
        let m = CrossEntropyRanks.scaledHessians(builder: builder, field: field, probabilities: pi, targets: y, kinds: [e.kind])[e.kind]!
        let minor = HessianRanks.modularMatrix(m, field: field, prime: pf).submatrix(rows: w.pivotRows, cols: w.pivotCols)
        guard r == 0 || minor.determinant(threads: threads) != 0 else {
          throw reject("the \(r) × \(r) minor is zero modulo \(w.prime) at t = \(w.t): no lower bound")
        }
        let name = "n·\(e.kind.symbol)"
        results.append(Result(kind: e.kind, rank: r, exact: r == p,
                              lowerProof: "a nonzero \(r)×\(r) minor of \(name) modulo \(w.prime) at t ≡ \(w.t) (t = e^(1/\(softmax.denominator)))",
                              upperProof: r == p ? "rank = p = \(p)" : nil, failureBound: expected))
      }
    }
    return Verification(dataRank: data.rank, results: results)
  }

  /// How a verified rank certificate bounds the rank from above.
  static func upperProof(_ c: RankCertificate) -> String {
    if let k = c.kernel { return "\(k.count) exact kernel vector\(k.count == 1 ? "" : "s")" }
    if let ps = c.upperBoundPrimes { return "its rank modulo \(ps.count) prime\(ps.count == 1 ? "" : "s") past Hadamard's bound" }
    return "rank = min(rows, cols)"
  }
}
