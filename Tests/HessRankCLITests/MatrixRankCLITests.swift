import Foundation
import Testing

@Suite struct MatrixRankCLITests {
  static let example = "examples/matrices/lowrank-6x5.txt"

  @Test(arguments: ["auto", "bareiss", "modular"])
  func bundledExampleHasRankThree(method: String) throws {
    let r = runHessrank(["matrix-rank", Self.example, "--method", method, "--seed", "1"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("rank         3\n"))
    #expect(r.stdout.contains("status       proved"))
    #expect(r.stderr.isEmpty)
  }

  @Test func jsonOutputParses() throws {
    let r = runHessrank(["matrix-rank", "examples/matrices/hilbert-8.txt", "--json", "--method", "bareiss"])
    #expect(r.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let o = try #require(object)
    #expect(o["rank"] as? Int == 8)
    #expect(o["rows"] as? Int == 8 && o["cols"] as? Int == 8)
    #expect(o["method"] as? String == "bareiss")
    #expect(o["proved"] as? Bool == true)
    #expect(o["seconds"] is Double)
  }

  @Test func modularMethodReportsRankDropsModuloSmallPrimesCorrectly() throws {
    // det = 30030 = 2·3·5·7·11·13: rank 5 over Q.
    let r = runHessrank(["matrix-rank", "examples/matrices/unimodular-30030.txt", "--method", "modular", "--json"])
    let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(o["rank"] as? Int == 5)
    #expect(o["proved"] as? Bool == true)
  }

  @Test func lowerBoundCarriesAProbabilityBound() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    // Rank 2 with entries large enough that the Hadamard bound allows bad primes.
    let a = "123456789 987654321 555555555\n246913578 1975308642 1111111110\n1 2 4\n"
    let path = try CLITestSupport.write(a, named: "m.txt", in: dir)
    let r = runHessrank(["matrix-rank", path, "--method", "modular", "--primes", "1", "--seed", "3", "--json"])
    let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(o["rank"] as? Int == 2)
    #expect(o["proved"] as? Bool == false)
    #expect(o["status"] as? String == "lower-bound")
    let bound = try #require(o["failureProbabilityBound"] as? Double)
    #expect(bound > 0 && bound < 1e-4)
  }

  /// Malformed files: one clear error line on stderr, exit status 2, nothing on stdout.
  @Test(arguments: [
    ("ragged.txt", "1 2 3\n4 5\n", "ragged.txt:2: row has 2 entries, expected 3"),
    ("word.txt", "1 2\n3 x7\n", "word.txt:2:3: 'x7' is not a number"),
    ("zero.txt", "1 1/0\n", "zero.txt:1:3: '1/0' has a zero denominator"),
    ("empty.txt", "", "empty.txt: no matrix rows"),
    ("comments.txt", "# nothing\n\n", "comments.txt: no matrix rows"),
  ])
  func malformedFilesFailWithOneLine(name: String, text: String, message: String) throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let path = try CLITestSupport.write(text, named: name, in: dir)
    for method in ["auto", "bareiss", "modular"] {
      let r = runHessrank(["matrix-rank", path, "--method", method])
      #expect(r.status == 2)
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("hessrank: error: "), "\(r.stderr)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
      #expect(r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
    }
  }

  @Test func missingFileAndBadOptions() throws {
    let missing = runHessrank(["matrix-rank", "/nonexistent/m.txt"])
    #expect(missing.status == 2)
    #expect(missing.stderr == "hessrank: error: /nonexistent/m.txt: no such file\n")
    let method = runHessrank(["matrix-rank", Self.example, "--method", "gauss"])
    #expect(method.status == 2 && method.stderr.contains("--method must be"))
    let primes = runHessrank(["matrix-rank", Self.example, "--primes", "0"])
    #expect(primes.status == 2)
    let none = runHessrank(["matrix-rank"])
    #expect(none.status == 2)
  }

  @Test func helpListsOptionsAndExamples() throws {
    let r = runHessrank(["matrix-rank", "--help"])
    #expect(r.status == 0)
    for word in ["--method", "--primes", "--seed", "--certificate", "--json", "EXAMPLES", "#"] {
      #expect(r.stdout.contains(word))
    }
    let top = runHessrank(["--help"])
    #expect(top.stdout.contains("matrix-rank") && top.stdout.contains("check"))
  }
}
