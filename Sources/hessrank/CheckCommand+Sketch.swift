import ConvNet
import ExactLinearAlgebra
import Foundation
import Hessian
import RankBounds

extension CheckCommand {
  /// The verifier for `rank --method matrix-free --certificate` files: regenerates the instance,
  /// the sketch columns of each minor and their products (cross-entropy: π at each recorded t),
  /// and checks each minor is nonzero and equals its recorded value. A lower bound that reaches a
  /// catalog bound whose upper side is proved at every point is the exact rank (TIGHT).
  static func verifySketchCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let cert: SketchCertificate
    do {
      cert = try SketchCertificate(json: data)
    } catch {
      throw CLIError("\(error)")
    }
    try checkRecordedFiles(cert.config, options)
    do {
      let v = try cert.verify()
      // The instance is valid (verify regenerated it); its data rank is exact.
      let instance = try NetworkInstance(architecture: cert.config.architecture, settings: cert.config.instance)
      let dataRank = ExactRank.certify(IntegerMatrix(rationalRows: instance.dataMatrix.nestedRows)).rank
      let reached = ProvedUpperBounds.reached(instance: instance, dataRank: dataRank,
                                              lowerBounds: Dictionary(v.map { ($0.kind, $0.rank) }, uniquingKeysWith: max))
      let parts = v.map { e in
        let tight = e.exact ? nil : reached[e.kind]
        return "rank \(e.kind.symbol) \(e.exact || tight != nil ? "=" : "≥") \(e.rank)"
          + (tight.map { " (TIGHT: the upper side of \($0.id) is proved at every point; hessrank bounds \($0.id))" } ?? "")
      }
      let ce = cert.config.instance.loss == .crossEntropy
      let reduced = cert.entries.contains { $0.reduction != nil }, sketched = cert.entries.contains { $0.reduction == nil }
      let evidence = [sketched ? "sketch minors regenerated and found nonzero" : nil,
                      reduced ? "head-block reductions recomputed and found equal" : nil].compactMap { $0 }.joined(separator: ", ")
      return CheckOutcome(
        summary: "\(cert.config.architecture)\(ce ? ", cross-entropy" : ""): r = \(dataRank), " + parts.joined(separator: ", ")
          + " at the instance of seed \(cert.config.instance.seed) (" + evidence + " modulo their primes"
          + (ce ? ", H_f and H_L at their recorded t," : "") + ": proved lower bounds"
          + (reached.isEmpty ? ")" : "; = where a catalog upper bound proved at every point is reached)"),
        rank: nil, exact: v.allSatisfy { $0.exact || reached[$0.kind] != nil })
    } catch let e as HessianCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }
}
