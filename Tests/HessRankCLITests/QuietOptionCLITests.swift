import Foundation
import Testing

/// `--quiet` is accepted by every command that shows progress, changes nothing on stdout, and
/// leaves stderr empty but for table's summary (progress is terminal-only; this checks the option is wired, not the line).
@Suite struct QuietOptionCLITests {
  @Test func everyProgressCommandAcceptsQuiet() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("c.json").path
    let sweep = try CLITestSupport.write(TableCLITests.smallSweep, named: "small.json", in: dir)
    let net = VerifyFloatCLITests.net
    let runs: [[String]] = [
      ["rank", "1x8 conv(2,k=3) dense(2)", "--certificate", cert],
      ["check", cert],
      ["certify", "1x8 conv(2,k=3) dense(2)", "--seeds", "1"],
      ["table", sweep, "--format", "csv"],
      ["verify-float", VerifyFloatCLITests.arch, "--weights", "\(net)/weights.safetensors", "--data", "\(net)/X.npy",
       "--targets", "\(net)/Y.npy", "--hessian", "\(net)/H64.npy"],
      ["matrix-rank", "examples/matrices/hilbert-8.txt"],
      ["hessian", "8 dense(6) dense(3)", "--out", dir.appendingPathComponent("H.txt").path],
    ]
    for args in runs {
      let loud = runHessrank(args), quiet = runHessrank(args + ["--quiet"])
      #expect(quiet.status == loud.status, "\(args[0]) --quiet: \(quiet.stderr)")
      // stderr is a pipe here, not a terminal: no progress line even without --quiet.
      #expect(!loud.stderr.contains("\r") && !loud.stderr.contains("\u{1B}[K") && !loud.stderr.contains("… ["),
              "\(args[0]) wrote a progress line to a pipe: \(loud.stderr.prefix(200))")
      // table's closing summary line ("table: 6 of 6 rows …") is a report, not progress.
      let stderr = quiet.stderr.split(separator: "\n").filter { !$0.hasPrefix("table: ") }
      #expect(stderr.isEmpty, "\(args[0]) --quiet wrote to stderr: \(quiet.stderr.prefix(200))")
      #expect(!quiet.stdout.isEmpty, "\(args[0]) --quiet printed nothing")
    }
    // Commands without progress do not take it.
    #expect(runHessrank(["describe", "8 dense(2)", "--quiet"]).status == 2)
  }
}
