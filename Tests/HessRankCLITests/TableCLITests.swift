import Foundation
import Testing

/// End-to-end runs of `hessrank table` and `hessrank table merge`.
@Suite struct TableCLITests {
  /// Six small rows (two depths × three widths), quick in any build.
  static let smallSweep = """
    {
      "name": "small",
      "architecture": "1x8 {repeat depth: conv({m},k=3)} dense(2)",
      "samples": 10,
      "groups": [{"axes": {"depth": [1, 2]}}, {"axes": {"m": [1, 2, 3]}}]
    }
    """

  /// Ten rows of growing size (about 1 s in all in release, most of it after the first row, so
  /// a kill after the first row lands in the middle of the run).
  static let slowSweep = """
    {
      "architecture": "1x10 conv({m},k=3) conv({m},k=3) dense(2)",
      "samples": 10,
      "method": "modular",
      "axes": {"m": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}
    }
    """

  func jsonRows(_ text: String) throws -> [[String: Any]] {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    return try #require(object["rows"] as? [[String: Any]])
  }

  /// Rows without their timings, comparable across runs.
  func comparable(_ rows: [[String: Any]]) -> [NSDictionary] {
    rows.map { r in
      var r = r
      r["seconds"] = nil
      return r as NSDictionary
    }
  }

  func lines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  @Test func writesEveryFormatAndThePlot() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(Self.smallSweep, named: "small.json", in: dir)
    let out = { (name: String) in dir.appendingPathComponent(name).path }
    let r = runHessrank(["table", sweep, "--out", out("t.md"), "--out", out("t.csv"), "--out", out("t.json"),
                             "--out", out("t.tex"), "--plot", out("t.svg"), "--jobs", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.isEmpty, "tables go to the files")
    #expect(r.stderr.contains("table: 6 of 6 rows"))
    let rows = try jsonRows(try String(contentsOfFile: out("t.json"), encoding: .utf8))
    #expect(rows.count == 6)
    #expect(rows.map { $0["index"] as? Int } == Array(0..<6))
    // Published one-layer formula: rank(H_f) = 2·m·min(k, s·d′) = 6m here.
    #expect(rows.prefix(3).map { ($0["ranks"] as? [String: Int])?["H_f"] } == [6, 12, 18])
    let md = try String(contentsOfFile: out("t.md"), encoding: .utf8)
    #expect(md.hasPrefix("| depth | m | network |"))
    #expect(md.split(separator: "\n").filter { $0.hasPrefix("|") }.count == 8)
    let tex = try String(contentsOfFile: out("t.tex"), encoding: .utf8)
    #expect(tex.contains("\\toprule") && tex.contains("\\midrule") && tex.contains("\\bottomrule"))
    let csv = try String(contentsOfFile: out("t.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("index,config_index,seed_index,depth,m,architecture,") && csv.components(separatedBy: "\r\n").count == 8)
    let svg = try String(contentsOfFile: out("t.svg"), encoding: .utf8)
    #expect(svg.hasPrefix("<?xml") && svg.contains("<svg") && svg.hasSuffix("</svg>\n"))
    let plotData = try String(contentsOfFile: out("t.data.csv"), encoding: .utf8)
    #expect(plotData.hasPrefix("panel,x_axis,series,x,y,fitted_slope\r\na,m,rank H_o,"), "the figure's numbers beside it")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".tmp-") }, "no temp files left")

    let stdout = runHessrank(["table", sweep, "--format", "csv"])
    #expect(stdout.status == 0 && stdout.stdout.hasPrefix("index,config_index"))
    let list = runHessrank(["table", sweep, "--list", "--shard", "1/4"])
    #expect(list.status == 0)
    #expect(list.stdout.hasPrefix("2 of 6 rows (6 configs × 1 seed(s)), shard 1/4, sweep "))
    #expect(list.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[0] } == ["1", "5"])
  }

  @Test func badSweepsFailBeforeAnyWork() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [(String, String)] = [
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1], "w": [2]}}"#, #"unknown axis "w""#),
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": []}}"#, #"axis "m" is empty"#),
      (#"{"architecture": "8 dense(2)", "samples": 10, "axes": {"samples": [5]}}"#, "both a fixed setting and an axis"),
      (#"{"architecture": "8 dense({m}) dense({K})", "mode": "zip", "axes": {"m": [1, 2], "K": [1]}}"#, "different lengths"),
      (#"{"architecture": "1x8 conv(2,k={k}) dense(2)", "axes": {"k": [3, 9]}}"#, "config 1 (k=9): invalid architecture"),
      ("{not json", "invalid JSON at line 1"),
    ]
    let rowsFile = dir.appendingPathComponent("rows.jsonl").path
    let outFile = dir.appendingPathComponent("t.md").path
    for (i, (json, message)) in cases.enumerated() {
      let sweep = try CLITestSupport.write(json, named: "bad\(i).json", in: dir)
      let r = runHessrank(["table", sweep, "--resume", rowsFile, "--out", outFile])
      #expect(r.status == 2, "\(json)")
      #expect(r.stderr.hasPrefix("hessrank: error: \(sweep): ") && r.stderr.contains(message), "\(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: rowsFile) && !FileManager.default.fileExists(atPath: outFile),
              "nothing written")
    }
    let good = try CLITestSupport.write(Self.smallSweep, named: "small.json", in: dir)
    for (args, message) in [(["--shard", "3/3"], "shard must be i/N"), (["--jobs", "0"], "--jobs must be"),
                            (["--x", "k"], "not an axis of the sweep"), (["--format", "xml"], "--format must be one of"),
                            (["--out", "/nonexistent/t.md"], "does not exist"), (["--bogus"], "unknown option --bogus")] {
      let r = runHessrank(["table", good] + args)
      #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.stderr)")
    }
    let missing = runHessrank(["table", dir.appendingPathComponent("none.json").path])
    #expect(missing.status == 2 && missing.stderr.contains("no such file"))
  }

