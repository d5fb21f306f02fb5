import Foundation

/// Places panels on a grid and draws them: margins sized from the tick labels, headings wrapped
/// to the panel, legends flowed below each panel's axes, labels too long for a legend row
/// replaced by a numbered key under the figure, tick labels thinned so that none overlap. Every
/// text box (estimated as font size × `SVGCanvas.characterWidth` × characters) stays inside the
/// canvas and apart from every other.
struct PlotLayout {
  let panels: [PlotPanel]
  let title: String?
  let options: PlotOptions

  static func letter(_ i: Int) -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    return i < letters.count ? String(letters[i]) : "z\(i - letters.count + 1)"
  }

  var font: Double { options.fontSize }
  var tickSize: Double { font * 0.9 }
  var headSize: Double { font * 1.1 }
  var titleSize: Double { font * 1.25 }
  var legendRowHeight: Double { font * 1.6 }
  var swatchWidth: Double { font * 2.6 }

  var columns: Int {
    let c = options.columns ?? (panels.count <= 3 ? panels.count : 2)
    return max(1, min(c, panels.count))
  }

  /// Characters of `size` that fit in `width`.
  static func fit(_ width: Double, size: Double) -> Int { max(1, Int(width / (size * SVGCanvas.characterWidth))) }

  /// The geometry of one panel inside its cell.
  struct Geometry {
    var headingLines: [String]
    var left: Double, right: Double, top: Double
    var plotWidth: Double, plotHeight: Double
    var legendTop: Double
    var legend: [[(index: Int, label: String, x: Double)]]
    var height: Double
    var cellWidth: Double
  }

  func geometry(_ panel: PlotPanel, cellWidth: Double, keys: inout [String]) -> Geometry {
    let headingLines = SVGCanvas.wrap("(x) " + panel.heading, limit: PlotLayout.fit(cellWidth - 12, size: headSize))
    let yTickWidth = panel.yScale.ticks.map { SVGCanvas.textWidth($0.label, size: tickSize) }.max() ?? 0
    let left = 6 + font * 1.05 + 8 + yTickWidth + 7
    let lastTick = panel.xTicks.last.map { SVGCanvas.textWidth($0.1, size: tickSize) } ?? 0
    let right = max(12, lastTick / 2 + 6)
    let plotWidth = max(60, cellWidth - left - right)
    let plotHeight = max(80, plotWidth * 0.62)
    let top = 8 + Double(headingLines.count) * headSize * 1.25 + 6 + tickSize * 0.5
    let legendTop = top + plotHeight + 4 + tickSize * 1.25 + 6 + font * 1.3 + 8
    // The legend entries on a grid of equal columns (as many as fit the cell's width).
    let available = cellWidth - 16, gap = font * 1.4
    var entries: [(index: Int, label: String, width: Double)] = []
    for (i, s) in panel.series.enumerated() where s.role != .fit {
      var label = s.label
      if swatchWidth + 6 + SVGCanvas.textWidth(label, size: font) > available {
        if let k = keys.firstIndex(of: label) { label = "[\(k + 1)]" } else { keys.append(label); label = "[\(keys.count)]" }
      }
      entries.append((i, label, swatchWidth + 6 + SVGCanvas.textWidth(label, size: font)))
    }
    let columnWidth = (entries.map(\.width).max() ?? 0) + gap
    let perRow = max(1, min(entries.count, Int((available + gap) / columnWidth)))
    var rows: [[(index: Int, label: String, x: Double)]] = []
    for (j, e) in entries.enumerated() {
      if j % perRow == 0 { rows.append([]) }
      rows[rows.count - 1].append((e.index, e.label, Double(j % perRow) * columnWidth))
    }
    let height = legendTop + Double(rows.count) * legendRowHeight + 6
    return Geometry(headingLines: headingLines, left: left, right: right, top: top, plotWidth: plotWidth, plotHeight: plotHeight,
                    legendTop: legendTop, legend: rows, height: height, cellWidth: cellWidth)
  }

  func document() -> String {
    let cellWidth = (options.width ?? 430 * Double(columns)) / Double(columns)
    let figureWidth = cellWidth * Double(columns)
    let titleLines = title.map { SVGCanvas.wrap($0, limit: PlotLayout.fit(figureWidth - 20, size: titleSize)) } ?? []
    let titleHeight = titleLines.isEmpty ? 0 : 10 + Double(titleLines.count) * titleSize * 1.25
    var keys: [String] = []
    let geometries = panels.map { geometry($0, cellWidth: cellWidth, keys: &keys) }
    var rowHeights: [Double] = []
    for start in stride(from: 0, to: panels.count, by: columns) {
      rowHeights.append(geometries[start..<min(start + columns, panels.count)].map(\.height).max() ?? 0)
    }
    let keySize = font * 0.9
    let keyLines = keys.enumerated().flatMap { i, k in
      SVGCanvas.wrap("[\(i + 1)] \(k)", limit: PlotLayout.fit(figureWidth - 24, size: keySize))
    }
    let keyHeight = keyLines.isEmpty ? 0 : 6 + Double(keyLines.count) * keySize * 1.3
    var canvas = SVGCanvas(width: figureWidth, height: titleHeight + rowHeights.reduce(0, +) + keyHeight)
    for (i, line) in titleLines.enumerated() {
      canvas.text(line, figureWidth / 2, 8 + titleSize + Double(i) * titleSize * 1.25, size: titleSize, anchor: .middle, bold: true)
    }
    for (i, panel) in panels.enumerated() {
      let ox = Double(i % columns) * cellWidth
      let oy = titleHeight + rowHeights[0..<(i / columns)].reduce(0, +)
      var g = geometries[i]
      g.headingLines[0] = "(\(PlotLayout.letter(i)))" + g.headingLines[0].dropFirst(3)
      draw(&canvas, panel, g, ox: ox, oy: oy)
    }
    var y = titleHeight + rowHeights.reduce(0, +) + 6
    for line in keyLines {
      canvas.text(line, 12, y + keySize, size: keySize)
      y += keySize * 1.3
    }
    return canvas.document
  }

  /// Keeps the ticks whose labels (centred on `position`, `extent` wide) do not run into the
  /// previous kept label.
  static func thinned(_ ticks: [(position: Double, label: String)], extent: (String) -> Double) -> [(position: Double, label: String)] {
    var kept: [(position: Double, label: String)] = []
    var lastEdge = -Double.infinity
    for t in ticks.sorted(by: { $0.position < $1.position }) {
      let half = extent(t.label) / 2
      if t.position - half >= lastEdge + 3 {
        kept.append(t)
        lastEdge = t.position + half
      }
    }
    return kept
  }

  func draw(_ c: inout SVGCanvas, _ panel: PlotPanel, _ g: Geometry, ox: Double, oy: Double) {
    let x0 = ox + g.left, y0 = oy + g.top, w = g.plotWidth, h = g.plotHeight
    for (i, line) in g.headingLines.enumerated() {
      c.text(line, ox + 6, oy + 8 + headSize + Double(i) * headSize * 1.25, size: headSize, bold: true)
    }
    c.rect(x0, y0, w, h, fill: "none", stroke: "#444")
    let x = panel.xScale, y = panel.yScale
    let yTicks = PlotLayout.thinned(y.ticks.map { (y0 + h - y.unit($0.value) * h, $0.label) }) { _ in tickSize * 1.05 }
    for t in yTicks {
      c.line(x0, t.position, x0 + w, t.position, stroke: "#e8e8e8")
      c.line(x0 - 4, t.position, x0, t.position, stroke: "#444")
      c.text(t.label, x0 - 7, t.position + tickSize * 0.35, size: tickSize, anchor: .end)
    }
    let xTicks = PlotLayout.thinned(panel.xTicks.map { (x0 + x.unit($0.0) * w, $0.1) }) { SVGCanvas.textWidth($0, size: tickSize) }
    for t in panel.xTicks {
      let px = x0 + x.unit(t.0) * w
      c.line(px, y0, px, y0 + h, stroke: "#f0f0f0")
      c.line(px, y0 + h, px, y0 + h + 4, stroke: "#444")
    }
    for t in xTicks { c.text(t.label, t.position, y0 + h + 4 + tickSize, size: tickSize, anchor: .middle) }
    // The axis labels stay inside the cell (x) and beside the plot (y, shortened if need be).
    let xLabelWidth = SVGCanvas.textWidth(panel.xLabel, size: font)
    let xLabelCentre = min(max(x0 + w / 2, ox + 6 + xLabelWidth / 2), ox + g.cellWidth - 6 - xLabelWidth / 2)
    c.text(panel.xLabel, xLabelCentre, y0 + h + 4 + tickSize * 1.25 + 6 + font, size: font, anchor: .middle)
    let yLabel = SVGCanvas.textWidth(panel.yLabel, size: font) <= h ? panel.yLabel : "rank"
    c.text(yLabel, ox + 6 + font * 0.8, y0 + h / 2, size: font, anchor: .middle, rotate: true)

    let map = { (vx: Double, vy: Double) in (x0 + x.unit(vx) * w, y0 + h - y.unit(vy) * h) }
    // Lines are cut at the frame; markers (ranks, always inside the scale) are not.
    let clip = c.clipRect(x0, y0, w, h)
    c.beginClip(clip)
    let order: [PlotSeries.Role] = [.reference, .fit, .rank, .bound]
    for role in order {
      for s in panel.series where s.role == role && s.lineWidth > 0 {
        c.polyline(s.points.map { map($0.0, $0.1) }, stroke: s.color, width: s.lineWidth, dash: s.dash,
                   opacity: role == .fit ? 0.7 : 1)
      }
    }
    // A bound known at one x only is a short bar there.
    for s in panel.series where s.role == .bound && s.points.count == 1 {
      let (px, py) = map(s.points[0].0, s.points[0].1)
      c.line(px - font, py, px + font, py, stroke: s.color, width: s.lineWidth, dash: s.dash)
    }
    c.endClip()
    for s in panel.series where s.marker != nil {
      for p in s.points where p.1 >= y.low && p.1 <= y.high {
        let (px, py) = map(p.0, p.1)
        c.marker(s.marker!, px, py, color: s.color, size: font * 0.32)
      }
    }
    // Legend below the axes.
    for (r, row) in g.legend.enumerated() {
      let baseline = oy + g.legendTop + Double(r) * legendRowHeight + font
      for entry in row {
        let s = panel.series[entry.index]
        let lx = ox + 8 + entry.x, ly = baseline - font * 0.33
        if s.lineWidth > 0 { c.line(lx, ly, lx + swatchWidth, ly, stroke: s.color, width: s.lineWidth, dash: s.dash) }
        if let m = s.marker { c.marker(m, lx + swatchWidth / 2, ly, color: s.color, size: font * 0.32) }
        c.text(entry.label, lx + swatchWidth + 6, baseline, size: font)
      }
    }
  }
}
