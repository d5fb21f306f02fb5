/// `--quiet`: the commands that can run for seconds show a progress line on stderr (only when
/// stderr is a terminal); `--quiet` turns it off.
enum QuietOption {
  static let flag = "quiet"

  /// The progress line for a command: on a terminal, not with `--json` (when `json` is set),
  /// not with `--quiet`.
  static func progress(_ args: ParsedArguments, json: Bool = false) -> Progress {
    Progress(enabled: Console.stderrIsTerminal && !json && !args.has(flag))
  }
}
