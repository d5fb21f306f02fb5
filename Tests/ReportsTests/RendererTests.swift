import ConvNet
import Exact
import Foundation
import Hessian
import Reports
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Hand-made rows with awkward text: commas, quotes, LaTeX specials, XML specials.
func syntheticRows() throws -> [TableRow] {
  let arch = try Architecture(parsing: "1x8 conv(2,k=3) dense(2)")
  func row(_ index: Int, config: Int, seed: UInt64, label: String, ranks: [Int], proved: Bool) -> TableRow {
    let kinds = HessianKind.allCases
    return TableRow(
      key: "k\(index)", sweep: "0123456789abcdef", index: index, total: 4, configIndex: config, seedIndex: Int(seed) - 1,
      settings: [AxisSetting(name: "m", value: String(config + 1)), AxisSetting(name: "act_fn", value: label)],
      config: NetworkConfig(architecture: arch, instance: InstanceSettings(samples: 10, seed: seed)),
      p: 30, n: 10, k: 2, dataRank: 8, method: proved ? "certified" : "modular",
      ranks: zip(kinds, ranks).map { RankEntry(kind: $0, rank: $1, proved: proved) },
      annotations: [.bound("outer-linear", .outer, value: BigInt(16), rank: ranks[0]),
                    .notApplicable("fc-outer", .outer, why: "not FC"),
                    Annotation(bound: "sqrt-p", hessian: nil, column: "√p", value: "5.4", verdict: nil)],
      seconds: 0.25 * Double(index + 1))
  }
  return [
    row(0, config: 0, seed: 1, label: #"a,b "q""#, ranks: [16, 6, 21], proved: true),
    row(1, config: 0, seed: 2, label: #"a,b "q""#, ranks: [16, 6, 21], proved: true),
    row(2, config: 1, seed: 1, label: "x_y%&#<>$~^\\", ranks: [18, 12, 28], proved: false),
    row(3, config: 1, seed: 2, label: "x_y%&#<>$~^\\", ranks: [17, 12, 28], proved: false),
  ]
}

/// Splits a line on separators that are not escaped with a backslash.
func unescapedSplit(_ line: String, on separator: Character) -> [String] {
  var out: [String] = [], cur = "", escaped = false
  for ch in line {
    if ch == separator && !escaped { out.append(cur); cur = "" } else { cur.append(ch) }
    escaped = ch == "\\" && !escaped
  }
  out.append(cur)
  return out
}

/// Every renderer's output parses back (CSV, JSON) or is structurally valid (Markdown, LaTeX).
@Suite struct RendererTests {
  @Test func csvParsesBackToTheRows() throws {
    let rows = try syntheticRows()
    let text = TableRenderer(rows: rows).render(.csv)
    #expect(text.hasSuffix("\r\n"))
    let records = parseCSV(text)
    #expect(records.count == 5)
    let header = records[0]
    #expect(records.allSatisfy { $0.count == header.count })
    let col = { (name: String) in try #require(header.firstIndex(of: name)) }
    #expect(records.dropFirst().map { $0[try! col("act_fn")] } == rows.map { $0.settings[1].value })
    #expect(records.dropFirst().map { $0[try! col("rank H_o")] } == ["16", "16", "18", "17"])
    #expect(records.dropFirst().map { $0[try! col("proved H_L")] } == ["true", "true", "false", "false"])
    #expect(records.dropFirst().map { $0[try! col("outer-linear verdict")] } == ["TIGHT", "TIGHT", "VIOLATED", "VIOLATED"])
    #expect(!header.contains("fc-outer"), "a bound that applies to no row has no column")
    #expect(header.contains("√p") && !header.contains("√p verdict"))
  }

  @Test func jsonParsesBackToTheRows() throws {
    let rows = try syntheticRows()
    let text = TableRenderer(rows: rows, title: "synthetic").render(.json)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(object["name"] as? String == "synthetic")
    #expect(object["sweep"] as? String == "0123456789abcdef")
    let list = try #require(object["rows"] as? [[String: Any]])
    #expect(list.count == 4)
    #expect(list.map { ($0["ranks"] as? [String: Int])?["H_o"] } == [16, 16, 18, 17])
    // The exact reader gives the same rows back.
    let parsed = try #require(try JSONValue.parse(Array(text.utf8))["rows"])
    guard case .array(let items) = parsed else { Issue.record("rows is not an array"); return }
    #expect(try items.map { try TableRow(json: $0) } == rows)
  }

  @Test func latexTabularHasMatchingColumnsAndEscapes() throws {
    let text = TableRenderer(rows: try syntheticRows(), title: "a_b").render(.tex)
    let lines = text.split(separator: "\n").map(String.init)
    let begin = try #require(lines.firstIndex { $0.hasPrefix("\\begin{tabular}{") })
    let spec = lines[begin].dropFirst("\\begin{tabular}{".count).dropLast()
    #expect(spec.allSatisfy { $0 == "l" || $0 == "r" })
    let top = try #require(lines.firstIndex(of: "\\toprule"))
    let mid = try #require(lines.firstIndex(of: "\\midrule"))
    let bottom = try #require(lines.firstIndex(of: "\\bottomrule"))
    #expect(begin < top && top < mid && mid < bottom && lines[bottom + 1] == "\\end{tabular}")
    let body = Array(lines[(top + 1)..<bottom]).filter { $0 != "\\midrule" }
    // Header + config 0 (seeds agree: one line) + config 1 (seeds disagree: two lines).
    #expect(body.count == 4)
    for line in body {
      #expect(line.hasSuffix(" \\\\"))
      #expect(unescapedSplit(String(line.dropLast(3)), on: "&").count == spec.count, "\(line)")
    }
    #expect(text.contains(##"x\_y\%\&\#$<$$>$\$\textasciitilde{}\textasciicircum{}\textbackslash{}"##))
    #expect(text.contains("1, 2"), "merged seeds")
    #expect(text.contains("\\textbf{16}\\rlap{$^{>}$}"), "a violated bound: bold, marked >")
    #expect(!text.contains("time (s)"), "no time column unless asked")
    #expect(text.contains("\\texttt{outer-linear}"), "bound ids as headers")
  }

  @Test func markdownRowsHaveTheHeaderColumnCount() throws {
    let text = TableRenderer(rows: try syntheticRows()).render(.md)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let table = lines.prefix { $0.hasPrefix("|") }
    #expect(table.count == 5)
    let count = unescapedSplit(table[0], on: "|").count
    #expect(table.allSatisfy { unescapedSplit($0, on: "|").count == count })
    #expect(table[1].allSatisfy { "|-: ".contains($0) })
    #expect(text.contains("18*"), "unproved ranks are marked")
    #expect(text.contains("**16 VIOLATED**"), "violations stand out")
    #expect(text.contains("\\* modular rank"))
  }

  @Test func formatsFromFileNames() {
    #expect(TableFormat(fileName: "docs/t.md") == .md)
    #expect(TableFormat(fileName: "t.CSV") == .csv)
    #expect(TableFormat(fileName: "a/b.tex") == .tex)
    #expect(TableFormat(fileName: "x.json") == .json)
    #expect(TableFormat(fileName: "x.txt") == nil)
  }
}

/// Checks that a document is well-formed XML with an `svg` root, and collects its text.
final class SVGCheck: NSObject, XMLParserDelegate {
  var stack: [String] = []
  var root: String?
  var problems: [String] = []
  var texts: [String] = []
  var elements: [String: Int] = [:]
  private var inText = false

  func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
              attributes: [String: String] = [:]) {
    if stack.isEmpty {
      if root != nil { problems.append("second root element \(name)") }
      root = name
    }
    stack.append(name)
    elements[name, default: 0] += 1
    if name == "text" { texts.append(""); inText = true }
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    if stack.last != name { problems.append("</\(name)> closes <\(stack.last ?? "nothing")>") }
    stack.removeLast()
    if name == "text" { inText = false }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inText { texts[texts.count - 1] += string }
  }

  func parser(_ parser: XMLParser, parseErrorOccurred error: any Error) { problems.append("\(error)") }

  static func check(_ svg: String) -> SVGCheck {
    let c = SVGCheck()
    let p = XMLParser(data: Data(svg.utf8))
    p.delegate = c
    if !p.parse() { c.problems.append("parse failed: \(p.parserError.map { "\($0)" } ?? "")") }
    if !c.stack.isEmpty { c.problems.append("unclosed \(c.stack)") }
    return c
  }
}

/// The SVG figures are well-formed and show what they claim.
@Suite struct PlotTests {
  @Test func theCheckerRejectsMalformedXML() {
    #expect(!SVGCheck.check("<svg><a></svg>").problems.isEmpty)
    #expect(!SVGCheck.check("<svg><text>a & b</text></svg>").problems.isEmpty)
    #expect(SVGCheck.check("<svg><text>a &amp; b</text></svg>").problems.isEmpty)
  }

  @Test func sweepFigureIsWellFormedWithPanelsLegendAndReferenceLines() throws {
    let rows = try runSweep(try sweep(tinySweep)).rows
    let svg = try RankPlot(rows: rows, title: "tiny <sweep> & co").svg()
    let c = SVGCheck.check(svg)
    #expect(c.problems.isEmpty, "\(c.problems)")
    #expect(c.root == "svg")
    // Default axis: depth (of the integer axes with the most values, the first); one panel per m.
    #expect(c.texts.contains("(a) ranks against depth — m=1"))
    #expect(c.texts.contains("(b) ranks against depth — m=3"))
    #expect(c.texts.contains("(c) rank against p, log–log"))
    for label in ["rank H_o", "rank H_f", "rank H_L", "√p", "outer-linear", "one-conv-functional", "tiny <sweep> & co"] {
      #expect(c.texts.contains(label), "\(label)")
    }
    #expect(!c.texts.contains("p"), "p is drawn only on request")
    #expect(SVGCheck.check(try RankPlot(rows: rows, options: PlotOptions(showP: true)).svg()).texts.contains("p"))
    #expect((c.elements["polyline"] ?? 0) >= 10)
    let byM = SVGCheck.check(try RankPlot(rows: rows, xAxis: "m").svg())
    #expect(byM.problems.isEmpty)
    #expect(byM.texts.filter { $0.contains("ranks against m") }.count == 2)
    #expect(throws: SweepError.self) { try RankPlot(rows: rows, xAxis: "k").svg() }
    #expect(throws: SweepError.self) { try RankPlot(rows: [], xAxis: nil).svg() }
  }

  @Test func specialCharactersInLabelsAreEscaped() throws {
    let svg = try RankPlot(rows: try syntheticRows(), xAxis: "m").svg()
    let c = SVGCheck.check(svg)
    #expect(c.problems.isEmpty, "\(c.problems)")
    #expect(c.texts.contains { $0.contains("x_y%&#<>$~^\\") })
  }
}
