import Foundation
import Hessian

/// Figures of a sweep: exact ranks of H_o, H_f, H_L against a swept axis with the bound curves
/// and √p (one panel per combination of the other axes), and the ranks against p on log–log
/// axes, one series per Hessian and group, with the √p reference and a fitted slope per series.
/// Panels are lettered (a), (b), … in order; legends sit below the axes; `csv()` gives the
/// plotted numbers.
public struct RankPlot: Sendable {
  /// The rows.
  public let rows: [TableRow]
  /// The axis on the horizontal axis of the rank panels (nil: the integer axis with the most
  /// values, the first of those on a tie).
  public let xAxis: String?
  /// A title over the figure.
  public let title: String?
  /// Size, font, axes and reference lines.
  public let options: PlotOptions

  /// A figure of `rows`.
  public init(rows: [TableRow], xAxis: String? = nil, title: String? = nil, options: PlotOptions = PlotOptions()) {
    self.rows = rows.sorted { $0.index < $1.index }
    self.xAxis = xAxis
    self.title = title
    self.options = options
  }

  static let colors: [HessianKind: String] = [.outer: "#1f77b4", .functional: "#d94801", .loss: "#238b45"]
  /// Darker shades for bound curves, so that a bound over its rank line stays visible.
  static let boundColors: [HessianKind: String] = [.outer: "#08306b", .functional: "#7f2704", .loss: "#00441b"]
  static let markers: [HessianKind: Int] = [.outer: 0, .functional: 1, .loss: 2]
  static let dashes = ["8,4", "2,3", "12,3,2,3", "5,2,5,7", "1,2"]

  /// The integer-valued axis with the most distinct values (at least two; the first on a tie),
  /// if any: the other axes then make the groups, which the log–log panel tells apart.
  public static func defaultAxis(_ rows: [TableRow]) -> String? {
    var names: [String] = []
    for r in rows { for s in r.settings where !names.contains(s.name) { names.append(s.name) } }
    var best: (name: String, count: Int)?
    for name in names where name != "seed" {
      let values = rows.compactMap { r in r.settings.first { $0.name == name }?.value }
      guard values.count == rows.count, values.allSatisfy({ Int($0) != nil }) else { continue }
      let count = Set(values).count
      if count > 1, count > (best?.count ?? 1) { best = (name, count) }
    }
    return best?.name
  }

  /// The SVG document.
  /// - Throws: `SweepError` when there are no rows, or the x axis is unknown or not numeric.
  public func svg() throws(SweepError) -> String {
    PlotLayout(panels: try panels(), title: title, options: options).document()
  }

