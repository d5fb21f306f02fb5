import Foundation
import Reports
import Testing

/// `--columns` and the LaTeX table: chosen columns in order, compact headers with the claims
/// under the table, and a document that pdflatex compiles (where TeX is installed).
@Suite struct LatexTableTests {
  @Test func columnsAreChosenAndOrdered() throws {
    let rows = try syntheticRows()
    let renderer = TableRenderer(rows: rows, columns: ["outer-linear", "H_o", "m", "time"])
    let md = renderer.render(.md)
    #expect(md.hasPrefix("| outer-linear | rank H_o | m | time (s) |\n|---:|---:|---:|---:|\n"))
    let tex = renderer.render(.tex)
    let header = try #require(tex.split(separator: "\n").first { $0.hasPrefix("\\texttt{outer-linear}") })
    #expect(header == "\\texttt{outer-linear} & $\\mathrm{rk}\\,H_{o}$ & $m$ & time (s) \\\\")
    #expect(tex.contains("\\begin{tabular}{rrrr}"), "numbers right-aligned")
    #expect(TableRenderer.unknownColumns(["m", "H_o", "outer-linear", "tme"], axes: ["m"], bounds: ["outer-linear"]) == ["tme"])
  }

  @Test func claimsAreListedUnderTheTable() throws {
    let tex = TableRenderer(rows: try syntheticRows(), boundClaims: ["outer-linear": "rank(H_o) <= p - 1"]).render(.tex)
    #expect(tex.contains("\\texttt{outer-linear}: \\texttt{rank(H\\_o) $\\le$ p - 1}") || tex.contains("\\texttt{outer-linear}: \\texttt{rank(H\\_o) $<$= p - 1}"))
    #expect(tex.contains("Marks after a bound's value:"))
  }

  /// pdflatex, if installed.
  static var pdflatex: String? {
    ["/usr/bin/pdflatex", "/usr/local/bin/pdflatex"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  @Test(.enabled(if: pdflatex != nil, "pdflatex is not installed"))
  func theBundledTablesCompileWithPdflatex() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var body = ""
    for (name, rows) in try bundledSweepRows() {
      body += "\\section*{\(TableRenderer.latexEscaped(name))}\n\\resizebox{\\textwidth}{!}{\\begin{minipage}{1.6\\textwidth}\n"
      body += TableRenderer(rows: rows, title: name).render(.tex) + "\\end{minipage}}\n\n"
    }
    body += TableRenderer(rows: try syntheticRows(), title: "special_characters").render(.tex)
    let document = """
      \\documentclass{article}
      \\usepackage[T1]{fontenc}
      \\usepackage[margin=1.5cm,landscape]{geometry}
      \\usepackage{booktabs,graphicx}
      \\begin{document}
      \(body)
      \\end{document}
      """
    try document.write(to: dir.appendingPathComponent("t.tex"), atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Self.pdflatex!)
    p.arguments = ["-interaction=nonstopmode", "-halt-on-error", "t.tex"]
    p.currentDirectoryURL = dir
    let console = dir.appendingPathComponent("console.txt")
    _ = FileManager.default.createFile(atPath: console.path, contents: nil)
    let handle = try FileHandle(forWritingTo: console)
    defer { try? handle.close() }
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    p.waitUntilExit()
    let log = (try? String(contentsOf: dir.appendingPathComponent("t.log"), encoding: .utf8)) ?? ""
    #expect(p.terminationStatus == 0, "\(log.split(separator: "\n").filter { $0.hasPrefix("!") }.prefix(5))")
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("t.pdf").path))
    #expect(!log.contains("Undefined control sequence"))
  }
}
