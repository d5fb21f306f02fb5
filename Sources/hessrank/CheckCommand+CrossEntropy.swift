import Exact
import Foundation
import Hessian

extension CheckCommand {
  /// The verifier for `rank --loss ce --certificate` files: regenerates the instance, re-checks
  /// the rank certificates of X and C·J, rebuilds n·H_f, n·H_L modulo each recorded prime at
  /// its t and checks each recorded minor is nonzero; recomputes each probability bound.
  static func verifyCrossEntropyCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let cert: CrossEntropyCertificate
    do {
      cert = try CrossEntropyCertificate(json: data)
    } catch {
      throw CLIError("\(error)")
    }
    try checkRecordedFiles(cert.config, options)
    do {
      let v = try cert.verify(seed: options.seed, primes: options.primes)
      let parts = v.results.map { x in
        "rank \(x.kind.symbol) \(x.exact ? "=" : "≥") \(x.rank)"
          + (x.kind == .outer || x.exact ? "" : x.failureBound.map { " (exact unless a minor vanishes at t: probability ≤ \(probabilityText($0)))" }
               ?? " (the Schwartz–Zippel bound in t is vacuous here: a lower bound only)")
      }
      return CheckOutcome(
        summary: "\(cert.config.architecture), cross-entropy: r = \(v.dataRank), " + parts.joined(separator: ", ")
          + " at the instance of seed \(cert.config.instance.seed) (C·J regenerated and its minor and upper bound re-checked; n·H_f, n·H_L rebuilt modulo each prime at its t, minors nonzero: proved lower bounds)",
        rank: nil, exact: v.results.allSatisfy(\.exact))
    } catch let e as HessianCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }

  /// "3.1e-14" for a probability bound (display only; "0" for none).
  static func probabilityText(_ q: Rational) -> String {
    q.isZero ? "0" : RankCommand.scientific(q)
  }
}
