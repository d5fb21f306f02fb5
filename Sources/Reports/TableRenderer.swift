import ConvNet
import Foundation
import Hessian
import RankBounds

/// The output formats of a table.
public enum TableFormat: String, CaseIterable, Sendable {
  /// GitHub Markdown (for READMEs).
  case md
  /// RFC 4180 CSV (CRLF line ends, quoted fields when needed), one row per config and seed.
  case csv
  /// A JSON object with the rows (every field of the rows file).
  case json
  /// A LaTeX `tabular` in booktabs style (`\toprule`, `\midrule`, `\bottomrule`).
  case tex

  /// The format a file name's extension asks for (`.md`, `.csv`, `.json`, `.tex`), if any.
  public init?(fileName: String) {
    let ext = (fileName as NSString).pathExtension.lowercased()
    switch ext {
    case "md", "markdown": self = .md
    case "csv": self = .csv
    case "json": self = .json
    case "tex": self = .tex
    default: return nil
    }
  }
}

/// Renders finished rows as Markdown, CSV, JSON or LaTeX.
///
/// Markdown and LaTeX show one line per config, with the seeds merged when every seed gave the
/// same ranks and bound values (otherwise one line per seed); axes with a single value and
/// bound columns that apply to no row are left out. CSV and JSON keep every row and field.
public struct TableRenderer: Sendable {
  /// The rows, in the order shown.
  public let rows: [TableRow]
  /// A title (JSON `name`, LaTeX comment).
  public let title: String?
  /// The columns of the Markdown and LaTeX tables, by id and in this order (`columnIDs`); nil:
  /// every column (LaTeX: every column but `time`).
  public let columnSelection: [String]?
  /// The claim of each bound id (`rank(H_o) = q*(r+K-q)`), listed under a LaTeX table whose
  /// headers are the ids.
  public let boundClaims: [String: String]

  /// A renderer for `rows` (sorted by their index in the sweep).
  public init(rows: [TableRow], title: String? = nil, columns: [String]? = nil, boundClaims: [String: String] = [:]) {
    self.rows = rows.sorted { $0.index < $1.index }
    self.title = title
    self.columnSelection = columns
    self.boundClaims = boundClaims
  }

  /// The fixed column ids, besides the sweep's axis names and bound ids.
  public static let fixedColumnIDs = ["network", "n", "seed", "p", "K", "r", "H_o", "H_f", "H_L", "time"]

  /// The ids in `selection` that name no column of a table with these axes and bounds.
  public static func unknownColumns(_ selection: [String], axes: [String], bounds: [String]) -> [String] {
    let known = Set(fixedColumnIDs + axes + bounds)
    return selection.filter { !known.contains($0) }
  }

  /// The table in `format`, ending with a newline.
  public func render(_ format: TableFormat) -> String {
    switch format {
    case .md: return markdown()
    case .csv: return csv()
    case .json: return json()
    case .tex: return latex()
    }
  }

  // MARK: Columns shared by Markdown and LaTeX

  /// A cell of the human-readable tables.
  struct Cell {
    var text: String
    var strong = false
    var code = false
    var missing = false
  }

  struct Column {
    /// The name `--columns` selects it by: an axis, a bound id, or one of `fixedColumnIDs`.
    var id: String
    var markdown: String
    var latex: String
    var numeric: Bool
    var cell: (DisplayRow) -> Cell
  }

  /// One displayed line: a row, or several seeds of one config that agree.
  struct DisplayRow {
    var row: TableRow
    var seeds: [UInt64]
    var seconds: Double
  }

  /// The Hessians, in the order of the first row.
  var kinds: [HessianKind] {
    var out: [HessianKind] = []
    for r in rows { for e in r.ranks where !out.contains(e.kind) { out.append(e.kind) } }
    return out
  }

  /// Axis names in order of appearance.
  var axisNames: [String] {
    var out: [String] = []
    for r in rows { for s in r.settings where !out.contains(s.name) { out.append(s.name) } }
    return out
  }

  /// Annotation columns in order of appearance: (column, bound id, hessian).
  var annotationColumns: [(column: String, hessian: HessianKind?)] {
    var out: [(String, HessianKind?)] = []
    for r in rows { for a in r.annotations where !out.contains(where: { $0.0 == a.column }) { out.append((a.column, a.hessian)) } }
    return out
  }

