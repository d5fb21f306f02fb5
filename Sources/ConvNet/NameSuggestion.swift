/// "Did you mean" hints for misspelt names (options, config keys, column ids), by the same
/// edit distance the architecture and config readers use.
public enum NameSuggestion {
  /// The candidate closest to `name` within max(2, a third of its length) edits, if any.
  public static func closest(to name: String, among candidates: [String]) -> String? {
    let scored = candidates.map { (candidate: $0, distance: editDistance($0.lowercased(), name.lowercased())) }
    guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= max(2, name.count / 3) else { return nil }
    return best.candidate
  }
}
