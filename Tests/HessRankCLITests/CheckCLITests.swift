import Foundation
import Testing

@Suite struct CheckCLITests {
  /// Writes a certificate for `matrixPath` and returns its path.
  func certificate(for matrixPath: String, method: String, in dir: URL) throws -> String {
    let out = dir.appendingPathComponent("cert-\(method).json").path
    let r = runHessrank(["matrix-rank", matrixPath, "--method", method, "--seed", "2", "--certificate", out])
    #expect(r.status == 0, "\(r.stderr)")
    return out
  }

  @Test(arguments: ["auto", "kernel", "primes", "bareiss"]) func certificatesCheck(method: String) throws {
    let dir = try CLITestSupport.temporaryDirectory()
    for example in ["lowrank-6x5", "hilbert-8", "unimodular-30030"] {
      let cert = try certificate(for: "examples/matrices/\(example).txt", method: method, in: dir)
      let r = runHessrank(["check", cert])
      #expect(r.status == 0, "\(example): \(r.stdout) \(r.stderr)")
      #expect(r.stdout.hasPrefix("certificate holds: rank"))
      let j = runHessrank(["check", cert, "--json"])
      let o = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
      #expect(o["holds"] as? Bool == true && o["exact"] as? Bool == true)
    }
  }

  @Test func lowerBoundCertificateHoldsAsALowerBound() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let text = "123456789 987654321 555555555\n246913578 1975308642 1111111110\n1 2 4\n"
    let path = try CLITestSupport.write(text, named: "m.txt", in: dir)
    let cert = dir.appendingPathComponent("lb.json").path
    let r = runHessrank(["matrix-rank", path, "--method", "modular", "--primes", "1", "--certificate", cert])
    #expect(r.status == 0)
    // Exit 3: it holds, but only as a lower bound (issue 14); --lower-bound-ok accepts it.
    #expect(runHessrank(["check", cert]).status == 3)
    let j = runHessrank(["check", cert, "--json", "--lower-bound-ok"])
    #expect(j.status == 0)
    let o = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
    #expect(o["rank"] as? Int == 2 && o["exact"] as? Bool == false && o["holds"] as? Bool == true)
  }

  /// Edits the JSON of a certificate file.
  func tamper(_ path: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    var o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    edit(&o)
    let out = path + ".tampered.json"
    try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: out))
    return out
  }

  /// Each edited copy of the certificate is rejected by `check` with status 1.
  func expectRejected(_ cert: String, _ edits: [(String, (inout [String: Any]) -> Void)]) throws {
    for (what, edit) in edits {
      let bad = try tamper(cert, edit)
      let r = runHessrank(["check", bad])
      #expect(r.status == 1, "\(what): \(r.stdout) \(r.stderr)")
      #expect(r.stdout.hasPrefix("certificate REJECTED: "), "\(what)")
    }
  }

  @Test func tamperedPrimeCertificatesAreRejectedWithStatusOne() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = try certificate(for: "examples/matrices/lowrank-6x5.txt", method: "primes", in: dir)
    let edits: [(String, (inout [String: Any]) -> Void)] = [
      ("composite prime", { o in
        var c = o["certificate"] as! [String: Any]
        let ps = c["upperBoundPrimes"] as! [UInt64]
        c["upperBoundPrimes"] = [ps[0] * 3] + ps.dropFirst()
        o["certificate"] = c
      }),
      ("no primes", { o in
        var c = o["certificate"] as! [String: Any]
        c["upperBoundPrimes"] = [UInt64]()
        o["certificate"] = c
      }),
      ("rank claimed too low", { o in
        var c = o["certificate"] as! [String: Any]
        c["rank"] = 2
        c["pivotRows"] = Array((c["pivotRows"] as! [Int]).prefix(2))
        c["pivotCols"] = Array((c["pivotCols"] as! [Int]).prefix(2))
        o["certificate"] = c
      }),
    ]
    try expectRejected(cert, edits)
  }

  @Test func tamperedCertificatesAreRejectedWithStatusOne() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = try certificate(for: "examples/matrices/lowrank-6x5.txt", method: "kernel", in: dir)
    let edits: [(String, (inout [String: Any]) -> Void)] = [
      ("changed entry", { o in
        var m = o["matrix"] as! [String: Any]
        var e = m["entries"] as! [[String]]
        e[3][1] = "8/3"
        m["entries"] = e
        o["matrix"] = m
      }),
      ("wrong pivots", { o in
        var c = o["certificate"] as! [String: Any]
        c["pivotRows"] = [0, 1, 3]
        o["certificate"] = c
      }),
      ("duplicate pivot", { o in
        var c = o["certificate"] as! [String: Any]
        c["pivotCols"] = [0, 0, 1]
        o["certificate"] = c
      }),
      ("non-kernel vector", { o in
        var c = o["certificate"] as! [String: Any]
        var k = c["kernel"] as! [[String: Any]]
        var values = k[0]["values"] as! [String]
        values[0] = values[0] == "1" ? "2" : "1"
        k[0]["values"] = values
        c["kernel"] = k
        o["certificate"] = c
      }),
      ("rank claimed too high", { o in
        var c = o["certificate"] as! [String: Any]
        c["rank"] = 4
        o["certificate"] = c
      }),
    ]
    try expectRejected(cert, edits)
  }

  @Test func matrixOptionComparesTheEmbeddedMatrix() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = try certificate(for: "examples/matrices/lowrank-6x5.txt", method: "kernel", in: dir)
    let same = runHessrank(["check", cert, "--matrix", "examples/matrices/lowrank-6x5.txt"])
    #expect(same.status == 0, "\(same.stdout) \(same.stderr)")
    let other = runHessrank(["check", cert, "--matrix", "examples/matrices/hilbert-8.txt"])
    #expect(other.status == 1)
    #expect(other.stdout.contains("different matrix"))
    let missing = runHessrank(["check", cert, "--matrix", "/nonexistent.txt"])
    #expect(missing.status == 2)
  }

  @Test func unreadableCertificatesExitTwo() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let notJSON = try CLITestSupport.write("hello", named: "x.json", in: dir)
    let unknown = try CLITestSupport.write(#"{"format":"something-else/1"}"#, named: "u.json", in: dir)
    let bare = try CLITestSupport.write(
      #"{"format":"hessrank-rank-certificate/1","rows":1,"cols":1,"rank":0,"pivotRows":[],"pivotCols":[]}"#,
      named: "b.json", in: dir)
    for path in [notJSON, unknown, bare, "/nonexistent/c.json"] {
      let r = runHessrank(["check", path])
      #expect(r.status == 2, "\(path)")
      #expect(r.stderr.hasPrefix("hessrank: error: "))
      #expect(r.stderr.filter { $0 == "\n" }.count == 1)
    }
  }
}
