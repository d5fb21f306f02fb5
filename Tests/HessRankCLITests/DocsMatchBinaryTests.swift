import Foundation
import Testing

/// README.md against the binary: every file it names exists, and its quick example commands
/// (read from its ```sh blocks at test time) still run with exit status 0.
@Suite struct DocsMatchBinaryTests {
  static func readme() throws -> String {
    try String(contentsOf: CLITestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
  }

  /// Paths under examples/, docs/ or proofs/ named in backticks or as link targets; globs and
  /// placeholders (`*`, `<…>`) are not files and are skipped.
  static func namedPaths(in text: String) -> Set<String> {
    var paths = Set<String>()
    for opener in ["`", "]("] {
      var rest = Substring(text)
      while let r = rest.range(of: opener) {
        rest = rest[r.upperBound...]
        var candidate = rest.prefix { !" `)#\n".contains($0) }
        if candidate.hasPrefix("./") { candidate = candidate.dropFirst(2) }
        guard ["examples/", "docs/", "proofs/"].contains(where: { candidate.hasPrefix($0) }),
              !candidate.contains("*"), !candidate.contains("<") else { continue }
        paths.insert(String(candidate))
      }
    }
    return paths
  }

  /// Commands of the ```sh blocks: `hessrank` lines, comments cut, `&&` chains split.
  static func shellCommands(in text: String) -> [String] {
    var commands: [String] = []
    var inSh = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") { inSh = line == "```sh" && !inSh; continue }
      guard inSh else { continue }
      let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
      for part in code.components(separatedBy: "&&") {
        let c = part.trimmingCharacters(in: .whitespaces)
        if c.hasPrefix("hessrank ") { commands.append(c) }
      }
    }
    return commands
  }

  /// Splits a command line into words, honouring double quotes (all the README uses).
  static func words(_ command: String) -> [String] {
    var words: [String] = [], current = "", quoted = false, started = false
    for ch in command {
      if ch == "\"" { quoted.toggle(); started = true }
      else if ch == " " && !quoted { if started { words.append(current) }; current = ""; started = false }
      else { current.append(ch); started = true }
    }
    if started { words.append(current) }
    return words
  }

  /// Quick enough to run here: describe, bounds, matrix-rank on a bundled matrix, and rank on
  /// a net of at most `maxRankChars` architecture characters without --samples or other methods.
  static func isQuick(_ w: [String]) -> Bool {
    guard w.count >= 2, w[0] == "hessrank" else { return false }
    switch w[1] {
    case "describe", "bounds": return true
    case "matrix-rank": return w.count >= 3 && w[2].hasPrefix("examples/matrices/")
    case "rank": return w.count >= 3 && !w.contains("--samples") && !w.contains("--method")
      && (w[2].hasPrefix("examples/configs/fc-") || (!w[2].hasSuffix(".json") && w[2].count <= 30))
    default: return false
    }
  }

  @Test func everyFileTheReadmeNamesExists() throws {
    let paths = Self.namedPaths(in: try Self.readme())
    #expect(paths.count >= 10, "the README names its examples and docs: \(paths.sorted())")
    for path in paths.sorted() {
      let url = CLITestSupport.packageRoot.appendingPathComponent(path)
      #expect(FileManager.default.fileExists(atPath: url.path), "README.md names \(path), which does not exist")
    }
  }

  @Test func theReadmesQuickExamplesRun() throws {
    let quick = Self.shellCommands(in: try Self.readme()).map(Self.words).filter(Self.isQuick)
    #expect(quick.count >= 3, "quick README examples found: \(quick)")
    let dir = try CLITestSupport.temporaryDirectory()
    for w in quick {
      // Files the example writes go to a temporary directory, not the package.
      var args = Array(w.dropFirst())
      for (i, a) in args.enumerated() where i > 0 && ["--certificate", "--out"].contains(args[i - 1]) {
        args[i] = dir.appendingPathComponent(a).path
      }
      let r = runHessrank(args)
      #expect(r.status == 0, "README example `\(w.joined(separator: " "))` exited \(r.status): \(r.stderr.prefix(300))")
      #expect(!r.stdout.isEmpty, "README example `\(w.joined(separator: " "))` printed nothing")
    }
  }

  @Test func pathExtractionAndQuoting() {
    let paths = Self.namedPaths(in: "see `examples/a.txt`, [b](docs/b.md#x), `examples/configs/*.json`, `src/x`")
    #expect(paths == ["examples/a.txt", "docs/b.md"])
    #expect(Self.words(#"hessrank rank "1x12 conv(2,k=3) dense(2)" --json"#) == ["hessrank", "rank", "1x12 conv(2,k=3) dense(2)", "--json"])
    #expect(Self.isQuick(["hessrank", "rank", "1x12 conv(2,k=3) dense(2)"]))
    #expect(!Self.isQuick(["hessrank", "rank", "1x32 conv(16,k=5) conv(16,k=5) dense(10)", "--samples", "64"]))
  }
}
