import Foundation
import Testing

/// Regression tests for issue 14's reproducers: hostile input and a hostile filesystem get a
/// clean one-line error (exit 2) or the right behaviour, never a crash, a hang or a clobber.
/// Every file, FIFO and link is created in a fresh temporary directory.
@Suite struct HostileInputCLITests {
  /// Exit 2 and exactly one stderr line starting with "hessrank: error:".
  static func expectOneLineError(_ r: (status: Int32, stdout: String, stderr: String), contains text: String? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 2, "status \(r.status): \(r.stderr.prefix(300))", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1, "stderr: \(r.stderr.prefix(500))", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("hessrank: error: "), sourceLocation: sourceLocation)
    #expect(!r.stderr.contains("\u{1B}"), sourceLocation: sourceLocation)
    #expect(r.stderr.count < 1_000, sourceLocation: sourceLocation)
    if let text { #expect(r.stderr.contains(text), "stderr: \(r.stderr.prefix(500))", sourceLocation: sourceLocation) }
  }

  static func kind(_ path: String) -> mode_t {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
  }

  // MARK: Writing files

  @Test func aFIFOTargetIsWrittenInPlace() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fifo = dir.appendingPathComponent("pipe.txt").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let received = dir.appendingPathComponent("received").path
    let reader = Thread {
      let data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
      _ = FileManager.default.createFile(atPath: received, contents: data)
    }
    reader.start()
    let r = runHessrank(["hessian", "4 dense(2)", "--samples", "3", "--out", fifo])
    #expect(r.status == 0, "\(r.stderr)")
    for _ in 0..<300 where !FileManager.default.fileExists(atPath: received) { usleep(10_000) }
    #expect(Self.kind(fifo) == S_IFIFO)
    let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
    #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 8)  // the 8 × 8 Hessian
  }

  @Test func aSymlinkedCertificateWritesTheTargetAndKeepsTheLink() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = dir.appendingPathComponent("real.json").path
    let link = dir.appendingPathComponent("link.json").path
    #expect(symlink("real.json", link) == 0)
    let r = runHessrank(["matrix-rank", "examples/matrices/lowrank-6x5.txt", "--certificate", link])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.kind(link) == S_IFLNK && Self.kind(target) == S_IFREG)
    #expect(runHessrank(["check", target]).status == 0)
  }

  @Test func aDirectoryTargetIsOneLineError() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    Self.expectOneLineError(runHessrank(["matrix-rank", "examples/matrices/lowrank-6x5.txt", "--certificate", dir.path]),
                            contains: "directory")
  }

  // MARK: Unbounded parsing and evaluation

  @Test func aHugeFormulaIsRefusedNotACrash() {
    let formula = Array(repeating: "r", count: 3_000).joined(separator: "+")
    Self.expectOneLineError(runHessrank(["certify", "8 dense(2)", "--samples", "5", "--formula", "outer: \(formula)"]),
                            contains: "limit")
    let tokens = Array(repeating: "r", count: 500).joined(separator: "+")
    Self.expectOneLineError(runHessrank(["certify", "8 dense(2)", "--samples", "5", "--formula", "outer: \(tokens)"]),
                            contains: "tokens")
    let deep = String(repeating: "(", count: 100) + "r" + String(repeating: ")", count: 100)
    Self.expectOneLineError(runHessrank(["certify", "8 dense(2)", "--samples", "5", "--formula", "outer: \(deep)"]),
                            contains: "nested")
  }

  @Test func nestedSumsStopAtTheStepLimit() {
    let start = Date()
    Self.expectOneLineError(runHessrank(["certify", "8 dense(2)", "--samples", "5", "--formula",
                                         "outer: sum(a=1..999999, sum(b=1..999999, 1))"]), contains: "steps")
    #expect(Date().timeIntervalSince(start) < 60)
  }

  @Test func nestedRepeatsAreMeasuredBeforeExpanding() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = """
      {"architecture": "8 {repeat a: {repeat b: {repeat c: {repeat d: dense(2)}}}} dense(1)",
       "axes": {"a": [64], "b": [64], "c": [64], "d": [64]}, "samples": 5}
      """
    let path = try CLITestSupport.write(sweep, named: "bomb.json", in: dir)
    let start = Date()
    Self.expectOneLineError(runHessrank(["table", path, "--list"]), contains: "characters")
    #expect(Date().timeIntervalSince(start) < 30)
    let deep = "8 " + String(repeating: "{repeat a: ", count: 20) + "dense(2)" + String(repeating: "}", count: 20)
    let deepPath = try CLITestSupport.write("{\"architecture\": \"\(deep)\", \"axes\": {\"a\": [1]}, \"samples\": 5}", named: "deep.json", in: dir)
    Self.expectOneLineError(runHessrank(["table", deepPath, "--list"]), contains: "nested")
  }

  // MARK: Certificates say exactly what they prove

  @Test func aCatalogIdRelabelledAsUserFormulaIsRejected() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("b.json").path
    #expect(runHessrank(["certify", "8 dense(3) dense(2)", "--samples", "5", "--certificate", cert]).status == 0)
    var text = try String(contentsOfFile: cert, encoding: .utf8)
    let original = text
    text = text.replacingOccurrences(of: "\"status\" : \"paper\"", with: "\"status\" : \"user\"")
    text = text.replacingOccurrences(of: "\"status\": \"paper\"", with: "\"status\": \"user\"")
    #expect(text != original)
    try Data(text.utf8).write(to: URL(fileURLWithPath: cert))
    let r = runHessrank(["check", cert])
    #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
    #expect(r.stdout.contains("catalog id"))
  }

  @Test func duplicateKeysAndWrongTypesAreRefused() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("m.json").path
    #expect(runHessrank(["matrix-rank", "examples/matrices/lowrank-6x5.txt", "--certificate", cert]).status == 0)
    let text = try String(contentsOfFile: cert, encoding: .utf8)
    // A second "rows" key inside the matrix object.
    let duplicated = text.replacingOccurrences(of: "\"rows\":6}", with: "\"rows\":6,\"rows\":7}")
      .replacingOccurrences(of: "\"rows\" : 6\n", with: "\"rows\" : 6, \"rows\" : 7\n")
    #expect(duplicated != text)
    let dupPath = try CLITestSupport.write(duplicated, named: "dup.json", in: dir)
    Self.expectOneLineError(runHessrank(["check", dupPath]), contains: "twice")
    // JSON syntax errors name the line and column.
    let broken = try CLITestSupport.write("{\n  \"format\": \"x\",\n  oops\n}", named: "broken.json", in: dir)
    Self.expectOneLineError(runHessrank(["check", broken]), contains: "line 3")
    // A Hessian certificate's rank must be an integer.
    let hcert = dir.appendingPathComponent("h.json").path
    #expect(runHessrank(["rank", "8 dense(2)", "--samples", "5", "--certificate", hcert]).status == 0)
    let htext = try String(contentsOfFile: hcert, encoding: .utf8)
    let regex = try Regex(#""rank"\s*:\s*(\d+)"#)
    guard let match = htext.firstMatch(of: regex) else {
      Issue.record("no rank field in the Hessian certificate")
      return
    }
    let quoted = htext.replacingCharacters(in: match.range, with: "\"rank\": \"\(htext[match.range].split(separator: ":").last!.trimmingCharacters(in: .whitespaces))\"")
    let quotedPath = try CLITestSupport.write(quoted, named: "hq.json", in: dir)
    let r = runHessrank(["check", quotedPath])
    #expect(r.status == 2 || r.status == 1, "\(r.stderr)")
    #expect((r.stderr + r.stdout).contains("integer") || (r.stderr + r.stdout).contains("rank"))
  }

  @Test func aLowerBoundOnlyCertificateExitsThreeUnlessAccepted() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("m.json").path
    #expect(runHessrank(["matrix-rank", "examples/matrices/lowrank-6x5.txt", "--certificate", cert]).status == 0)
    let data = try Data(contentsOf: URL(fileURLWithPath: cert))
    var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var inner = try #require(object["certificate"] as? [String: Any])
    inner.removeValue(forKey: "upperBoundPrimes")
    inner.removeValue(forKey: "kernel")
    object["certificate"] = inner
    let lower = dir.appendingPathComponent("lower.json")
    try JSONSerialization.data(withJSONObject: object).write(to: lower)
    let r = runHessrank(["check", lower.path])
    #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
    #expect(runHessrank(["check", lower.path, "--lower-bound-ok"]).status == 0)
  }

  @Test func controlCharactersFromFilesNeverReachTheTerminal() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let evil = try CLITestSupport.write("{\"format\": \"\\u001b[2J\\u001b[Hgotcha\\nsecond line\"}", named: "evil.json", in: dir)
    Self.expectOneLineError(runHessrank(["check", evil]))
    let long = try CLITestSupport.write("{\"format\": \"" + String(repeating: "A", count: 1_000_000) + "\"}", named: "long.json", in: dir)
    Self.expectOneLineError(runHessrank(["check", long]))
  }

  // MARK: Memory checked first

  @Test func tooLargeRunsAreRefusedBeforeTheyAllocate() {
    let start = Date()
    Self.expectOneLineError(runHessrank(["rank", "26000 dense(1)", "--method", "modular", "--memory", "2G"]), contains: "memory budget")
    Self.expectOneLineError(runHessrank(["rank", "1x12 conv(2,k=3) dense(2)", "--samples", "1000000", "--memory", "256M"]),
                            contains: "memory budget")
    Self.expectOneLineError(runHessrank(["rank", "8 dense(2)", "--memory", "lots"]), contains: "--memory")
    #expect(Date().timeIntervalSince(start) < 30)
  }

  @Test func aSmallAddressSpaceLimitDoesNotHangStartUp() {
    // OpenBLAS is loaded on first use with a capped thread count (it used to hang at start-up).
    guard let exe = CLITestSupport.executable else { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "ulimit -v 600000 && exec \"$0\" rank '1x12 conv(2,k=3) dense(2)' --samples 20", exe.path]
    p.currentDirectoryURL = CLITestSupport.packageRoot
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    let start = Date()
    do { try p.run() } catch { Issue.record("cannot start sh: \(error)"); return }
    while p.isRunning && Date().timeIntervalSince(start) < 60 { usleep(20_000) }
    if p.isRunning { p.terminate() }
    #expect(!p.isRunning || Date().timeIntervalSince(start) < 60)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
  }

  // MARK: Text formats

  @Test func carriageReturnLineEndingsReadLikeNewlines() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (name, eol) in [("lf.txt", "\n"), ("crlf.txt", "\r\n"), ("cr.txt", "\r")] {
      let path = try CLITestSupport.write("1 2\(eol)2 4\(eol)", named: name, in: dir)
      let r = runHessrank(["matrix-rank", path, "--json"])
      #expect(r.status == 0, "\(name): \(r.stderr)")
      #expect(r.stdout.contains("\"rank\":1") || r.stdout.contains("\"rank\" : 1"), "\(name): \(r.stdout)")
      #expect(r.stdout.contains("\"rows\":2") || r.stdout.contains("\"rows\" : 2"), "\(name): \(r.stdout)")
    }
  }

  @Test func hugeEntriesGetAFastHadamardBound() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = "1" + String(repeating: "0", count: 20_000)
    let rows = (0..<12).map { i in (0..<12).map { j in i == j ? big : "\(i + j)" }.joined(separator: " ") }
    let path = try CLITestSupport.write(rows.joined(separator: "\n") + "\n", named: "big.txt", in: dir)
    let start = Date()
    let r = runHessrank(["matrix-rank", path, "--method", "modular"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 20)
  }
}
