import Foundation
import Testing

/// The docs against the binary, read at test time: every `hessrank …` command shown in README.md,
/// docs/*.md and the EXAMPLE sections of every `--help` runs (in a scratch directory where
/// examples/, docs/ and proofs/ are links to the package's), exits as documented, and every
/// output line the docs show after a command still appears in what it prints; every file the
/// docs name exists.
///
/// Conventions the docs follow (and this test reads):
/// * A command is a code-block line starting with `$ hessrank` (the lines after it, up to the
///   next `$` line, are its output) or with `hessrank` (no output shown; a plain block right
///   after such a block, with at most two lines of prose between and no commands of its own,
///   is the output of the block's commands together). `\` at the end of a line continues it,
///   `&&` chains commands, `#` after a space starts a comment.
/// * Exit status: 0, unless the command's comment says `exit N` / `exits N`, or its shown output
///   is a `hessrank: error:` line (status 2).
/// * Synopsis lines (a word with `<`, `[`, `|` or `…` outside quotes) are not commands.
/// * Shown lines are compared after normalisation: runs of spaces become one space, fixed-point
///   decimals and durations (`0.032`, `2s`, `3m37s`, `0.001 s`) are timings and match any
///   timing, the random primes of a check (`mod 31559263`, 7 digits or more) match any prime,
///   `…` inside a line matches anything, and a line `...` or `…` elides lines. The shown line
///   must be contained in one printed line (stdout or stderr).
@Suite(.serialized) struct DocsMatchBinaryTests {
  /// Commands too long for the test suite (or needing files a reader makes elsewhere), by a
  /// fragment of the command line, with the reason. Their input files are still checked.
  static let skipped: [(fragment: String, reason: String)] = [
    ("conv(16,k=5) conv(16,k=5) dense(10)", "p = 5200 at 64 samples: about 20 s of modular ranks"),
    ("conv(26,k=5) conv(26,k=5) dense(10)", "p = 9750: minutes even matrix-free"),
    ("--data examples/digits/X.npy", "p = 400 ReLU net on 100 digits: the certified H_o takes minutes"),
    ("--samples 20 --loss ce", "p = 221 max-pool CE net at 20 samples: about 10 s (README shows no output)"),
    ("run/weights.safetensors", "needs a float Hessian exported by PyTorch/JAX (examples/export/export_hessian.py)"),
    ("--shard 0/4", "one shard of four machines' sweep (sweep.json stands for the reader's sweep)"),
    ("merge rows-*.jsonl", "merges the four shards' rows (needs every shard)"),
    ("merge out/rows-*.jsonl", "merges GNU parallel's shards (needs every shard)"),
    ("cnn-channels-large.json --shard", "rows of p up to 113,280 matrix-free: minutes (BENCHMARKS.md)"),
    ("merge rows-0.jsonl rows-1.jsonl", "merges the two shards of cnn-channels-large.json (needs both)"),
  ]

  struct Command {
    var words: [String]
    var expectedStatus: Int32
  }

  /// One or more commands and the lines the docs show they print, from `source` (file:line).
  struct Example {
    var source: String
    var commands: [Command]
    var shown: [String]
  }

