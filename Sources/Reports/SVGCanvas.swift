import Foundation

/// A minimal SVG writer: shapes and text in user units, text escaped for XML.
struct SVGCanvas {
  private(set) var body: [String] = []
  private var defs: [String] = []
  var width: Double
  var height: Double

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// The factor of the font size that estimates the advance of one character: generous for
  /// Helvetica/Arial (average ≈ 0.5 em for lower case, ≈ 0.65 em for capitals and digits mixed).
  static let characterWidth = 0.6

  /// The estimated width of `s` set at `size` (the layout keeps text boxes of this width apart).
  static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * characterWidth }

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

  /// A rectangular clip region; returns its id for `beginClip`.
  mutating func clipRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> String {
    let id = "clip\(defs.count)"
    defs.append("<clipPath id=\"\(id)\"><rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(w))\" height=\"\(Self.f(h))\"/></clipPath>")
    return id
  }

  mutating func beginClip(_ id: String) { body.append("<g clip-path=\"url(#\(id))\">") }
  mutating func endClip() { body.append("</g>") }

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

  /// A marker: shapes 0–3 filled (circle, square, triangle, diamond), 4–7 the same hollow.
  mutating func marker(_ shape: Int, _ x: Double, _ y: Double, color: String, size s: Double = 3.5) {
    let hollow = (shape / 4) % 2 == 1
    let paint = hollow ? "fill=\"white\" stroke=\"\(color)\" stroke-width=\"1.4\"" : "fill=\"\(color)\""
    func polygon(_ pts: [(Double, Double)]) {
      body.append("<polygon points=\"\(pts.map { "\(Self.f(x + $0.0)),\(Self.f(y + $0.1))" }.joined(separator: " "))\" \(paint)/>")
    }
    switch shape % 4 {
    case 0: body.append("<circle cx=\"\(Self.f(x))\" cy=\"\(Self.f(y))\" r=\"\(Self.f(s))\" \(paint)/>")
    case 1: polygon([(-s, -s), (s, -s), (s, s), (-s, s)])
    case 2: polygon([(0, -s * 1.25), (-s * 1.15, s * 0.85), (s * 1.15, s * 0.85)])
    default: polygon([(0, -s * 1.3), (s * 1.1, 0), (0, s * 1.3), (-s * 1.1, 0)])
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
    \(defs.isEmpty ? "" : "<defs>\(defs.joined())</defs>\n")<rect x="0" y="0" width="\(Self.f(width))" height="\(Self.f(height))" fill="white"/>
    \(body.joined(separator: "\n"))
    </svg>

    """
  }

  /// Splits `text` into lines of at most `limit` characters, at spaces where possible.
  static func wrap(_ text: String, limit: Int) -> [String] {
    let limit = max(8, limit)
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
      var word = word
      while word.count > limit {
        if !current.isEmpty { lines.append(current); current = "" }
        lines.append(String(word.prefix(limit)))
        word = String(word.dropFirst(limit))
      }
      if current.isEmpty {
        current = word
      } else if current.count + 1 + word.count <= limit {
        current += " " + word
      } else {
        lines.append(current)
        current = word
      }
    }
    if !current.isEmpty || lines.isEmpty { lines.append(current) }
    return lines
  }
}
