import Foundation
import Hessian

/// A minimal SVG writer: shapes and text in user units, text escaped for XML.
struct SVGCanvas {
  private(set) var body: [String] = []
  let width: Double
  let height: Double

  static func escaped(_ s: String) -> String {
    var out = ""
    for ch in s {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(ch)
      }
    }
    return out
  }

  static func f(_ x: Double) -> String { String(format: "%.1f", x) }

  mutating func raw(_ s: String) { body.append(s) }

  mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width w: Double = 1,
                     dash: String? = nil, opacity: Double = 1) {
    body.append("<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.f(w))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")\(opacity < 1 ? " stroke-opacity=\"\(Self.f(opacity))\"" : "")/>")
  }

  mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 1.5, dash: String? = nil,
                         opacity: Double = 1) {
    guard points.count > 1 else { return }
    let pts = points.map { "\(Self.f($0.0)),\(Self.f($0.1))" }.joined(separator: " ")
    body.append("<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.f(w))\" stroke-linejoin=\"round\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")\(opacity < 1 ? " stroke-opacity=\"\(Self.f(opacity))\"" : "")/>")
  }

  mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
    body.append("<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(w))\" height=\"\(Self.f(h))\" fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "")/>")
  }

  mutating func marker(_ shape: Int, _ x: Double, _ y: Double, color: String, size s: Double = 3.5) {
    switch shape % 3 {
    case 0: body.append("<circle cx=\"\(Self.f(x))\" cy=\"\(Self.f(y))\" r=\"\(Self.f(s))\" fill=\"\(color)\"/>")
    case 1: rect(x - s, y - s, 2 * s, 2 * s, fill: color)
    default:
      body.append("<polygon points=\"\(Self.f(x)),\(Self.f(y - s * 1.2)) \(Self.f(x - s * 1.1)),\(Self.f(y + s * 0.8)) \(Self.f(x + s * 1.1)),\(Self.f(y + s * 0.8))\" fill=\"\(color)\"/>")
    }
  }

  enum Anchor: String { case start, middle, end }

  mutating func text(_ s: String, _ x: Double, _ y: Double, size: Double = 11, anchor: Anchor = .start, bold: Bool = false,
                     rotate: Bool = false, color: String = "#222") {
    let transform = rotate ? " transform=\"rotate(-90 \(Self.f(x)) \(Self.f(y)))\"" : ""
    body.append("<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" font-size=\"\(Self.f(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(color)\"\(bold ? " font-weight=\"bold\"" : "")\(transform)>\(Self.escaped(s))</text>")
  }

  var document: String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.f(width))" height="\(Self.f(height))" viewBox="0 0 \(Self.f(width)) \(Self.f(height))" font-family="Helvetica, Arial, sans-serif">
    <rect x="0" y="0" width="\(Self.f(width))" height="\(Self.f(height))" fill="white"/>
    \(body.joined(separator: "\n"))
    </svg>

    """
  }
}

/// A linear or logarithmic axis scale with tick positions.
struct PlotScale {
  let low: Double
  let high: Double
  let logarithmic: Bool

  init(values: [Double], logarithmic: Bool, includeZero: Bool = false) {
    self.logarithmic = logarithmic
    let finite = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
    var lo = finite.min() ?? 1, hi = finite.max() ?? 10
    if logarithmic {
      // Round outwards to 1, 2 or 5 times a power of ten.
      let e = pow(10, floor(log10(lo)))
      lo = [5.0, 2, 1].map { $0 * e }.first { $0 <= lo * 1.0001 } ?? e
      let f = pow(10, floor(log10(hi)))
      hi = [1.0, 2, 5, 10].map { $0 * f }.first { $0 >= hi * 0.9999 } ?? 10 * f
      if hi <= lo { hi = lo * 10 }
    } else {
      if includeZero { lo = min(lo, 0) }
      if hi <= lo { hi = lo + 1 }
      let step = PlotScale.niceStep((hi - lo) / 5)
      lo = floor(lo / step) * step
      hi = ceil(hi / step) * step
    }
    low = lo
    high = hi
  }

  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0 else { return 1 }
    let e = pow(10, floor(log10(raw)))
    let m = raw / e
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e
  }

  /// Position in 0...1.
  func unit(_ v: Double) -> Double {
    if logarithmic { return (log10(max(v, low)) - log10(low)) / (log10(high) - log10(low)) }
    return (v - low) / (high - low)
  }

  /// Tick values with labels.
  var ticks: [(value: Double, label: String)] {
    if logarithmic {
      // 1-2-5 ticks over up to three decades, powers of ten beyond.
      let multipliers = log10(high) - log10(low) <= 3.01 ? [1.0, 2, 5] : [1.0]
      var out: [(Double, String)] = []
      var e = pow(10, floor(log10(low)))
      while e <= high * 1.0001 {
        for m in multipliers where m * e >= low * 0.9999 && m * e <= high * 1.0001 { out.append((m * e, PlotScale.label(m * e))) }
        e *= 10
      }
      return out
    }
    let step = PlotScale.niceStep((high - low) / 5)
    var out: [(Double, String)] = []
    var v = low
    while v <= high + step * 1e-9 {
      out.append((v, PlotScale.label(v)))
      v += step
    }
    return out
  }

  static func label(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%g", v)
  }
}

/// SVG figures of a sweep: (a) exact ranks of H_o, H_f, H_L against a swept axis with the
/// bound curves, p and √p (one panel per combination of the other axes), and (b) rank against
/// p on log–log axes with the √p and p reference lines.
public struct RankPlot: Sendable {
  /// The rows.
  public let rows: [TableRow]
  /// The axis on the horizontal axis of (a) (nil: the first integer axis with several values).
  public let xAxis: String?
  /// A title over the figure.
  public let title: String?

  /// A figure of `rows`.
  public init(rows: [TableRow], xAxis: String? = nil, title: String? = nil) {
    self.rows = rows.sorted { $0.index < $1.index }
    self.xAxis = xAxis
    self.title = title
  }

  static let colors: [HessianKind: String] = [.outer: "#1f77b4", .functional: "#e6550d", .loss: "#2ca02c"]
  static let markers: [HessianKind: Int] = [.outer: 0, .functional: 1, .loss: 2]
  static let dashes = ["9,5", "3,4", "14,4,3,4", "6,3,6,8"]
  static let panelWidth = 600.0, panelHeight = 330.0
  static let left = 62.0, right = 190.0, top = 40.0, bottom = 48.0

  /// The first integer-valued axis with more than one value, if any.
  public static func defaultAxis(_ rows: [TableRow]) -> String? {
    var names: [String] = []
    for r in rows { for s in r.settings where !names.contains(s.name) { names.append(s.name) } }
    return names.first { name in
      let values = rows.compactMap { r in r.settings.first { $0.name == name }?.value }
      return values.count == rows.count && values.allSatisfy { Int($0) != nil } && Set(values).count > 1 && name != "seed"
    }
  }

  /// The SVG document.
  /// - Throws: `SweepError` when there are no rows, or the x axis is unknown or not numeric.
  public func svg() throws(SweepError) -> String {
    guard !rows.isEmpty else { throw SweepError("no rows to plot") }
    let axis = xAxis ?? RankPlot.defaultAxis(rows)
    if let x = xAxis {
      let values = rows.map { r in r.settings.first { $0.name == x }?.value }
      guard values.allSatisfy({ $0 != nil }) else {
        let names = Set(rows.flatMap { $0.settings.map(\.name) }).sorted()
        throw SweepError("plot axis \"\(x)\" is not an axis of these rows (axes: \(names.joined(separator: ", ")))")
      }
      guard values.allSatisfy({ Int($0!) != nil }) else { throw SweepError("plot axis \"\(x)\" has non-numeric values") }
    }

    // Panels of (a): one per combination of the other axes.
    var panels: [(label: String, rows: [TableRow])] = []
    if let axis {
      for r in rows {
        let label = r.settings.filter { $0.name != axis && $0.name != "seed" }.map(\.description).joined(separator: ", ")
        if let i = panels.firstIndex(where: { $0.label == label }) { panels[i].rows.append(r) } else { panels.append((label, [r])) }
      }
    }
    let count = panels.count + 1
    let columns = count > 1 ? 2 : 1
    let gridRows = (count + columns - 1) / columns
    let titleHeight = title == nil ? 0.0 : 30.0
    var canvas = SVGCanvas(width: Double(columns) * RankPlot.panelWidth, height: titleHeight + Double(gridRows) * RankPlot.panelHeight)
    if let title { canvas.text(title, canvas.width / 2, 22, size: 15, anchor: .middle, bold: true) }
    for (i, panel) in panels.enumerated() {
      let ox = Double(i % columns) * RankPlot.panelWidth, oy = titleHeight + Double(i / columns) * RankPlot.panelHeight
      let heading = "(a) ranks against \(axis!)" + (panel.label.isEmpty ? "" : " — \(panel.label)")
      drawAgainstAxis(&canvas, rows: panel.rows, axis: axis!, heading: heading, ox: ox, oy: oy)
    }
    let j = panels.count
    drawLogLog(&canvas, ox: Double(j % columns) * RankPlot.panelWidth, oy: titleHeight + Double(j / columns) * RankPlot.panelHeight)
    return canvas.document
  }

  struct Series {
    var label: String
    var color: String
    var dash: String?
    var marker: Int?
    var width: Double
    var points: [(Double, Double)]
    var opacity = 1.0
  }

  func drawFrame(_ c: inout SVGCanvas, ox: Double, oy: Double, x: PlotScale, y: PlotScale, xTicks: [(Double, String)],
                 xLabel: String, yLabel: String, heading: String) -> (Double, Double) -> (Double, Double) {
    let w = RankPlot.panelWidth - RankPlot.left - RankPlot.right, h = RankPlot.panelHeight - RankPlot.top - RankPlot.bottom
    let x0 = ox + RankPlot.left, y0 = oy + RankPlot.top
    c.text(heading, x0, oy + 22, size: 12.5, bold: true)
    c.rect(x0, y0, w, h, fill: "none", stroke: "#444")
    for (v, label) in y.ticks {
      let py = y0 + h - y.unit(v) * h
      c.line(x0, py, x0 + w, py, stroke: "#e4e4e4")
      c.line(x0 - 4, py, x0, py, stroke: "#444")
      c.text(label, x0 - 7, py + 4, size: 10, anchor: .end)
    }
    for (v, label) in xTicks {
      let px = x0 + x.unit(v) * w
      c.line(px, y0, px, y0 + h, stroke: "#f0f0f0")
      c.line(px, y0 + h, px, y0 + h + 4, stroke: "#444")
      c.text(label, px, y0 + h + 16, size: 10, anchor: .middle)
    }
    c.text(xLabel, x0 + w / 2, y0 + h + 36, size: 11.5, anchor: .middle)
    c.text(yLabel, ox + 16, y0 + h / 2, size: 11.5, anchor: .middle, rotate: true)
    return { (vx, vy) in (x0 + x.unit(vx) * w, y0 + h - y.unit(vy) * h) }
  }

  func drawSeries(_ c: inout SVGCanvas, _ series: [Series], map: (Double, Double) -> (Double, Double), ox: Double, oy: Double) {
    // Translucent series (bounds) first, so that a tight bound shows as a halo around its rank.
    for s in series.filter({ $0.opacity < 1 }) + series.filter({ $0.opacity >= 1 }) {
      let pts = s.points.map { map($0.0, $0.1) }
      if s.width > 0 { c.polyline(pts, stroke: s.color, width: s.width, dash: s.dash, opacity: s.opacity) }
      if let m = s.marker { for p in pts { c.marker(m, p.0, p.1, color: s.color) } }
    }
    // Legend, right of the plot area.
    let lx = ox + RankPlot.panelWidth - RankPlot.right + 14
    var ly = oy + RankPlot.top + 8
    let spacing = min(17, (RankPlot.panelHeight - RankPlot.top - 12) / Double(max(1, series.count)))
    for s in series {
      if s.width > 0 { c.line(lx, ly, lx + 24, ly, stroke: s.color, width: s.width, dash: s.dash, opacity: s.opacity) }
      if let m = s.marker { c.marker(m, lx + 12, ly, color: s.color) }
      c.text(s.label, lx + 30, ly + 4, size: min(10.5, spacing - 1))
      ly += spacing
    }
  }

  func drawAgainstAxis(_ c: inout SVGCanvas, rows: [TableRow], axis: String, heading: String, ox: Double, oy: Double) {
    // Aggregate seeds: the largest value per x.
    func byX(_ value: (TableRow) -> Double?) -> [(Double, Double)] {
      var best: [Double: Double] = [:]
      for r in rows {
        guard let xs = r.settings.first(where: { $0.name == axis })?.value, let x = Double(xs), let v = value(r) else { continue }
        best[x] = max(best[x] ?? -Double.infinity, v)
      }
      return best.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    var series: [Series] = []
    let kinds = HessianKind.allCases.filter { k in rows.contains { $0.rank(k) != nil } }
    for k in kinds {
      series.append(Series(label: "rank \(k.symbol)", color: RankPlot.colors[k]!, dash: nil, marker: RankPlot.markers[k],
                           width: 2, points: byX { r in r.rank(k).map { Double($0.rank) } }))
    }
    var boundIDs: [String] = []
    for r in rows { for a in r.annotations where a.hessian != nil && !boundIDs.contains(a.bound) { boundIDs.append(a.bound) } }
    for (bi, id) in boundIDs.enumerated() {
      for k in kinds {
        let pts = byX { r in r.annotations.first { $0.bound == id && $0.hessian == k }?.value.flatMap(Double.init) }
        guard !pts.isEmpty else { continue }
        series.append(Series(label: "\(id) \(k.symbol)", color: RankPlot.colors[k]!, dash: RankPlot.dashes[bi % RankPlot.dashes.count],
                             marker: nil, width: 5, points: pts, opacity: 0.35))
      }
    }
    series.append(Series(label: "p", color: "#555555", dash: nil, marker: nil, width: 1.3, points: byX { Double($0.p) }))
    series.append(Series(label: "√p", color: "#999999", dash: "1,3", marker: nil, width: 1.5,
                         points: byX { sqrt(Double($0.p)) }))
    let xs = Array(Set(series.flatMap { $0.points.map(\.0) })).sorted()
    let ys = series.flatMap { $0.points.map(\.1) }
    // Logarithmic only when the largest rank would sit in the bottom tenth of a linear axis.
    let largestRank = rows.flatMap { $0.ranks.map { Double($0.rank) } }.max() ?? 0
    let logY = largestRank < 0.1 * (ys.max() ?? 0)
    let xScale = PlotScale(values: xs, logarithmic: false)
    let yScale = PlotScale(values: ys, logarithmic: logY, includeZero: true)
    let xTicks: [(Double, String)] = xs.count <= 12 ? xs.map { ($0, PlotScale.label($0)) } : xScale.ticks
    let map = drawFrame(&c, ox: ox, oy: oy, x: xScale, y: yScale, xTicks: xTicks, xLabel: axis,
                        yLabel: logY ? "rank (log scale)" : "rank", heading: heading)
    drawSeries(&c, series, map: map, ox: ox, oy: oy)
  }

  func drawLogLog(_ c: inout SVGCanvas, ox: Double, oy: Double) {
    var series: [Series] = []
    let kinds = HessianKind.allCases.filter { k in rows.contains { $0.rank(k) != nil } }
    for k in kinds {
      var best: [Double: Double] = [:]
      for r in rows { if let e = r.rank(k), e.rank > 0 { best[Double(r.p)] = max(best[Double(r.p)] ?? 0, Double(e.rank)) } }
      let pts = best.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      series.append(Series(label: "rank \(k.symbol)", color: RankPlot.colors[k]!, dash: nil, marker: RankPlot.markers[k],
                           width: 0, points: pts))
    }
    let ps = rows.map { Double($0.p) }
    let xScale = PlotScale(values: ps, logarithmic: true)
    let ys = series.flatMap { $0.points.map(\.1) } + ps.map { $0.squareRoot() }
    let yScale = PlotScale(values: ys + [xScale.low.squareRoot()], logarithmic: true)
    let lo = xScale.low, hi = xScale.high
    let grid = (0...40).map { lo * pow(hi / lo, Double($0) / 40) }
    series.append(Series(label: "√p", color: "#000000", dash: "6,4", marker: nil, width: 1.3, points: grid.map { ($0, $0.squareRoot()) }))
    series.append(Series(label: "p (rank = p)", color: "#aaaaaa", dash: nil, marker: nil, width: 1,
                         points: grid.filter { $0 <= yScale.high }.map { ($0, $0) }))
    let map = drawFrame(&c, ox: ox, oy: oy, x: xScale, y: yScale, xTicks: xScale.ticks, xLabel: "p (parameters, log scale)",
                        yLabel: "rank (log scale)", heading: "(b) rank against p, log–log")
    drawSeries(&c, series, map: map, ox: ox, oy: oy)
  }
}
