/// `--time-limit T`: how long a matrix-free run may grow its sketches (seconds, or a number with
/// the suffix s, m or h).
enum TimeLimitOption {
  /// The limit as a duration; one clear error for anything else than a positive number of at
  /// most a year, optionally suffixed.
  static func parse(_ text: String) throws -> Duration {
    let scales: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    var digits = Substring(text)
    var scale = 1.0
    if let last = digits.last, let s = scales[last] {
      scale = s
      digits = digits.dropLast()
    }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
          let value = Double(digits), value > 0, value * scale <= 366 * 86400 else {
      throw CLIError("--time-limit takes a positive duration in seconds, or with a suffix s, m or h (e.g. 90, 10m, 2h), got '\(String(text.prefix(40)))'")
    }
    return .milliseconds(Int64((value * scale * 1000).rounded(.up)))
  }
}
