import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation

/// A checkable proof of the exact Hessian ranks of one network instance.
///
/// It carries the network config (architecture and instance settings: the seed and generator,
/// or explicit exact values), the rank certificate of the data matrix X (r = rank Σ_xx), and
/// per Hessian the rank certificate of the matrix whose rank was taken: the Jacobian J for
/// H_o (rank H_o = rank J over Q, since H_o = JᵀJ/n and Jᵀ J x = 0 ⇒ ‖Jx‖² = 0), the n-scaled
/// p × p matrix for H_f and H_L (scaling by n and clearing row denominators keep the rank).
///
/// `verify` trusts nothing in the file but the config: it regenerates the exact instance and
/// matrices and re-checks every rank certificate (a nonzero minor modulo fresh primes for the
/// lower bound; exact kernel vectors, or ranks modulo primes past Hadamard's bound on the
/// (rank+1)-minors, for the upper bound).
public struct HessianCertificate: Sendable {
  /// The format identifier.
  public static let currentFormat = "hessrank-hessian-certificate/1"

  /// One Hessian's proof.
  public struct Entry: Sendable, Equatable {
    /// Which Hessian.
    public var kind: HessianKind
    /// The certificate of J (for H_o) or of n·H (rows scaled to integers).
    public var certificate: RankCertificate

    /// An entry.
    public init(kind: HessianKind, certificate: RankCertificate) {
      self.kind = kind
      self.certificate = certificate
    }

    /// "jacobian" for H_o, "scaled-hessian" otherwise.
    public var matrixName: String { kind == .outer ? "jacobian" : "scaled-hessian" }
  }

  /// The network and its instance settings.
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

  /// The certificate of a rank report computed with certificates (`certified` or `bareiss`).
  /// - Throws: `HessianCertificateError.missingCertificate` for results computed without one.
  public init(report: HessianRankReport, config: NetworkConfig) throws {
    var entries: [Entry] = []
    for r in report.results {
      guard let c = r.certificate else { throw HessianCertificateError.missingCertificate(r.kind.symbol) }
      entries.append(Entry(kind: r.kind, certificate: c))
    }
    self.init(config: config, dataRank: report.dataRankCertificate, entries: entries)
  }

  // MARK: JSON

  /// The certificate as a JSON value (exact numbers as text).
  public var jsonValue: JSONValue {
    .object([
      ("format", .string(Self.currentFormat)),
      ("config", config.jsonObject(structuredLayers: false)),
      ("data_rank", Self.json(dataRank)),
      ("hessians", .array(entries.map { e in
        .object([("hessian", .string(e.kind.rawValue)), ("matrix", .string(e.matrixName)),
                 ("rank", .number(String(e.certificate.rank))), ("certificate", Self.json(e.certificate))])
      })),
    ])
  }

  /// Pretty-printed JSON text.
  public func jsonData() -> Data { Data((jsonValue.serialized() + "\n").utf8) }

  /// Reads a certificate written by `jsonData()`.
  public init(json data: Data) throws {
    let root: JSONValue
    do { root = try JSONValue.parse(Array(data)) } catch { throw HessianCertificateError.malformed(error.description) }
    try self.init(jsonValue: root)
  }

  /// Reads a certificate from its JSON value.
  public init(jsonValue root: JSONValue) throws {
    config = try Self.config(of: root, format: Self.currentFormat)
    guard let d = root["data_rank"] else { throw HessianCertificateError.malformed("no \"data_rank\"") }
    dataRank = try Self.rankCertificate(d, what: "data_rank")
    guard case .array(let items)? = root["hessians"] else { throw HessianCertificateError.malformed("no \"hessians\" array") }
    entries = try items.enumerated().map { (i, item) in
      guard case .string(let k)? = item["hessian"], let kind = HessianKind(rawValue: k) else {
        throw HessianCertificateError.malformed("hessians[\(i)]: \"hessian\" must be outer, functional or loss")
      }
      guard let c = item["certificate"] else { throw HessianCertificateError.malformed("hessians[\(i)]: no certificate") }
      let cert = try Self.rankCertificate(c, what: "hessians[\(i)]")
      switch item["rank"] {
      case nil: break
      case .number(let r)? where Int(r) == cert.rank: break
      case .number(let r)?:
        throw HessianCertificateError.malformed("hessians[\(i)]: rank \(r.count > 30 ? String(r.prefix(30)) + "…" : r) differs from its certificate's rank \(cert.rank)")
      case let other?:
        throw HessianCertificateError.malformed("hessians[\(i)]: \"rank\" must be an integer, found \(other.kindName)")
      }
      return Entry(kind: kind, certificate: cert)
    }
  }

  /// The network config of a certificate whose `"format"` must be `format` (the part every
  /// certificate of a network shares: this one and `SketchCertificate`).
  static func config(of root: JSONValue, format expected: String) throws -> NetworkConfig {
    guard case .string(let format)? = root["format"], format == expected else {
      throw HessianCertificateError.malformed("not a \(expected) certificate")
    }
    guard let configValue = root["config"] else { throw HessianCertificateError.malformed("no \"config\"") }
    do {
      return try NetworkConfig(json: Data(configValue.serialized().utf8))
    } catch {
      throw HessianCertificateError.malformed("config: \(error.description)")
    }
  }

