import ConvNet
import Exact
import Foundation
import Hessian
import Reports
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The estimated box of every `<text>` of an SVG document, and the canvas size. A character is
/// taken as 0.6 em wide (wider than Helvetica's average), ascent 0.8 em, descent 0.25 em;
/// rotated text (`rotate(-90 …)`) turns its box.
final class SVGTextBoxes: NSObject, XMLParserDelegate {
  struct Box: CustomStringConvertible {
    var text: String
    var minX, minY, maxX, maxY: Double
    func overlaps(_ o: Box) -> Bool { minX < o.maxX && o.minX < maxX && minY < o.maxY && o.minY < maxY }
    var description: String { "\"\(text)\" [\(Int(minX)),\(Int(minY))–\(Int(maxX)),\(Int(maxY))]" }
  }

  var width = 0.0, height = 0.0
  var boxes: [Box] = []
  private var pending: [String: String]?
  private var content = ""

  func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
              attributes: [String: String] = [:]) {
    if name == "svg" {
      width = Double(attributes["width"] ?? "") ?? 0
      height = Double(attributes["height"] ?? "") ?? 0
    }
    if name == "text" { pending = attributes; content = "" }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { if pending != nil { content += string } }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    guard name == "text", let a = pending else { return }
    pending = nil
    let x = Double(a["x"] ?? "") ?? 0, y = Double(a["y"] ?? "") ?? 0, size = Double(a["font-size"] ?? "") ?? 16
    let w = Double(content.count) * size * 0.6
    let start: Double
    switch a["text-anchor"] ?? "start" {
    case "middle": start = -w / 2
    case "end": start = -w
    default: start = 0
    }
    if (a["transform"] ?? "").hasPrefix("rotate(-90") {
      boxes.append(Box(text: content, minX: x - 0.8 * size, minY: y - start - w, maxX: x + 0.25 * size, maxY: y - start))
    } else {
      boxes.append(Box(text: content, minX: x + start, minY: y - 0.8 * size, maxX: x + start + w, maxY: y + 0.25 * size))
    }
  }

  static func of(_ svg: String) -> SVGTextBoxes {
    let b = SVGTextBoxes()
    let p = XMLParser(data: Data(svg.utf8))
    p.delegate = b
    _ = p.parse()
    return b
  }

  /// Pairs of text boxes that overlap, and boxes that leave the canvas.
  var problems: [String] {
    var out: [String] = []
    for b in boxes where b.minX < 0 || b.minY < 0 || b.maxX > width || b.maxY > height {
      out.append("\(b) leaves the \(Int(width))×\(Int(height)) canvas")
    }
    for i in boxes.indices {
      for j in boxes.indices where j > i && boxes[i].overlaps(boxes[j]) { out.append("\(boxes[i]) overlaps \(boxes[j])") }
    }
    return out
  }
}

/// The bundled sweep rows (docs/sweeps/*.jsonl).
func bundledSweepRows() throws -> [(name: String, rows: [TableRow])] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  let dir = root.appendingPathComponent("docs/sweeps")
  let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jsonl") }.sorted()
  return try files.map { ($0, try RowJournal.read(path: dir.appendingPathComponent($0).path).latestByKey) }
}

/// Rows whose bound columns are long user formulas, and three groups.
func longLabelRows() throws -> [TableRow] {
  let arch = try Architecture(parsing: "1x8 conv(2,k=3) dense(2)")
  var rows: [TableRow] = []
  for (i, (depth, m)) in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (3, 3)].enumerated() {
    let ranks = [10 * m, 4 * m * depth, 12 * m * depth]
    rows.append(TableRow(
      key: "k\(i)", sweep: "0123456789abcdef", index: i, total: 9, configIndex: i, seedIndex: 0,
      settings: [AxisSetting(name: "depth", value: String(depth)), AxisSetting(name: "m", value: String(m))],
      config: NetworkConfig(architecture: arch, instance: InstanceSettings(samples: 10, seed: 1)),
      p: 30 * m * m * depth, n: 10, k: 2, dataRank: 8, method: "certified",
      ranks: zip(HessianKind.allCases, ranks).map { RankEntry(kind: $0, rank: $1, proved: true) },
      annotations: [
        .bound("formula-1", .outer, column: "rank(H_o) = K*rho + min(qhat*(rhat-qhat), min(K, m[1]*dp)*(rc-rho)) over all layers", value: BigInt(10 * m), rank: ranks[0]),
        .bound("formula-2", .functional, column: "rank(H_f) <= 2*c0*sum(l=1..Lc, m[l]*RF[l])", value: BigInt(5 * m * depth), rank: ranks[1]),
        .bound("huge", .loss, value: BigInt(100_000 * m), rank: ranks[2]),
      ],
      seconds: 0.1))
  }
  return rows
}

