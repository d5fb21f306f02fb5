import Foundation
import Hessian

extension CheckCommand {
  /// The verifier for `rank --method matrix-free --certificate` files: regenerates the instance,
  /// the sketch columns of each minor and their products, and checks the minor is nonzero.
  static func verifySketchCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let cert: SketchCertificate
    do {
      cert = try SketchCertificate(json: data)
    } catch {
      throw CLIError("\(error)")
    }
    do {
      let v = try cert.verify()
      let parts = v.map { "rank \($0.kind.symbol) \($0.exact ? "=" : "≥") \($0.rank)" }
      return CheckOutcome(
        summary: "\(cert.config.architecture): " + parts.joined(separator: ", ")
          + " at the instance of seed \(cert.config.instance.seed) (sketch minors regenerated modulo their primes and found nonzero: proved lower bounds)",
        rank: nil, exact: v.allSatisfy(\.exact))
    } catch let e as HessianCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }
}