  static func text(_ relativePath: String) throws -> String {
    try String(contentsOf: CLITestSupport.packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
  }

  static func markdownFiles() throws -> [String] {
    let docs = try FileManager.default.contentsOfDirectory(atPath: CLITestSupport.packageRoot.appendingPathComponent("docs").path)
    return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
  }

  // MARK: Files named

  /// Paths under examples/, docs/ or proofs/ named anywhere in `text` (a trailing `.`, `,`, `:`
  /// or `;` is punctuation), and relative link targets resolved against `directory` (the
  /// document's folder, "" for the package root). Globs and placeholders (`*`, `<…>`, `{…}`)
  /// are skipped.
  static func namedPaths(in text: String, directory: String = "") -> Set<String> {
    var paths = Set<String>()
    let stops: Set<Character> = [" ", "`", ")", "(", "#", "\n", "\"", "'", "]", "[", "|", ","]
    for prefix in ["examples/", "docs/", "proofs/"] {
      var rest = Substring(text)
      while let r = rest.range(of: prefix) {
        let before = rest[..<r.lowerBound].last
        rest = rest[r.lowerBound...]
        var candidate = rest.prefix { !stops.contains($0) }
        rest = rest[r.upperBound...]
        if let b = before, b.isLetter || b.isNumber || b == "/" || b == "-" || b == "_" || b == "." { continue }
        while let last = candidate.last, ".:;".contains(last) { candidate = candidate.dropLast() }
        guard !candidate.contains("*"), !candidate.contains("<"), !candidate.contains("{"),
              !candidate.contains("…") else { continue }
        paths.insert(String(candidate))
      }
    }
    var rest = Substring(text)
    while let r = rest.range(of: "](") {
      rest = rest[r.upperBound...]
      let target = rest.prefix { !")# \n".contains($0) }
      guard !target.isEmpty, !target.contains(":"), !target.contains("*"), !target.contains("<") else { continue }
      paths.insert(resolve(String(target), against: directory))
    }
    return paths
  }

  /// `target` relative to `directory`, with `./` and `../` folded.
  static func resolve(_ target: String, against directory: String) -> String {
    var parts = directory.split(separator: "/").map(String.init)
    for part in target.split(separator: "/") {
      if part == ".." { if parts.isEmpty { parts.append("..") } else { parts.removeLast() } }
      else if part != "." { parts.append(String(part)) }
    }
    return parts.joined(separator: "/") + (target.hasSuffix("/") ? "/" : "")
  }

  // MARK: Commands in markdown and help

  /// Splits a command line into words, honouring double and single quotes; a `#` after a space
  /// outside quotes starts a comment (returned separately).
  static func split(_ command: String) -> (words: [String], comment: String) {
    var words: [String] = [], current = "", quote: Character? = nil, started = false
    var previous: Character = " "
    for (offset, ch) in command.enumerated() {
      defer { previous = ch }
      if let q = quote {
        if ch == q { quote = nil } else { current.append(ch) }
        continue
      }
      if ch == "\"" || ch == "'" { quote = ch; started = true }
      else if ch == "#" && previous == " " {
        if started { words.append(current) }
        return (words, String(command.dropFirst(offset + 1)).trimmingCharacters(in: .whitespaces))
      } else if ch == " " { if started { words.append(current) }; current = ""; started = false }
      else { current.append(ch); started = true }
    }
    if started { words.append(current) }
    return (words, "")
  }

  /// Splits on `&&` outside quotes.
  static func chain(_ line: String) -> [String] {
    var parts: [String] = [], current = "", quote: Character? = nil
    var chars = Array(line)[...]
    while let ch = chars.first {
      chars = chars.dropFirst()
      if let q = quote { if ch == q { quote = nil }; current.append(ch); continue }
      if ch == "\"" || ch == "'" { quote = ch }
      if ch == "&" && chars.first == "&" { chars = chars.dropFirst(); parts.append(current); current = ""; continue }
      current.append(ch)
    }
    parts.append(current)
    return parts.map { $0.trimmingCharacters(in: .whitespaces) }
  }

  /// A usage line: a word outside quotes with a placeholder mark.
  static func isSynopsis(_ line: String) -> Bool {
    var quote: Character? = nil
    for ch in line {
      if let q = quote { if ch == q { quote = nil }; continue }
      if ch == "\"" || ch == "'" { quote = ch; continue }
      if ch == "#" { return false }
      if "<[|…".contains(ch) { return true }
    }
    return false
  }

  /// The commands of one line (`hessrank …`, possibly chained), with their expected statuses.
  static func commands(inLine line: String, errorShown: Bool) -> [Command]? {
    guard line.hasPrefix("hessrank "), !isSynopsis(line) else { return nil }
    var result: [Command] = []
    let parts = chain(line)
    let comment = split(parts.last ?? "").comment
    for part in parts {
      let (words, _) = split(part)
      guard words.first == "hessrank" else { continue }
      result.append(Command(words: words, expectedStatus: 0))
    }
    if let status = documentedStatus(comment) ?? (errorShown ? 2 : nil), !result.isEmpty {
      result[result.count - 1].expectedStatus = status
    }
    return result
  }

  /// `exit N` or `exits N` in a comment.
  static func documentedStatus(_ comment: String) -> Int32? {
    let words = comment.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
    for (i, w) in words.enumerated() where (w == "exit" || w == "exits") && i + 1 < words.count {
      if let n = Int32(words[i + 1]) { return n }
    }
    return nil
  }

  /// Lines joined across trailing backslashes.
  static func joinedContinuations(_ lines: [Substring]) -> [(text: String, index: Int)] {
    var result: [(String, Int)] = []
    var pending: (String, Int)? = nil
    for (i, raw) in lines.enumerated() {
      var line = String(raw)
      let continues = line.hasSuffix("\\")
      if continues { line.removeLast() }
      if var p = pending { p.0 += " " + line.trimmingCharacters(in: .whitespaces); pending = p }
      else { pending = (line, i) }
      if !continues, let p = pending { result.append(p); pending = nil }
    }
    if let p = pending { result.append(p) }
    return result
  }

  /// The examples of a markdown file's code blocks (not ```json/```swift blocks).
  static func examples(inMarkdown text: String, source: String) -> [Example] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var examples: [Example] = []
    var blockStart: Int? = nil, blockKind = ""
    var lastCommandBlockEnd: Int? = nil   // the line of the closing fence of a block of plain commands
    var i = 0
    while i < lines.count {
      let line = lines[i]
      guard line.hasPrefix("```") else { i += 1; continue }
      if blockStart == nil { blockStart = i; blockKind = String(line.dropFirst(3)); i += 1; continue }
      let start = blockStart! + 1, end = i
      blockStart = nil
      i += 1
      guard blockKind == "" || blockKind == "sh" || blockKind == "console" else { lastCommandBlockEnd = nil; continue }
      let body = joinedContinuations(Array(lines[start..<end]))
      var plain: [Command] = [], plainLine = 0
      var current: Example? = nil
      for (text, index) in body {
        let where_ = "\(source):\(start + index + 1)"
        if text.hasPrefix("$ ") {
          if let c = current { examples.append(c) }
          current = nil
          let command = String(text.dropFirst(2))
          // The error line shown right after decides the expected status 2.
          let next = body.first { $0.index > index }?.text ?? ""
          if let cs = commands(inLine: command, errorShown: next.hasPrefix("hessrank: error:")) {
            current = Example(source: where_, commands: cs, shown: [])
          } else {
            current = Example(source: where_, commands: [], shown: [])   // another program's output
          }
        } else if current != nil {
          current!.shown.append(text)
        } else if let cs = commands(inLine: text.trimmingCharacters(in: .whitespaces), errorShown: false) {
          if plain.isEmpty { plainLine = start + index + 1 }
          plain += cs
        }
      }
      if let c = current { examples.append(c) }
      if !plain.isEmpty {
        examples.append(Example(source: "\(source):\(plainLine)", commands: plain, shown: []))
        lastCommandBlockEnd = end
      } else if current == nil, let previousEnd = lastCommandBlockEnd, examples.count > 0,
                lines[(previousEnd + 1)..<(start - 1)].filter({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }).count <= 2 {
        // An output-only block right after a block of commands: their output together.
        examples[examples.count - 1].shown = body.map(\.text)
        lastCommandBlockEnd = nil
      } else {
        lastCommandBlockEnd = nil
      }
    }
    return examples.filter { !$0.commands.isEmpty }
  }