  /// The plotted numbers as CSV (RFC 4180, CRLF): one line per point, with the panel letter,
  /// the quantity on the horizontal axis, the series and, for the log–log series, the fitted
  /// slope of log rank against log p.
  public func csv() throws(SweepError) -> String {
    var lines = ["panel,x_axis,series,x,y,fitted_slope"]
    func field(_ s: String) -> String {
      s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v) }
    for (i, panel) in try panels().enumerated() {
      for s in panel.series where s.role != .fit {
        for (x, y) in s.points {
          lines.append([PlotLayout.letter(i), field(panel.xName), field(s.dataLabel), number(x), number(y),
                        s.slope.map { String(format: "%.4f", $0) } ?? ""].joined(separator: ","))
        }
      }
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  /// The panels: rank against the axis per group, then log–log.
  func panels() throws(SweepError) -> [PlotPanel] {
    guard !rows.isEmpty else { throw SweepError("no rows to plot") }
    let axis = xAxis ?? RankPlot.defaultAxis(rows)
    if let x = xAxis {
      let values = rows.map { r in r.settings.first { $0.name == x }?.value }
      guard values.allSatisfy({ $0 != nil }) else {
        let names = Set(rows.flatMap { $0.settings.map(\.name) }).sorted()
        throw SweepError("plot axis \"\(x)\" is not an axis of these rows (axes: \(names.joined(separator: ", ")))")
      }
      guard values.allSatisfy({ Double($0!) != nil }) else { throw SweepError("plot axis \"\(x)\" has non-numeric values") }
    }
    var groups: [(label: String, rows: [TableRow])] = []
    for r in rows {
      let label = r.settings.filter { $0.name != axis && $0.name != "seed" }.map(\.description).joined(separator: ", ")
      if let i = groups.firstIndex(where: { $0.label == label }) { groups[i].rows.append(r) } else { groups.append((label, [r])) }
    }
    var out: [PlotPanel] = []
    if let axis {
      for g in groups { out.append(againstAxis(g.rows, axis: axis, group: g.label)) }
    }
    out.append(logLog(groups: groups))
    return out
  }

  /// Largest value per x over the seeds (each rank is a lower bound on the generic rank).
  static func largestByX(_ rows: [TableRow], x: (TableRow) -> Double?, _ value: (TableRow) -> Double?) -> [(Double, Double)] {
    var best: [Double: Double] = [:]
    for r in rows {
      guard let vx = x(r), let v = value(r) else { continue }
      best[vx] = max(best[vx] ?? -Double.infinity, v)
    }
    return best.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  func againstAxis(_ rows: [TableRow], axis: String, group: String) -> PlotPanel {
    let xOf: (TableRow) -> Double? = { r in r.settings.first { $0.name == axis }.flatMap { Double($0.value) } }
    var series: [PlotSeries] = []
    let kinds = HessianKind.allCases.filter { k in rows.contains { $0.rank(k) != nil } }
    for k in kinds {
      series.append(PlotSeries(label: "rank \(k.symbol)", role: .rank, color: RankPlot.colors[k]!, marker: RankPlot.markers[k],
                               lineWidth: 1.6, points: RankPlot.largestByX(rows, x: xOf) { r in r.rank(k).map { Double($0.rank) } }))
    }
    let largestRank = series.flatMap { $0.points.map(\.1) }.max() ?? 1
    var boundIDs: [String] = []
    for r in rows { for a in r.annotations where a.hessian != nil && a.value != nil && !boundIDs.contains(a.bound) { boundIDs.append(a.bound) } }
    for (bi, id) in boundIDs.enumerated() {
      for k in kinds {
        let pts = RankPlot.largestByX(rows, x: xOf) { r in r.annotations.first { $0.bound == id && $0.hessian == k }?.value.flatMap(Double.init) }
        guard !pts.isEmpty else { continue }
        let column = rows.lazy.compactMap { r in r.annotations.first { $0.bound == id && $0.hessian == k }?.column }.first ?? id
        series.append(PlotSeries(label: column, role: .bound, color: RankPlot.boundColors[k]!, dash: RankPlot.dashes[bi % RankPlot.dashes.count],
                                 lineWidth: 2, points: pts))
      }
    }
    series.append(PlotSeries(label: "√p", role: .reference, color: "#666666", dash: "1.5,3", lineWidth: 1.5,
                             points: RankPlot.largestByX(rows, x: xOf) { sqrt(Double($0.p)) }))
    if options.showP {
      series.append(PlotSeries(label: "p", role: .reference, color: "#888888", lineWidth: 1.2,
                               points: RankPlot.largestByX(rows, x: xOf) { Double($0.p) }))
    }
    // The vertical axis fits the ranks: bound curves far above them are cut at the frame.
    var ys = series.filter { $0.role != .bound }.flatMap { $0.points.map(\.1) }
    ys += series.filter { $0.role == .bound }.flatMap { $0.points.map(\.1) }.filter { $0 <= 1.3 * largestRank }
    let yScale = PlotScale(values: ys, logarithmic: options.logY, includeZero: !options.logY)
    for i in series.indices where series[i].role == .bound && series[i].points.allSatisfy({ $0.1 > yScale.high }) {
      series[i].label += " (off scale)"
    }
    let xs = Array(Set(series.flatMap { $0.points.map(\.0) })).sorted()
    let xScale = PlotScale(values: xs, logarithmic: options.logX, tight: true)
    let xTicks: [(Double, String)] = xs.count <= 16 && !options.logX ? xs.map { ($0, PlotScale.label($0)) } : xScale.ticks
    return PlotPanel(heading: "ranks against \(axis)" + (group.isEmpty ? "" : " — \(group)"), xName: axis,
                     xLabel: axis + (options.logX ? " (log scale)" : ""), yLabel: options.logY ? "rank (log scale)" : "rank",
                     xScale: xScale, yScale: yScale, xTicks: xTicks, series: series)
  }

  func logLog(groups: [(label: String, rows: [TableRow])]) -> PlotPanel {
    var series: [PlotSeries] = []
    let kinds = HessianKind.allCases.filter { k in rows.contains { $0.rank(k) != nil } }
    for (gi, g) in groups.enumerated() {
      for k in kinds {
        let pts = RankPlot.largestByX(g.rows, x: { Double($0.p) }) { r in r.rank(k).flatMap { $0.rank > 0 ? Double($0.rank) : nil } }
        guard !pts.isEmpty else { continue }
        let slope = RankPlot.logLogSlope(pts)
        let name = groups.count > 1 && !g.label.isEmpty ? "\(k.symbol), \(g.label)" : "rank \(k.symbol)"
        let marker = groups.count > 1 ? gi : RankPlot.markers[k]!
        series.append(PlotSeries(label: name + (slope.map { String(format: ": slope %.2f", abs($0) < 0.005 ? 0 : $0) } ?? ""), dataLabel: name,
                                 role: .rank, color: RankPlot.colors[k]!, marker: marker, lineWidth: 0, points: pts, slope: slope))
        if let slope, let first = pts.first, let last = pts.last {
          let (a, b) = RankPlot.logLogFit(pts, slope: slope)
          let ends = [first.0, last.0].map { ($0, pow(10, a + b * log10($0))) }
          series.append(PlotSeries(label: "", role: .fit, color: RankPlot.colors[k]!, dash: groups.count > 1 && gi % 2 == 1 ? "5,3" : nil,
                                   lineWidth: 1, points: ends))
        }
      }
    }
    let ps = rows.map { Double($0.p) }
    let xScale = PlotScale(values: ps, logarithmic: true, tight: true)
    let lo = xScale.low, hi = xScale.high
    let grid = (0...40).map { lo * pow(hi / lo, Double($0) / 40) }
    let rankValues = series.filter { $0.role == .rank }.flatMap { $0.points.map(\.1) }
    series.append(PlotSeries(label: "√p", role: .reference, color: "#000000", dash: "6,4", lineWidth: 1.3, points: grid.map { ($0, $0.squareRoot()) }))
    if options.showP {
      series.append(PlotSeries(label: "p", role: .reference, color: "#999999", lineWidth: 1, points: grid.map { ($0, $0) }))
    }
    let yScale = PlotScale(values: rankValues + [lo.squareRoot(), hi.squareRoot()], logarithmic: true, tight: true)
    return PlotPanel(heading: "rank against p, log–log", xName: "p", xLabel: "p (parameters, log scale)",
                     yLabel: "rank (log scale)", xScale: xScale, yScale: yScale, xTicks: xScale.ticks, series: series)
  }

  /// Least-squares slope of log rank against log p (nil with fewer than two distinct p).
  static func logLogSlope(_ points: [(Double, Double)]) -> Double? {
    let lx = points.map { log10($0.0) }, ly = points.map { log10($0.1) }
    let n = Double(points.count)
    let mx = lx.reduce(0, +) / n, my = ly.reduce(0, +) / n
    let sxx = lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    guard points.count >= 2, sxx > 1e-12 else { return nil }
    let sxy = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
    return sxy / sxx
  }

  /// Intercept and slope of the least-squares line through the log–log points.
  static func logLogFit(_ points: [(Double, Double)], slope: Double) -> (Double, Double) {
    let n = Double(points.count)
    let mx = points.reduce(0) { $0 + log10($1.0) } / n, my = points.reduce(0) { $0 + log10($1.1) } / n
    return (my - slope * mx, slope)
  }
}

/// One drawn series.
struct PlotSeries {
  enum Role { case rank, bound, reference, fit }
  var label: String
  /// The name in the CSV (the legend label without its slope).
  var dataLabel: String
  var role: Role
  var color: String
  var dash: String?
  var marker: Int?
  var lineWidth: Double
  var points: [(Double, Double)]
  var slope: Double?

  init(label: String, dataLabel: String? = nil, role: Role, color: String, dash: String? = nil, marker: Int? = nil,
       lineWidth: Double, points: [(Double, Double)], slope: Double? = nil) {
    self.label = label
    self.dataLabel = dataLabel ?? label
    self.role = role
    self.color = color
    self.dash = dash
    self.marker = marker
    self.lineWidth = lineWidth
    self.points = points
    self.slope = slope
  }
}

/// One panel's content before layout.
struct PlotPanel {
  var heading: String
  var xName: String
  var xLabel: String
  var yLabel: String
  var xScale: PlotScale
  var yScale: PlotScale
  var xTicks: [(Double, String)]
  var series: [PlotSeries]
}