  /// Catalog bounds and user formulas as columns; a violated formula gives exit status 1 only
  /// with --fail-on (computing rows succeeds whatever the verdicts).
  @Test func formulasAndVerdictsSetTheExitStatus() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write("""
      {"architecture": "8 dense({m}) dense({m}) dense(3)", "samples": 20, "axes": {"m": [2, 4]},
       "bounds": ["fc-outer", "fc-functional"], "formulas": ["outer: q*(r+K-q) - 1", "functional <= p"]}
      """, named: "f.json", in: dir)
    let r = runHessrank(["table", sweep, "--format", "csv"])
    #expect(r.status == 0, "a violated formula does not fail the rows: \(r.stderr)")
    #expect(runHessrank(["table", sweep, "--format", "csv", "--fail-on", "violated"]).status == 1)
    #expect(r.stderr.contains("2 VIOLATED"))
    let header = try #require(r.stdout.split(separator: "\r\n").first).split(separator: ",").map(String.init)
    for column in ["fc-outer", "fc-outer verdict", "rank(H_o) = q*(r+K-q) - 1 verdict", "rank(H_f) ≤ p"] {
      #expect(header.contains(column), "\(column)")
    }
    // Published values (paper 2, q = min(r, K, m)): H_o = q(r+K−q) = 18 and 24, TIGHT.
    #expect(r.stdout.contains(",18,TIGHT,") && r.stdout.contains(",24,TIGHT,"))
    let bad = try CLITestSupport.write(#"{"architecture": "8 dense(3)", "formulas": ["outer: q*(r+K-"]}"#, named: "bad.json", in: dir)
    let b = runHessrank(["table", bad])
    #expect(b.status == 2 && b.stderr.contains("column 8") && b.stderr.split(separator: "\n").count == 1, "\(b.stderr)")
  }

