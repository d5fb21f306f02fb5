import Foundation
import Testing

/// The SHORT verdict and the exit statuses of `certify`, `check`, `table` and `table merge`:
/// 0 success, 1 a failing verdict (VIOLATED or SHORT by default for certify/check, only with
/// --fail-on for table), 2 bad input or missing rows.
@Suite struct VerdictExitCLITests {
  /// q*(r+K) overestimates rank(H_o) = q(r+K−q) of a linear fully connected net (paper 2):
  /// 33 > 24 at every seed.
  @Test func overestimatingFormulaIsShortAndFailsCertify() throws {
    let r = runHessrank(["certify", "8 dense(6) dense(3)", "--samples", "10", "--formula", "outer: q*(r+K)",
                         "--formula", "outer <= q*(r+K)", "--range", "1000000000"])
    #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
    #expect(r.stdout.contains("SHORT     formula-1") && r.stdout.contains("(9 short)"), "\(r.stdout)")
    #expect(r.stdout.contains("HOLDS     formula-2"), "an upper bound keeps HOLDS: \(r.stdout)")
    // N·deg/(2B+1) with N = min(nK, p) = 30 rows of J, degree L = 2: 60/(2·10^9+1) = 20/666666667.
    #expect(r.stdout.contains("probability ≤ 20/666666667"), "\(r.stdout)")
    #expect(r.stdout.contains("NOT ATTAINED (SHORT at every seed): formula-1"))
    #expect(runHessrank(["certify", "8 dense(6) dense(3)", "--samples", "10", "--formula", "outer: q*(r+K)",
                         "--fail-on", "violated"]).status == 0)
    let tight = runHessrank(["certify", "8 dense(6) dense(3)", "--samples", "10", "--formula", "outer: q*(r+K-q)"])
    #expect(tight.status == 0 && tight.stdout.contains("TIGHT     formula-1"))
    let json = runHessrank(["certify", "8 dense(6) dense(3)", "--samples", "10", "--formula", "outer: q*(r+K)", "--json"])
    let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(o["short"] as? [String] == ["formula-1"] && (o["verdicts"] as? [String: Int])?["SHORT"] == 2)
    let bad = runHessrank(["certify", "8 dense(6) dense(3)", "--fail-on", "sometimes"])
    #expect(bad.status == 2 && bad.stderr.contains("--fail-on must be none, violated or short"))
  }

  @Test func checkFailsOnAShortCertificateUnlessRelaxed() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("short.json").path
    let r = runHessrank(["certify", "8 dense(6) dense(3)", "--samples", "10", "--seeds", "1", "--formula", "outer: q*(r+K)",
                         "--certificate", cert])
    #expect(r.status == 1)
    let check = runHessrank(["check", cert])
    #expect(check.status == 1 && check.stdout.contains("certificate holds") && check.stdout.contains("formula-1 SHORT"),
            "\(check.stdout) \(check.stderr)")
    #expect(runHessrank(["check", cert, "--fail-on", "violated"]).status == 0)
    let json = runHessrank(["check", cert, "--json"])
    let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(o["holds"] as? Bool == true && o["failing"] as? [String] == ["formula-1 SHORT"])
  }

  @Test func tableSucceedsWhateverTheVerdictsUnlessFailOn() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write("""
      {"name": "short formula", "architecture": "8 dense({m}) dense(3)", "samples": 10, "axes": {"m": [2, 4]},
       "bounds": ["fc-outer"], "formulas": ["outer: q*(r+K-q) + 1"]}
      """, named: "s.json", in: dir)
    let r = runHessrank(["table", sweep])
    #expect(r.status == 0 && r.stderr.contains("2 SHORT"), "\(r.stderr)")
    #expect(r.stdout.contains("**19 SHORT**") && r.stdout.contains("SHORT rank < claimed formula"), "\(r.stdout)")
    #expect(runHessrank(["table", sweep, "--fail-on", "violated"]).status == 0)
    #expect(runHessrank(["table", sweep, "--fail-on", "short"]).status == 1)
    let bad = runHessrank(["table", sweep, "--fail-on", "tight"])
    #expect(bad.status == 2 && bad.stderr.contains("--fail-on must be"))
  }

  /// merge renders like `table`: same LaTeX (the sweep's name in its comment) and plot title.
  @Test func mergeKeepsTheSweepsNameAndRendersLikeTable() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write("""
      {"name": "Named sweep", "architecture": "8 dense({m}) dense(3)", "samples": 10, "axes": {"m": [2, 3, 4]},
       "bounds": ["fc-outer"], "plot": {"x": "m"}}
      """, named: "n.json", in: dir)
    let one = dir.appendingPathComponent("one.tex").path, svg1 = dir.appendingPathComponent("one.svg").path
    #expect(runHessrank(["table", sweep, "--out", one, "--plot", svg1]).status == 0)
    var files: [String] = []
    for i in 0..<2 {
      let f = dir.appendingPathComponent("rows-\(i).jsonl").path
      files.append(f)
      #expect(runHessrank(["table", sweep, "--shard", "\(i)/2", "--resume", f, "--format", "csv"]).status == 0)
    }
    let two = dir.appendingPathComponent("two.tex").path, svg2 = dir.appendingPathComponent("two.svg").path
    let m = runHessrank(["table", "merge"] + files + ["--out", two, "--plot", svg2])
    #expect(m.status == 0, "\(m.stderr)")
    func untimed(_ path: String) throws -> [String] {
      try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        // The last column is the time.
        line.hasSuffix("\\\\") ? String(line.split(separator: "&").dropLast().joined(separator: "&")) : String(line)
      }
    }
    let a = try untimed(one), b = try untimed(two)
    #expect(a == b)
    #expect(b.contains { $0.contains("% Generated by hessrank table: Named sweep") })
    #expect(try String(contentsOfFile: svg2, encoding: .utf8).contains("Named sweep"))
    #expect(try String(contentsOfFile: svg1, encoding: .utf8) == String(contentsOfFile: svg2, encoding: .utf8))
  }

  /// `--shard slurm/N` and `--shard slurm` take the shard from a job-array task's environment.
  @Test func shardFromSlurmArrays() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(#"{"architecture": "8 dense({m}) dense(3)", "samples": 10, "axes": {"m": [1, 2, 3, 4, 5, 6, 7, 8]}}"#,
                                         named: "a.json", in: dir)
    func list(_ shard: String, _ env: [String: String]) throws -> (status: Int32, out: String, err: String) {
      try runWithEnvironment(["table", sweep, "--shard", shard, "--list"], env)
    }
    // --array=0-6:2 (ids 0, 2, 4, 6): task 4 is the third task, shard 2/4 → rows 2 and 6.
    let stepped = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6",
                   "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"]
    let s = try list("slurm", stepped)
    #expect(s.status == 0 && s.out.contains("2 of 8 rows") && s.out.contains("shard 2/4"), "\(s.out) \(s.err)")
    // A sparse rerun (--array=3,5,7) of shards of 8: task 5 is shard 5/8 → row 5.
    let sparse = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "7",
                  "SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": "3"]
    let e = try list("slurm/8", sparse)
    #expect(e.status == 0 && e.out.contains("1 of 8 rows") && e.out.contains("shard 5/8") && e.out.contains("\n5\t"), "\(e.out)")
    // Without N, a sparse array's positions are unknown: refused.
    let refused = try list("slurm", sparse)
    #expect(refused.status == 2 && refused.err.contains("not evenly spaced"), "\(refused.err)")
    let outside = try list("slurm/4", sparse)
    #expect(outside.status == 2 && outside.err.contains("task id 5 is not a shard number"), "\(outside.err)")
    let none = try list("slurm/4", [:])
    #expect(none.status == 2 && none.err.contains("SLURM_ARRAY_TASK_ID is not set"))
  }

  /// Threads and --jobs come from the CPUs the process may use: under `taskset -c 0`, one.
  @Test func threadsFollowTheAffinityMask() throws {
    let taskset = ["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let taskset, let exe = CLITestSupport.executable else { return }
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(#"{"architecture": "8 dense({m}) dense(3)", "samples": 10, "axes": {"m": [2]}}"#,
                                         named: "t.json", in: dir)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: taskset)
    p.arguments = ["-c", "0", exe.path, "table", sweep, "--format", "csv"]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = Pipe()
    try p.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0 && text.contains("(1 job on 1 CPU)"), "\(text)")
  }

  func runWithEnvironment(_ args: [String], _ env: [String: String]) throws -> (status: Int32, out: String, err: String) {
    let exe = try #require(CLITestSupport.executable)
    let p = Process()
    p.executableURL = exe
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") }
    environment.merge(env) { $1 }
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }
}
