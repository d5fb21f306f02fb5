import ConvNet
import Exact
import Hessian

/// The rank certificates of one seeded point inside a bound certificate: the exact matrices of
/// the MSE loss (`HessianCertificate`), or the cross-entropy proofs (`CrossEntropyCertificate`:
/// H_o exact through C·J, H_f and H_L lower bounds by a minor modulo a prime at t).
public enum PointRankCertificate: Sendable {
  /// MSE: every rank proved on the exact matrices.
  case exact(HessianCertificate)
  /// Cross-entropy.
  case crossEntropy(CrossEntropyCertificate)

  /// The certificate of one seed's rank report, by the report's loss.
  /// - Throws: `HessianCertificateError.missingCertificate` when ranks were computed without proofs.
  public init(report: HessianRankReport, config: NetworkConfig) throws {
    switch report.loss {
    case .mse: self = .exact(try HessianCertificate(report: report, config: config))
    case .crossEntropy: self = .crossEntropy(try CrossEntropyCertificate(report: report, config: config))
    }
  }

  /// Reads the embedded certificate by its `"format"`.
  public init(jsonValue: JSONValue) throws {
    if case .string(let format)? = jsonValue["format"], format == CrossEntropyCertificate.currentFormat {
      self = .crossEntropy(try CrossEntropyCertificate(jsonValue: jsonValue))
    } else {
      self = .exact(try HessianCertificate(jsonValue: jsonValue))
    }
  }

  /// The config of the point.
  public var config: NetworkConfig {
    switch self {
    case .exact(let c): return c.config
    case .crossEntropy(let c): return c.config
    }
  }

  /// The Hessians certified.
  public var kinds: [HessianKind] {
    switch self {
    case .exact(let c): return c.entries.map(\.kind)
    case .crossEntropy(let c): return c.entries.map(\.kind)
    }
  }

  /// The JSON value (with its own `"format"`).
  public var jsonValue: JSONValue {
    switch self {
    case .exact(let c): return c.jsonValue
    case .crossEntropy(let c): return c.jsonValue
    }
  }

  /// Re-checks the certificate from its config; what is proved about each rank.
  /// - Throws: `HessianCertificateError.rejected` when anything does not hold.
  func verify(seed: UInt64?, primes: Int) throws -> (dataRank: Int, evidence: [HessianKind: RankEvidence]) {
    switch self {
    case .exact(let c):
      let v = try c.verify(seed: seed, primes: primes)
      var evidence: [HessianKind: RankEvidence] = [:]
      for e in c.entries {
        guard let x = v.ranks.first(where: { $0.kind == e.kind }) else { continue }
        evidence[e.kind] = RankEvidence(kind: e.kind, certificate: e.certificate, exact: x.exact)
      }
      return (v.dataRank, evidence)
    case .crossEntropy(let c):
      let v = try c.verify(seed: seed, primes: primes)
      var evidence: [HessianKind: RankEvidence] = [:]
      for x in v.results {
        evidence[x.kind] = RankEvidence(rank: x.rank, isExact: x.exact, lowerProof: x.lowerProof, upperProof: x.upperProof)
      }
      return (v.dataRank, evidence)
    }
  }
}
