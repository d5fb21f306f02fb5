/// How a sweep figure is laid out: size, font, axes and reference lines.
public struct PlotOptions: Equatable, Sendable {
  /// Width of the whole figure in SVG user units (px); nil: 430 per panel column.
  public var width: Double?
  /// Base font size (tick labels are 0.9×, headings 1.1×).
  public var fontSize: Double
  /// Logarithmic horizontal axis in the rank-against-axis panels.
  public var logX: Bool
  /// Logarithmic vertical axis in the rank-against-axis panels.
  public var logY: Bool
  /// Draw p (rank = p, the size of the matrix) as a reference line; off by default because p
  /// grows faster than the ranks and would set the scale.
  public var showP: Bool
  /// Panels per row of the figure; nil: all panels in one row up to three, else two.
  public var columns: Int?

  /// Options; the defaults give the figure of `hessrank table --plot`.
  public init(width: Double? = nil, fontSize: Double = 11, logX: Bool = false, logY: Bool = false, showP: Bool = false,
              columns: Int? = nil) {
    self.width = width
    self.fontSize = fontSize
    self.logX = logX
    self.logY = logY
    self.showP = showP
    self.columns = columns
  }

  /// Limits a command line should check before any work.
  public static let widthRange: ClosedRange<Double> = 200...20000
  /// Allowed base font sizes.
  public static let fontSizeRange: ClosedRange<Double> = 4...40
}
