import Foundation
import ResourceLimits

/// The `hessrank` command-line tool: a thin layer of subcommands over the library.
///
/// Exit codes: 0 success (for `certify`/`check`: no failing verdict), 1 a verdict that failed
/// (a VIOLATED bound or SHORT formula per `--fail-on`, a rejected certificate, a wrong float
/// rank), 2 bad input or usage.
@main
struct HessRank {
  static let version = "0.1.0"

  /// Every subcommand, in the order `--help` lists them.
  static let commands: [any Subcommand.Type] = [
    // matrix (issue 2)
    MatrixRankCommand.self,
    CheckCommand.self,
    // network (issue 3)
    DescribeCommand.self,
    // hessian (issue 4)
    RankCommand.self,
    HessianCommand.self,
    InstanceCommand.self,
    // bounds (issue 5)
    BoundsCommand.self,
    CertifyCommand.self,
    // float verification (issue 7)
    VerifyFloatCommand.self,
    // reports (issue 6)
    TableCommand.self,
  ]

  static func main() {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let first = args.first else {
      Console.out(usage)
      exit(2)
    }
    if first == "--help" || first == "-h" || first == "help" {
      if args.count > 1, let cmd = commands.first(where: { $0.name == args[1] }) {
        Console.out(cmd.help)
      } else {
        Console.out(usage)
      }
      exit(0)
    }
    if first == "--version" {
      Console.out("hessrank \(version)")
      exit(0)
    }
    args.removeFirst()
    args = applyMemoryOption(args)
    guard let command = commands.first(where: { $0.name == first }) else {
      Console.fail("unknown subcommand '\(first)'; run 'hessrank --help' for the list")
    }
    if args.contains("--help") || args.contains("-h") {
      Console.out(command.help)
      exit(0)
    }
    do {
      let parsed = try ParsedArguments(args, spec: command.spec)
      let status = try command.run(parsed)
      exit(status)
    } catch let error as CLIError {
      Console.fail(error.message)
    } catch {
      Console.fail("\(error)")
    }
  }

  /// Takes the global `--memory SIZE` option (or `HESSRANK_MEMORY`) out of the arguments and
  /// sets the memory budget from it.
  static func applyMemoryOption(_ args: [String]) -> [String] {
    var rest: [String] = []
    var value = ProcessInfo.processInfo.environment["HESSRANK_MEMORY"]
    var from = "HESSRANK_MEMORY"
    var i = 0
    while i < args.count {
      if args[i] == "--memory" {
        guard i + 1 < args.count else { Console.fail("--memory needs a size, e.g. --memory 8G") }
        value = args[i + 1]
        from = "--memory"
        i += 2
        continue
      }
      if args[i].hasPrefix("--memory=") {
        value = String(args[i].dropFirst("--memory=".count))
        from = "--memory"
        i += 1
        continue
      }
      rest.append(args[i])
      i += 1
    }
    if let v = value {
      guard let bytes = MemoryBudget.parse(v), bytes >= 1 << 20 else {
        Console.fail("\(from) must be a size of at least 1M such as 800M, 16G or 2.5G, got '\(v)'")
      }
      MemoryBudget.set(bytes: bytes)
    }
    return rest
  }

  static var usage: String {
    var s = """
      hessrank \(version) — exact ranks of CNN loss Hessians, with certificates

      USAGE: hessrank <subcommand> [options]

      SUBCOMMANDS:

      """
    for c in commands {
      s += "  " + c.name.padding(toLength: 16, withPad: " ", startingAt: 0) + c.abstract + "\n"
    }
    s += """

      Run 'hessrank <subcommand> --help' for the options of one subcommand.
      Every subcommand takes --memory SIZE (e.g. 8G; or HESSRANK_MEMORY): the memory budget,
      by default the smallest of 85% of physical memory, the cgroup limit and ulimit -v.
      Runs that would need more are refused, with the estimate, before they allocate.
      Exit codes: 0 success; 1 a check failed (rejected certificate, wrong float rank,
      and in certify/check a VIOLATED bound or SHORT formula; in table only with --fail-on);
      2 bad input or usage (and table merge with missing rows, unless --allow-partial).
      3 (check) a certificate that holds but proves lower bounds only.
      """
    return s
  }
}