  /// Merges the seeds of a config when they agree.
  var displayRows: [DisplayRow] {
    var groups: [[TableRow]] = []
    for r in rows {
      if let last = groups.last?.last, last.configIndex == r.configIndex, last.sweep == r.sweep { groups[groups.count - 1].append(r) }
      else { groups.append([r]) }
    }
    var out: [DisplayRow] = []
    for g in groups {
      let first = g[0]
      let agree = g.allSatisfy {
        $0.ranks == first.ranks && $0.dataRank == first.dataRank
          && $0.annotations.map { [$0.value, $0.verdict?.rawValue] } == first.annotations.map { [$0.value, $0.verdict?.rawValue] }
      }
      if agree {
        out.append(DisplayRow(row: first, seeds: g.map(\.config.instance.seed), seconds: g.reduce(0) { $0 + $1.seconds }))
      } else {
        out += g.map { DisplayRow(row: $0, seeds: [$0.config.instance.seed], seconds: $0.seconds) }
      }
    }
    return out
  }

  static func seedText(_ seeds: [UInt64]) -> String {
    if seeds.count > 2, zip(seeds, seeds.dropFirst()).allSatisfy({ $1 == $0 &+ 1 }) {
      return "\(seeds[0])–\(seeds[seeds.count - 1])"
    }
    return seeds.map(String.init).joined(separator: ", ")
  }

  static func latexName(_ s: String) -> String {
    s.count == 1 && s.first!.isLetter ? "$\(s)$" : "\\texttt{\(latexEscaped(s))}"
  }

  var columns: [Column] {
    var cols: [Column] = []
    let shown = displayRows
    for name in axisNames {
      let values = Set(rows.map { r in r.settings.first { $0.name == name }?.value ?? "" })
      guard values.count > 1 else { continue }
      let numeric = values.allSatisfy { Int($0) != nil }
      cols.append(Column(id: name, markdown: name, latex: Self.latexName(name), numeric: numeric) { d in
        Cell(text: d.row.settings.first { $0.name == name }?.value ?? "")
      })
    }
    cols.append(Column(id: "network", markdown: "network", latex: "network", numeric: false) { Cell(text: $0.row.config.architecture.description, code: true) })
    cols.append(Column(id: "n", markdown: "n", latex: "$n$", numeric: true) { Cell(text: String($0.row.n)) })
    let multiSeed = shown.contains { $0.seeds.count > 1 }
    cols.append(Column(id: "seed", markdown: multiSeed ? "seeds" : "seed", latex: multiSeed ? "seeds" : "seed", numeric: !multiSeed) {
      Cell(text: Self.seedText($0.seeds))
    })
    cols.append(Column(id: "p", markdown: "p", latex: "$p$", numeric: true) { Cell(text: String($0.row.p)) })
    cols.append(Column(id: "K", markdown: "K", latex: "$K$", numeric: true) { Cell(text: String($0.row.k)) })
    cols.append(Column(id: "r", markdown: "r", latex: "$r$", numeric: true) { Cell(text: String($0.row.dataRank)) })
    for kind in kinds {
      cols.append(Column(id: kind.symbol, markdown: "rank \(kind.symbol)", latex: "$\\mathrm{rk}\\,H_{\(kind.symbol.dropFirst(2))}$", numeric: true) { d in
        guard let e = d.row.rank(kind) else { return Cell(text: "", missing: true) }
        return Cell(text: e.proved ? String(e.rank) : "\(e.rank)*")
      })
    }
    for (column, _) in annotationColumns {
      let values = rows.compactMap { r in r.annotations.first { $0.column == column }?.value }
      guard !values.isEmpty else { continue }  // applies to no row
      let id = rows.lazy.compactMap { r in r.annotations.first { $0.column == column }?.bound }.first ?? column
      let latexHeader = column == "√p" ? "$\\sqrt{p}$" : "\\texttt{\(Self.latexEscaped(id))}"
      cols.append(Column(id: id, markdown: column, latex: latexHeader, numeric: true) { d in
        guard let a = d.row.annotations.first(where: { $0.column == column }), let v = a.value else {
          return Cell(text: "–", missing: true)
        }
        guard let verdict = a.verdict else { return Cell(text: v) }
        return Cell(text: "\(v) \(verdict.rawValue)", strong: verdict == .violated || verdict == .short)
      })
    }
    cols.append(Column(id: "time", markdown: "time (s)", latex: "time (s)", numeric: true) { Cell(text: String(format: "%.2f", $0.seconds)) })
    return cols
  }

