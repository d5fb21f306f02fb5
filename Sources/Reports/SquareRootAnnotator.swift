/// √p as a plain column (one decimal, truncated; computed with integers): the scale of the
/// "square-root law" — with m channels per layer p grows like m² while the ranks grow like m.
public struct SquareRootAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `sqrt-p`.
  public let id = "sqrt-p"
  /// One line for the help text.
  public let summary = "sqrt-p                    √p (a plain column, no verdict)"

  /// ⌊10√p⌋/10 as text, e.g. "10.0" for p = 100.
  public static func text(_ p: Int) -> String {
    let t = integerSquareRoot(100 * p)
    return "\(t / 10).\(t % 10)"
  }

  /// ⌊√x⌋ for x ≥ 0 (Newton's method on integers).
  static func integerSquareRoot(_ x: Int) -> Int {
    guard x > 1 else { return max(0, x) }
    var y = x, z = (x + 1) / 2
    while z < y {
      y = z
      z = (y + x / y) / 2
    }
    return y
  }

  /// The column for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    [Annotation(bound: id, hessian: nil, column: "√p", value: Self.text(row.p), verdict: nil)]
  }
}