  static func json(_ c: RankCertificate) -> JSONValue {
    // RankCertificate's Codable form writes big integers as strings, so nothing is rounded.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]  // the same certificate always gives the same text
    let data = (try? encoder.encode(c)) ?? Data("{}".utf8)
    return (try? JSONValue.parse(Array(data))) ?? .null
  }

  /// The integers of `item[key]` (pivot rows or columns of a recorded minor), or the error
  /// `bad` makes of what is wrong with them.
  static func integers(_ item: JSONValue, _ key: String, bad: (String) -> HessianCertificateError) throws -> [Int] {
    guard case .array(let a)? = item[key] else { throw bad("no \"\(key)\" array") }
    return try a.map { v in
      guard case .number(let s) = v, let n = Int(s) else { throw bad("\"\(key)\" must hold integers") }
      return n
    }
  }

  static func rankCertificate(_ v: JSONValue, what: String) throws -> RankCertificate {
    do {
      return try JSONDecoder().decode(RankCertificate.self, from: Data(v.serialized().utf8))
    } catch {
      throw HessianCertificateError.malformed("\(what): not a rank certificate (\(DecodingMessage.text(error)))")
    }
  }

  // MARK: Verification

  /// What a verification proved.
  public struct Verification: Sendable {
    /// r = rank(X), proved.
    public var dataRank: Int
    /// Per Hessian: the proved rank (or lower bound) and whether it is exact.
    public var ranks: [(kind: HessianKind, rank: Int, exact: Bool, summary: String)]
  }

  /// Regenerates the instance and matrices from the config and re-checks every certificate.
  /// - Throws: `HessianCertificateError.rejected` when anything does not hold.
  public func verify(seed: UInt64? = nil, primes: Int = 3) throws -> Verification {
    // Cross-entropy ranks are certified by `CrossEntropyCertificate`; these matrices are MSE's.
    guard config.instance.loss == .mse else {
      throw HessianCertificateError.rejected("the config's loss is \(config.instance.loss.name), but this certificate's matrices are those of the MSE loss (\(Self.currentFormat))")
    }
    let (instance, pattern, _) = try Self.regenerate(config)
    let data = try Self.verifyDataRank(dataRank, instance: instance, seed: seed, primes: primes)
    let kinds = entries.map(\.kind)
    guard Set(kinds).count == kinds.count else { throw HessianCertificateError.rejected("a Hessian is listed twice") }
    let matrices = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: kinds)
    var out: [(HessianKind, Int, Bool, String)] = []
    for e in entries {
      guard let m = matrices[e.kind] else { continue }
      do {
        let v = try e.certificate.verification(against: m, seed: seed, primes: primes)
        out.append((e.kind, v.rank, v.isExact, v.summary))
      } catch {
        throw HessianCertificateError.rejected("\(e.kind.symbol): \(error)")
      }
    }
    return Verification(dataRank: data.rank, ranks: out)
  }

  /// The instance of `config`, its activation pattern and its exact outputs (logits).
  /// - Throws: `HessianCertificateError.rejected` when the config gives no valid instance.
  static func regenerate(_ config: NetworkConfig) throws -> (NetworkInstance, ActivationPattern, [[Rational]]) {
    do {
      let instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
      let (pattern, outputs) = try instance.activationPattern()
      return (instance, pattern, outputs)
    } catch {
      throw HessianCertificateError.rejected("the config does not give a valid instance: \(error)")
    }
  }

  /// Re-checks the certificate of r = rank(X) against the regenerated data matrix.
  /// - Throws: `HessianCertificateError.rejected` unless it proves r exactly.
  static func verifyDataRank(_ dataRank: RankCertificate, instance: NetworkInstance, seed: UInt64?, primes: Int) throws
    -> RankVerification
  {
    let x = IntegerMatrix(rationalRows: instance.dataMatrix.nestedRows)
    let data: RankVerification
    do {
      data = try dataRank.verification(against: x, seed: seed, primes: primes)
    } catch {
      throw HessianCertificateError.rejected("data rank: \(error)")
    }
    guard data.isExact else { throw HessianCertificateError.rejected("data rank: only a lower bound is certified") }
    return data
  }
}

/// Why a Hessian certificate cannot be read, made, or accepted.
public enum HessianCertificateError: Error, CustomStringConvertible {
  /// The file is not a well-formed certificate.
  case malformed(String)
  /// A result was computed without a certificate.
  case missingCertificate(String)
  /// The certificate does not hold.
  case rejected(String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .malformed(let s): return "malformed Hessian certificate: \(s)"
    case .missingCertificate(let s): return "no certificate was computed for \(s); use --method certified"
    case .rejected(let s): return s
    }
  }
}