  /// The commands of a `--help` text's EXAMPLE(S) section (indented lines up to a blank line).
  static func examples(inHelp text: String, source: String) -> [Example] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let header = lines.firstIndex(where: { $0.hasPrefix("EXAMPLE") }) else { return [] }
    var body: [Substring] = []
    for line in lines[(header + 1)...] {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
      body.append(line)
    }
    var commands: [Command] = []
    for (text, _) in joinedContinuations(body) {
      commands += Self.commands(inLine: text.trimmingCharacters(in: .whitespaces), errorShown: false) ?? []
    }
    return commands.isEmpty ? [] : [Example(source: source, commands: commands, shown: [])]
  }

  // MARK: Output lines

  /// Whitespace runs to one space; timings (fixed-point decimals, `2s`, `3m37s`) to `⏱`;
  /// primes after `mod` (7 digits or more) to `℘`.
  static func normalised(_ line: String) -> String {
    var s = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    s = s.replacingOccurrences(of: #"\bmod \d{7,}\b"#, with: "mod ℘", options: .regularExpression)
    let patterns = [#"\b\d+m\d+s\b"#, #"\b\d+(\.\d+)? ?ms\b"#, #"\b\d+\.\d+ s\b"#, #"\b\d+s\b"#, #"(?<![\d.e-])\d+\.\d+(?![\d.]|e[+-]?\d)"#]
    for p in patterns {
      s = s.replacingOccurrences(of: p, with: "⏱", options: .regularExpression)
    }
    return s
  }

  /// Whether the shown line (normalised, `…` as a wildcard) is contained in one printed line.
  static func appears(_ shown: String, in printed: [String]) -> Bool {
    let fragments = normalised(shown).components(separatedBy: "…").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !fragments.isEmpty else { return true }
    return printed.contains { line in
      let n = normalised(line)
      var rest = Substring(n)
      for f in fragments {
        guard let r = rest.range(of: f) else { return false }
        rest = rest[r.upperBound...]
      }
      return true
    }
  }

  // MARK: Running

  /// A scratch directory with examples/, docs/ and proofs/ linked to the package's.
  static func scratchDirectory() throws -> URL {
    let dir = try CLITestSupport.temporaryDirectory()
    for name in ["examples", "docs", "proofs"] {
      try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name),
                                                 withDestinationURL: CLITestSupport.packageRoot.appendingPathComponent(name))
    }
    return dir
  }

  static func skipReason(_ words: [String]) -> String? {
    let line = words.joined(separator: " ")
    return skipped.first { line.contains($0.fragment) }?.reason
  }

  /// Options whose value is a file the command writes.
  static let outputOptions: Set<String> = ["--out", "--certificate", "--plot", "--resume"]

  /// Runs every example in order in one scratch directory; returns the problems found.
  static func check(_ examples: [Example]) throws -> (ran: Int, problems: [String]) {
    let dir = try scratchDirectory()
    var problems: [String] = [], ran = 0
    for example in examples {
      var printed: [String] = []
      var skippedAny = false
      for command in example.commands {
        let line = command.words.joined(separator: " ")
        let args = Array(command.words.dropFirst())
        for (i, a) in args.enumerated() where i > 0 && outputOptions.contains(args[i - 1]) {
          if ["examples/", "docs/", "proofs/"].contains(where: a.hasPrefix) {
            problems.append("\(example.source): `\(line)` writes into the package (\(a))")
          }
        }
        if skipReason(command.words) != nil {
          skippedAny = true
          for a in args where ["examples/", "docs/", "proofs/"].contains(where: a.hasPrefix) && !a.contains("*") {
            let exists = FileManager.default.fileExists(atPath: CLITestSupport.packageRoot.appendingPathComponent(a).path)
            if !exists && !(args.firstIndex(of: a).map { $0 > 0 && outputOptions.contains(args[$0 - 1]) } ?? false) {
              problems.append("\(example.source): `\(line)` names \(a), which does not exist")
            }
          }
          continue
        }
        let r = runHessrank(args, in: dir)
        ran += 1
        if r.status != command.expectedStatus {
          problems.append("\(example.source): `\(line)` exited \(r.status), the docs say \(command.expectedStatus): \(r.stderr.prefix(300))")
        }
        printed += (r.stdout + "\n" + r.stderr).split(separator: "\n").map(String.init)
      }
      if skippedAny { continue }   // the shown output is that of the skipped command
      for shown in example.shown {
        let t = shown.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "..." || t == "…" { continue }
        if !appears(shown, in: printed) {
          problems.append("\(example.source): the docs show the line\n    \(t)\n  which `\(example.commands.map { $0.words.joined(separator: " ") }.joined(separator: " && "))` does not print (normalised:\n    \(normalised(t)))")
        }
      }
    }
    return (ran, problems)
  }

  /// The subcommands `hessrank --help` lists (lines `  name   description`).
  static func subcommands() -> [String] {
    let help = runHessrank(["--help"]).stdout
    var names: [String] = []
    for line in help.split(separator: "\n") where line.hasPrefix("  ") {
      guard let word = line.split(separator: " ").first, word.allSatisfy({ $0.isLowercase || $0 == "-" }),
            !names.contains(String(word)) else { continue }
      names.append(String(word))
    }
    return names
  }

  // MARK: Tests

  @Test func everyFileTheDocsNameExists() throws {
    var count = 0
    for file in try Self.markdownFiles() {
      let directory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : ""
      for path in Self.namedPaths(in: try Self.text(file), directory: directory).sorted() {
        count += 1
        let url = CLITestSupport.packageRoot.appendingPathComponent(path)
        #expect(FileManager.default.fileExists(atPath: url.path), "\(file) names \(path), which does not exist")
      }
    }
    #expect(count >= 40, "the docs name their examples, docs and proofs")
  }

  @Test(arguments: ["README.md", "docs/architectures.md", "docs/audit.md", "docs/bounds.md",
                    "docs/certificates.md", "docs/config.md", "docs/matrix-rank.md", "docs/sweeps.md",
                    "docs/verify-float-ce.md"])
  func theCommandsOfADocRunAsShown(file: String) throws {
    let examples = Self.examples(inMarkdown: try Self.text(file), source: file)
    let (ran, problems) = try Self.check(examples)
    for p in problems { Issue.record(Comment(rawValue: p)) }
    // At least the commands these docs show today (a reader that finds none is broken).
    let least = ["README.md": 8, "docs/architectures.md": 8, "docs/matrix-rank.md": 2, "docs/bounds.md": 1]
    #expect(ran >= least[file, default: 0], "\(file): commands run: \(ran)")
  }

  @Test func everyMarkdownFileIsCovered() throws {
    let listed: Set<String> = ["README.md", "docs/architectures.md", "docs/audit.md", "docs/bounds.md",
                               "docs/certificates.md", "docs/config.md", "docs/matrix-rank.md",
                               "docs/sweeps.md", "docs/verify-float-ce.md"]
    #expect(Set(try Self.markdownFiles()).isSubset(of: listed), "add new docs to theCommandsOfADocRunAsShown")
  }

  @Test func theHelpExamplesRun() throws {
    let commands = Self.subcommands()
    #expect(commands.count >= 10, "subcommands: \(commands)")
    var withExamples = 0
    for name in commands {
      let help = runHessrank([name, "--help"])
      #expect(help.status == 0, "\(name) --help exited \(help.status)")
      let examples = Self.examples(inHelp: help.stdout, source: "hessrank \(name) --help")
      if examples.isEmpty { Issue.record("hessrank \(name) --help shows no EXAMPLE section"); continue }
      withExamples += 1
      let (_, problems) = try Self.check(examples)
      for p in problems { Issue.record(Comment(rawValue: p)) }
    }
    #expect(withExamples == commands.count)
  }

  // MARK: The reader itself

  @Test func readingCommandsAndOutput() {
    let md = """
      ```
      $ hessrank rank "1x12 conv(2,k=3) dense(2)" \\
          --json
      H_o      24    J (200×46)         proved                 0.032
      ...
      $ hessrank describe "1x16 conv(4,q=3) dense(2)"
      hessrank: error: invalid architecture
      $ python3 x.py
      out
      ```
      ```sh
      hessrank matrix-rank m.txt --certificate c.json && hessrank check c.json   # exits 3
      hessrank table <SWEEP.json> [--out FILE]
      ```
      It prints
      ```
      rank  3
      ```
      """
    let ex = Self.examples(inMarkdown: md, source: "t")
    #expect(ex.count == 3)
    #expect(ex[0].commands[0].words == ["hessrank", "rank", "1x12 conv(2,k=3) dense(2)", "--json"])
    #expect(ex[0].commands[0].expectedStatus == 0)
    #expect(ex[0].shown.count == 2)
    #expect(ex[1].commands[0].expectedStatus == 2)
    #expect(ex[2].commands.map(\.words) == [["hessrank", "matrix-rank", "m.txt", "--certificate", "c.json"], ["hessrank", "check", "c.json"]])
    #expect(ex[2].commands.map(\.expectedStatus) == [0, 3])
    #expect(ex[2].shown == ["rank  3"])
    #expect(Self.split("hessrank certify X --formula 'outer: q*(r+K-q)' # note").words.last == "outer: q*(r+K-q)")
    let help = "USAGE\n\nEXAMPLES:\n  hessrank bounds\n  hessrank verify-float A \\\n    --data x.npy\n\nEXIT CODES: 0\n"
    #expect(Self.examples(inHelp: help, source: "h").first?.commands.map(\.words) == [["hessrank", "bounds"], ["hessrank", "verify-float", "A", "--data", "x.npy"]])
  }

  @Test func normalisationIgnoresOnlyTimings() {
    #expect(Self.appears("H_o   24   J (200×46)   proved   0.032", in: ["H_o      24    J (200×46)         proved                 1.250"]))
    #expect(!Self.appears("H_o   24   J (200×46)   proved   0.032", in: ["H_o      25    J (200×46)         proved                 0.032"]))
    #expect(Self.appears("table: 6 of 6 rows in 2s (2 jobs", in: ["table: 6 of 6 rows in 3m37s (2 jobs on 2 CPUs)"]))
    #expect(Self.appears("probability ≤ 1.800e-03 (N", in: ["x probability ≤ 1.800e-03 (N/(2B+1))"]))
    #expect(!Self.appears("probability ≤ 1.800e-03", in: ["probability ≤ 1.900e-03"]))
    #expect(Self.appears("known ids: fc-outer, …", in: ["known ids: fc-outer, fc-loss"]))
    #expect(Self.appears("time  0.001 s", in: ["time         0.250 s"]))
    #expect(Self.appears("≢ 0 mod 31559263) and", in: ["x ≢ 0 mod 19813103) and 2"]))
    #expect(!Self.appears("modulo 3 primes", in: ["modulo 4 primes"]))
  }

  @Test func pathExtraction() {
    let paths = Self.namedPaths(in: "see `examples/a.txt`, [b](docs/b.md#x), `examples/configs/*.json`, `src/x`, proofs/c.json.",
                                directory: "")
    #expect(paths == ["examples/a.txt", "docs/b.md", "proofs/c.json"])
    #expect(Self.namedPaths(in: "[x](../BENCHMARKS.md) [y](bounds.md) [w](https://e.org/a)", directory: "docs") == ["BENCHMARKS.md", "docs/bounds.md"])
  }
}
