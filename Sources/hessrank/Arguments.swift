import ConvNet
import Foundation

/// One subcommand of the tool.
protocol Subcommand: SendableMetatype {
  /// The word after `hessrank`.
  static var name: String { get }
  /// One line for the subcommand list.
  static var abstract: String { get }
  /// The full `--help` text.
  static var help: String { get }
  /// Which options take a value and which are plain flags.
  static var spec: ArgumentSpec { get }
  /// Runs with parsed arguments and returns the exit status.
  static func run(_ args: ParsedArguments) throws -> Int32
}

/// A usage or input error: printed as one line, exit status 2.
struct CLIError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// Declares the options a subcommand accepts.
struct ArgumentSpec {
  /// Options that take a value (`--method bareiss` or `--method=bareiss`); may repeat.
  var valued: Set<String> = []
  /// Options that take no value.
  var flags: Set<String> = []
}

/// Positional arguments, option values and flags of one invocation.
struct ParsedArguments {
  var positional: [String] = []
  var values: [String: [String]] = [:]
  var flags: Set<String> = []

  init(_ args: [String], spec: ArgumentSpec) throws {
    var i = 0
    while i < args.count {
      let a = args[i]
      if a.hasPrefix("--") {
        var name = String(a.dropFirst(2))
        var value: String?
        if let eq = name.firstIndex(of: "=") {
          value = String(name[name.index(after: eq)...])
          name = String(name[..<eq])
        }
        if spec.valued.contains(name) {
          if value == nil {
            guard i + 1 < args.count else { throw CLIError("option --\(name) needs a value") }
            i += 1
            value = args[i]
          }
          values[name, default: []].append(value ?? "")
        } else if spec.flags.contains(name) {
          guard value == nil else { throw CLIError("option --\(name) takes no value") }
          flags.insert(name)
        } else {
          let hint = NameSuggestion.closest(to: name, among: Array(spec.valued.union(spec.flags)).sorted()).map { " (did you mean --\($0)?)" } ?? ""
          throw CLIError("unknown option --\(name)\(hint)")
        }
      } else {
        positional.append(a)
      }
      i += 1
    }
  }

  /// The last value of an option, if given.
  func value(_ name: String) -> String? { values[name]?.last }

  /// All values of a repeatable option.
  func all(_ name: String) -> [String] { values[name] ?? [] }

  /// True when a flag was given.
  func has(_ name: String) -> Bool { flags.contains(name) }

  /// An integer option within bounds, or the default.
  func int(_ name: String, default d: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
    guard let s = value(name) else { return d }
    guard let v = Int(s), range.contains(v) else {
      throw CLIError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(s)'")
    }
    return v
  }

  /// Exactly `count` positional arguments, named for the error message.
  func positionals(_ names: String...) throws -> [String] {
    guard positional.count == names.count else {
      throw CLIError("expected \(names.map { "<\($0)>" }.joined(separator: " ")), got \(positional.count) argument(s)")
    }
    return positional
  }
}

/// Writing to standard output and standard error.
enum Console {
  static func out(_ s: String) {
    FileHandle.standardOutput.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
  }

  static func err(_ s: String) {
    FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
  }

  /// One error line on stderr, exit status 2.
  static func fail(_ message: String) -> Never {
    err("hessrank: error: \(oneLine(message))")
    exit(2)
  }

  /// The longest error line printed, in characters (untrusted input may be echoed in it).
  static let maxMessageLength = 600

  /// `message` made safe for a terminal: control characters (newlines, escape sequences,
  /// bidirectional overrides) escaped, and cut to `maxMessageLength` characters.
  static func oneLine(_ message: String) -> String { MessageText.escaped(message, limit: maxMessageLength, escapeQuotes: false) }

  /// True when stderr is a terminal (progress lines are shown only then).
  static var stderrIsTerminal: Bool { isatty(2) != 0 }
}

/// Monotonic wall-clock seconds for the timings the CLI reports.
func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
