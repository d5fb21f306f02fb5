import Foundation

/// Which verdicts make a command exit with status 1 (`--fail-on`).
///
/// One scheme for every command: `certify` and `check` fail on VIOLATED and SHORT by default
/// (`--fail-on violated` relaxes SHORT, `--fail-on none` reports only); `table` and
/// `table merge` succeed whatever the verdicts unless `--fail-on` is given. Verdicts are taken
/// over the seeds (`Verdict.overSeeds`): a claimed formula fails as SHORT only when no seed
/// attains it.
public struct FailurePolicy: Sendable, Equatable, CustomStringConvertible {
  /// The verdicts that fail.
  public let failing: Set<Verdict>

  /// A policy failing on `failing`.
  public init(_ failing: Set<Verdict>) { self.failing = failing }

  /// Fails on nothing.
  public static let none = FailurePolicy([])
  /// Fails on VIOLATED and SHORT (certify and check).
  public static let violatedOrShort = FailurePolicy([.violated, .short])

  /// Parses `none`, `violated`, `short` or `violated,short` (`short` alone also fails on
  /// VIOLATED: a bound that is exceeded is worse than one that is not attained).
  public init?(parsing text: String) {
    var set = Set<Verdict>()
    for word in text.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
      switch word {
      case "none": continue
      case "violated": set.insert(.violated)
      case "short": set.formUnion([.violated, .short])
      default: return nil
      }
    }
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
    self.init(set)
  }

  /// The accepted words, for error messages.
  public static let syntax = "none, violated or short (short also fails on violated)"

  /// True when one of `verdicts` fails.
  public func fails<S: Sequence>(_ verdicts: S) -> Bool where S.Element == Verdict {
    verdicts.contains { failing.contains($0) }
  }

  /// "violated, short", "violated" or "none".
  public var description: String {
    let words = [Verdict.violated, .short].filter { failing.contains($0) }.map { $0.rawValue.lowercased() }
    return words.isEmpty ? "none" : words.joined(separator: ", ")
  }
}
