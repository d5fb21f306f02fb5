import Foundation

/// How one catalog entry fared in the audit (`make audit`: examples/sweeps/audit.json, every
/// entry at every config of a grid that lies inside its hypotheses; table in docs/audit.md).
public struct BoundAuditCount: Sendable, Equatable {
  /// Rows (config × seed) inside the entry's hypotheses.
  public let configs: Int
  /// Rows where rank = value.
  public let tight: Int
  /// Rows where rank < value (for a claimed formula: not attained at that point).
  public let notAttained: Int
  /// Rows where rank > value.
  public let violated: Int

  /// "24 rows: 20 TIGHT, 4 with rank < value, 0 VIOLATED".
  public var summary: String {
    "\(configs) rows: \(tight) TIGHT, \(notAttained) with rank < value, \(violated) VIOLATED"
  }
}

/// The audit's counts and each entry's proof status (`hessrank bounds`, docs/bounds.md).
public enum BoundAudit {
  /// The sweep files of the audit (`make audit`).
  public static let sweep = "make audit: examples/sweeps/audit.json, audit-one-conv-2d.json"

  /// The entry's audit counts (nil: not in the last audit run — rerun `make audit`).
  public static func count(_ id: String) -> BoundAuditCount? { counts[id] }

  /// Entries refuted by a certified counterexample, with the certificate.
  public static let refuted: [String: String] = [
    "one-conv-outer-rho": "proofs/certificates/counterexample-one-conv-outer-rho.json",
    "one-conv-outer-1d": "proofs/certificates/counterexample-one-conv-outer-rho.json",
    "one-conv-loss": "proofs/certificates/counterexample-one-conv-loss.json",
  ]

  /// What is proved of a bound, in one line.
  public static func proofStatus(_ b: RankBound) -> String {
    if let certificate = refuted[b.id] { return "refuted (\(certificate))" }
    switch (b.status, b.claim) {
    case (.paper, _): return "proved (published theorem)"
    case (.trivial, _): return "proved (trivial)"
    case (.user, _): return "not proved (command line)"
    case (.observed, _) where b.upperBoundProof == nil: return "observed only (no proof)"
    case (_, .upperBound) where b.upperBoundProof != nil: return "proved at every point (\(proofFile(b.upperBoundProof!)))"
    case (_, .equality) where b.upperBoundProof != nil:
      return "upper side proved at every point (\(b.upperBoundProof!.split(separator: " ").first ?? "")); attainment checked, not proved"
    case (.derived, .equality): return "derived; upper side proved at generic points only, attainment checked, not proved"
    default: return "not proved"
    }
  }

  /// "proofs/deep-cnn-bounds.md" from "proofs/deep-cnn-bounds.md, Theorem 2 (…)".
  static func proofFile(_ text: String) -> String {
    let first = text.split(separator: " ").first.map(String.init) ?? text
    return first.trimmingCharacters(in: CharacterSet(charactersIn: ",;:"))
  }
}