/// No text of a figure runs into another or off the canvas, whatever the rows, size and font.
@Suite struct PlotLayoutTests {
  @Test func bundledFiguresHaveNoOverlappingText() throws {
    let sweeps = try bundledSweepRows()
    #expect(sweeps.count >= 3)
    for (name, rows) in sweeps {
      for options in [PlotOptions(), PlotOptions(width: 700, fontSize: 9), PlotOptions(fontSize: 16, logX: true, logY: true, showP: true)] {
        let svg = try RankPlot(rows: rows, title: "\(name): a title long enough to need wrapping on a narrow figure, surely", options: options).svg()
        let boxes = SVGTextBoxes.of(svg)
        #expect(boxes.boxes.count > 20)
        #expect(boxes.problems.isEmpty, "\(name) \(options): \(boxes.problems.prefix(5))")
      }
    }
  }

  @Test func longLabelsGoToAKeyAndNothingOverlaps() throws {
    let rows = try longLabelRows()
    for options in [PlotOptions(), PlotOptions(width: 400, columns: 1), PlotOptions(width: 500, fontSize: 14)] {
      let svg = try RankPlot(rows: rows, xAxis: "m", options: options).svg()
      let boxes = SVGTextBoxes.of(svg)
      #expect(boxes.problems.isEmpty, "\(options): \(boxes.problems.prefix(5))")
      let texts = boxes.boxes.map(\.text)
      // Panels lettered (a)…(d) once each; the log–log panel last.
      for (i, letter) in ["a", "b", "c", "d"].enumerated() {
        #expect(texts.filter { $0.hasPrefix("(\(letter))") }.count == 1, "\(letter)")
        if i == 3 { #expect(texts.contains { $0.hasPrefix("(d) rank against p") }) }
      }
      #expect(texts.contains("[1]"), "a label too long for the legend gets a key number")
      #expect(texts.contains { $0.hasPrefix("[1] rank(H_o) = K*rho") })
      #expect(texts.contains("huge (off scale)"), "a bound far above the ranks is cut and says so")
    }
  }

  @Test func logLogPanelFitsTheSlopeOfEachSeries() throws {
    // rank H_o = 10m with p = 30m²·depth: slope 1/2 within each depth; H_f = 4m·depth: slope 1/2.
    let rows = try longLabelRows()
    let csv = parseCSV(try RankPlot(rows: rows, xAxis: "m").csv())
    #expect(csv[0] == ["panel", "x_axis", "series", "x", "y", "fitted_slope"])
    let logLog = csv.dropFirst().filter { $0[0] == "d" && $0[2].hasPrefix("H_") }
    #expect(logLog.count == 27)
    for record in logLog { #expect(abs(Double(record[5])! - 0.5) < 1e-9, "\(record)") }
    let against = csv.dropFirst().filter { $0[0] == "a" && $0[2] == "rank H_o" }
    #expect(against.map { $0[3] } == ["1", "2", "3"] && against.map { $0[4] } == ["10", "20", "30"])
    #expect(!csv.contains { $0.count > 2 && $0[2] == "p" }, "p is a reference only on request")
    #expect(try RankPlot(rows: rows, options: PlotOptions(showP: true)).csv().contains(",p,"))
  }

  @Test func defaultAxisIsTheIntegerAxisWithMostValues() throws {
    #expect(RankPlot.defaultAxis(try longLabelRows()) == "depth", "a tie goes to the first")
    var rows = try longLabelRows()
    rows.removeAll { $0.settings[0].value == "3" }
    #expect(RankPlot.defaultAxis(rows) == "m")
  }
}