  /// The columns selected for a format, in the selection's order.
  func selectedColumns(_ format: TableFormat) -> [Column] {
    let all = columns
    guard let selection = columnSelection else { return format == .tex ? all.filter { $0.id != "time" } : all }
    return selection.compactMap { id in all.first { $0.id == id } }
  }

  var footnotes: [String] {
    var notes: [String] = []
    if rows.contains(where: { $0.ranks.contains { !$0.proved } }) {
      notes.append("* modular rank: a proved lower bound, equal to the rank over Q with high probability (not certified).")
    }
    if rows.contains(where: { $0.annotations.contains { $0.verdict != nil } }) {
      notes.append("Verdicts: TIGHT rank = bound, HOLDS rank < upper bound, SHORT rank < claimed formula, VIOLATED rank > bound (at these seeded points).")
    }
    return notes
  }

  // MARK: Markdown

  func markdown() -> String {
    let cols = selectedColumns(.md)
    let shown = displayRows
    func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
    var lines: [String] = []
    lines.append("| " + cols.map { esc($0.markdown) }.joined(separator: " | ") + " |")
    lines.append("|" + cols.map { $0.numeric ? "---:" : ":---" }.joined(separator: "|") + "|")
    for d in shown {
      let cells = cols.map { c -> String in
        let cell = c.cell(d)
        var t = esc(cell.text)
        if cell.code { t = "`\(cell.text)`" }
        if cell.strong { t = "**\(t)**" }
        return t
      }
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    let notes = footnotes
    if !notes.isEmpty { lines.append("") }
    for n in notes { lines.append(n.hasPrefix("*") ? "\\" + n : n) }
    return lines.joined(separator: "\n") + "\n"
  }

  // MARK: LaTeX

  /// Escapes text for LaTeX: `\ { } _ % & # $ ~ ^`, and the few Unicode signs the cells use.
  public static func latexEscaped(_ s: String) -> String {
    var out = ""
    for ch in s {
      switch ch {
      case "\\": out += "\\textbackslash{}"
      case "{", "}", "_", "%", "&", "#", "$": out += "\\" + String(ch)
      case "~": out += "\\textasciitilde{}"
      case "^": out += "\\textasciicircum{}"
      case "–": out += "--"
      case "√": out += "$\\surd$"
      case "≤": out += "$\\le$"
      case "<": out += "$<$"
      case ">": out += "$>$"
      case "*": out += "$^*$"
      default: out.append(ch)
      }
    }
    return out
  }

  /// The mark after a bound value in LaTeX: how the rank compares with the bound.
  static let verdictMarks = ["TIGHT": "=", "HOLDS": "<", "VIOLATED": ">"]

  func latex() -> String {
    let cols = selectedColumns(.tex)
    let shown = displayRows
    var lines: [String] = []
    lines.append("% Generated by hessrank table\(title.map { ": " + $0.replacingOccurrences(of: "\n", with: " ") } ?? ""). Needs \\usepackage{booktabs}.")
    lines.append("\\begin{tabular}{" + cols.map { $0.numeric ? "r" : "l" }.joined() + "}")
    lines.append("\\toprule")
    lines.append(cols.map(\.latex).joined(separator: " & ") + " \\\\")
    lines.append("\\midrule")
    var verdictsShown: [String] = []
    for d in shown {
      let cells = cols.map { c -> String in
        let cell = c.cell(d)
        if cell.missing { return "--" }
        var text = cell.text
        var mark = ""
        if let a = d.row.annotations.first(where: { $0.bound == c.id }), let v = a.verdict, let value = a.value {
          text = value
          mark = Self.verdictMarks[v.rawValue] ?? v.rawValue.lowercased()
          if !verdictsShown.contains(v.rawValue) { verdictsShown.append(v.rawValue) }
        }
        var t = Self.latexEscaped(text)
        if cell.code { t = "\\texttt{\(t)}" }
        if cell.strong { t = "\\textbf{\(t)}" }
        if !mark.isEmpty { t += "\\rlap{$^{\(Self.latexEscaped(mark).replacingOccurrences(of: "$", with: ""))}$}" }
        return t
      }
      lines.append(cells.joined(separator: " & ") + " \\\\")
    }
    lines.append("\\bottomrule")
    lines.append("\\end{tabular}")
    // Under the table: the marks, the modular note and the bounds' claims.
    var notes: [String] = []
    let shownIDs = Set(cols.map(\.id))
    if !verdictsShown.isEmpty {
      let words = ["TIGHT": "rank = bound (tight)", "HOLDS": "rank < bound", "VIOLATED": "rank > bound (violated, bold)"]
      notes.append("Marks after a bound's value: " + Verdict.allCases.map(\.rawValue).filter(verdictsShown.contains).map { v in
        "$^{\(Self.latexEscaped(Self.verdictMarks[v] ?? v.lowercased()).replacingOccurrences(of: "$", with: ""))}$ \(Self.latexEscaped(words[v] ?? v))"
      }.joined(separator: ", ") + ", at these seeded points.")
    }
    if shown.contains(where: { d in d.row.ranks.contains { !$0.proved && shownIDs.contains($0.kind.symbol) } }) {
      notes.append("$^*$ modular rank: a proved lower bound, equal to the rank over $\\mathbb{Q}$ with high probability (not certified).".replacingOccurrences(of: "\\mathbb{Q}", with: "\\mathrm{Q}"))
    }
    for c in cols where c.id != "sqrt-p" && c.latex.hasPrefix("\\texttt{") {
      let claim = boundClaims[c.id] ?? (c.markdown != c.id ? c.markdown : nil)
      if let claim { notes.append("\\texttt{\(Self.latexEscaped(c.id))}: \\texttt{\(Self.latexEscaped(claim))}") }
    }
    if !notes.isEmpty {
      lines.append("\\par\\smallskip")
      lines.append("{\\footnotesize")
      lines.append(notes.joined(separator: "\\\\\n") + "}")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  // MARK: CSV

  /// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
  public static func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  func csv() -> String {
    let axes = axisNames
    let kinds = self.kinds
    let applicable = annotationColumns.filter { c in rows.contains { r in r.annotations.contains { $0.column == c.column && $0.value != nil } } }
    let annotations = applicable.map(\.column)
    let withVerdict = Set(applicable.filter { $0.hessian != nil }.map(\.column))
    var header = ["index", "config_index", "seed_index"] + axes
    header += ["architecture", "n", "seed", "range", "max_denominator", "targets", "p", "K", "r", "method"]
    for k in kinds { header += ["rank \(k.symbol)", "proved \(k.symbol)"] }
    for a in annotations { header += withVerdict.contains(a) ? [a, "\(a) verdict"] : [a] }
    header += ["seconds", "key"]
    var lines = [header.map(Self.csvField).joined(separator: ",")]
    for r in rows {
      let s = r.config.instance
      var f = [String(r.index), String(r.configIndex), String(r.seedIndex)]
      f += axes.map { name in r.settings.first { $0.name == name }?.value ?? "" }
      f += [r.config.architecture.description, String(r.n), String(s.seed), String(s.range), String(s.maxDenominator),
            s.targets.rawValue, String(r.p), String(r.k), String(r.dataRank), r.method]
      for k in kinds {
        let e = r.rank(k)
        f += [e.map { String($0.rank) } ?? "", e.map { $0.proved ? "true" : "false" } ?? ""]
      }
      for a in annotations {
        let x = r.annotations.first { $0.column == a }
        f += withVerdict.contains(a) ? [x?.value ?? "", x?.verdict?.rawValue ?? ""] : [x?.value ?? ""]
      }
      f += [String(format: "%.3f", r.seconds), r.key]
      lines.append(f.map(Self.csvField).joined(separator: ","))
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  // MARK: JSON

  func json() -> String {
    var pairs: [(key: String, value: JSONValue)] = []
    if let title { pairs.append(("name", .string(title))) }
    let sweeps = Array(Set(rows.map(\.sweep))).sorted()
    pairs.append(("sweep", sweeps.count == 1 ? .string(sweeps[0]) : .array(sweeps.map(JSONValue.string))))
    pairs.append(("rows", .array(rows.map(\.jsonValue))))
    return JSONValue.object(pairs).serialized() + "\n"
  }
}