  @Test func shardsMergeIntoTheFullTable() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(Self.smallSweep, named: "small.json", in: dir)
    let full = runHessrank(["table", sweep, "--format", "json"])
    #expect(full.status == 0)
    var shardFiles: [String] = []
    for i in 0..<3 {
      let file = dir.appendingPathComponent("shard-\(i).jsonl").path
      shardFiles.append(file)
      let r = runHessrank(["table", sweep, "--shard", "\(i)/3", "--resume", file, "--jobs", "1", "--format", "csv"])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(lines(file).count == 2)
    }
    let partial = runHessrank(["table", "merge", shardFiles[0], "--format", "json"])
    #expect(partial.status == 2 && partial.stderr.contains("4 of 6 rows missing (indices 1, 2, 4, 5)"), "\(partial.stderr)")
    #expect(partial.stdout.isEmpty, "nothing rendered for a partial merge")
    let allowed = runHessrank(["table", "merge", shardFiles[0], "--format", "json", "--allow-partial"])
    #expect(allowed.status == 0 && allowed.stderr.contains("4 of 6 rows missing"), "\(allowed.stderr)")
    // Shards in any order, one of them twice: every row once, in sweep order.
    let merged = runHessrank(["table", "merge", shardFiles[2], shardFiles[0], shardFiles[1], shardFiles[0], "--format", "json",
                                  "--plot", dir.appendingPathComponent("m.svg").path])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(!merged.stderr.contains("missing"))
    #expect(comparable(try jsonRows(merged.stdout)) == comparable(try jsonRows(full.stdout)))

    // Rows of another sweep are refused.
    let other = try CLITestSupport.write(Self.smallSweep.replacingOccurrences(of: "\"samples\": 10", with: "\"samples\": 11"),
                                         named: "other.json", in: dir)
    let otherRows = dir.appendingPathComponent("other.jsonl").path
    #expect(runHessrank(["table", other, "--shard", "0/6", "--resume", otherRows]).status == 0)
    let mixed = runHessrank(["table", "merge", shardFiles[0], otherRows])
    #expect(mixed.status == 2 && mixed.stderr.contains("rows of 2 different sweeps"), "\(mixed.stderr)")
    let notRows = runHessrank(["table", "merge", sweep])
    #expect(notRows.status == 2 && notRows.stderr.contains("is not a file of table rows"), "\(notRows.stderr)")
  }

  /// Starts a real sweep, kills it with SIGKILL after its first rows are written, resumes it,
  /// and compares every row with an uninterrupted run.
  @Test func killedRunResumesToTheSameRows() throws {
    let exe = try #require(CLITestSupport.executable)
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(Self.slowSweep, named: "slow.json", in: dir)
    let rowsFile = dir.appendingPathComponent("rows.jsonl").path

    let child = Process()
    child.executableURL = exe
    child.arguments = ["table", sweep, "--resume", rowsFile, "--jobs", "1", "--format", "json"]
    child.standardOutput = FileHandle.nullDevice
    child.standardError = FileHandle.nullDevice
    try child.run()
    let deadline = Date().addingTimeInterval(120)
    while child.isRunning && lines(rowsFile).isEmpty && Date() < deadline { usleep(2_000) }
    kill(child.processIdentifier, SIGKILL)
    child.waitUntilExit()
    #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
            "the sweep was killed mid-run (it had not finished)")
    let survived = lines(rowsFile).count
    #expect(survived >= 1 && survived < 10)

    let resumed = runHessrank(["table", sweep, "--resume", rowsFile, "--jobs", "2", "--format", "json"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("(\(10 - survived) computed, \(survived) from \(rowsFile))"), "\(resumed.stderr)")
    let fresh = runHessrank(["table", sweep, "--jobs", "2", "--format", "json"])
    #expect(fresh.status == 0)
    let a = try jsonRows(resumed.stdout), b = try jsonRows(fresh.stdout)
    #expect(a.count == 10)
    #expect(comparable(a) == comparable(b))
    #expect(lines(rowsFile).count == 10, "every row recorded once")
  }

  @Test func misspeltOptionsAndColumnsGetADidYouMean() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(Self.smallSweep, named: "small.json", in: dir)
    let option = runHessrank(["table", sweep, "--colums", "m"])
    #expect(option.status == 2 && option.stderr.contains("unknown option --colums (did you mean --columns?)"), "\(option.stderr)")
    let column = runHessrank(["table", sweep, "--columns", "m,H_o,tme"])
    #expect(column.status == 2 && column.stderr.contains("--columns: no column 'tme' (did you mean time?)"), "\(column.stderr)")
    #expect(column.stdout.isEmpty, "refused before any work")
    let chosen = runHessrank(["table", sweep, "--columns", "m,H_f", "--jobs", "1"])
    #expect(chosen.status == 0, "\(chosen.stderr)")
    #expect(chosen.stdout.hasPrefix("| m | rank H_f |\n|---:|---:|\n"), "\(chosen.stdout)")
  }
}
