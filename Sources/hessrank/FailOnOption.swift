import RankBounds

/// `--fail-on none|violated|short`: which verdicts turn into exit status 1 (`FailurePolicy`).
enum FailOnOption {
  /// The option's help lines, with the command's default word (`short` or `none`).
  static func help(default word: String) -> String {
    """
      --fail-on V          exit 1 when a verdict over the seeds is: violated (VIOLATED), short
                           (VIOLATED or SHORT), or none (report only); default \(word)
    """
  }

  /// The policy given by `--fail-on`, or `fallback`.
  static func parse(_ args: ParsedArguments, default fallback: FailurePolicy) throws -> FailurePolicy {
    guard let text = args.value("fail-on") else { return fallback }
    guard let policy = FailurePolicy(parsing: text) else {
      throw CLIError("--fail-on must be \(FailurePolicy.syntax), got '\(String(text.prefix(40)))'")
    }
    return policy
  }
}
