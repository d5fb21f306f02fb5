import ConvNet
import Foundation
import InstanceFiles
import RankBounds

extension CheckCommand {
  /// The format of `certify --certificate` files.
  static let boundCertificateFormat = BoundCertificate.currentFormat

  /// The verifier for `certify --certificate` files: regenerates every instance and matrix,
  /// re-checks the rank certificates, recomputes the variables, values and verdicts.
  static func verifyBoundCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let cert: BoundCertificate
    do {
      cert = try BoundCertificate(json: data)
    } catch {
      throw CLIError("\(error)")
    }
    try checkRecordedFiles(cert.config, options)
    do {
      let v = try cert.verify(seed: options.seed, primes: options.primes)
      let verdicts = BoundCertifier.verdictsOverSeeds(v.checks).map { (bound: $0.bound.id, verdict: $0.verdict) }
      // A verdict not proved at its point rests on a lower bound only (a cross-entropy H_f or
      // H_L rank without a proved upper bound): the certificate then proves lower bounds only.
      let allProved = v.checks.allSatisfy { $0.allSatisfy(\.proved) }
      return CheckOutcome(summary: v.summary, rank: nil, exact: allProved, verdicts: verdicts)
    } catch let e as BoundCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }

  /// A certificate about a point read from files holds only while those files are unchanged:
  /// a changed file is a rejection, a missing one unreadable input.
  static func checkRecordedFiles(_ config: NetworkConfig, _ options: CheckOptions) throws {
    do {
      try InstanceFiles.verifyRecorded(config, search: [options.certificateDirectory])
    } catch {
      switch error {
      case .changed, .differs: throw CertificateRejected(message: error.description)
      case .missing, .invalid: throw CLIError(error.description)
      }
    }
  }
}
