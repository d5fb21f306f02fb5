import Exact

/// A dense row-major matrix over any `ScalarRing`'s elements, in one contiguous array.
///
/// The builders of this package produce these; the rank engine converts them to its own
/// integer or modular buffers.
public struct ScalarMatrix<Element: Sendable>: Sendable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let cols: Int
  /// Entries in row-major order (count rows · cols).
  public var storage: [Element]

  /// A rows × cols matrix filled with `value`.
  public init(rows: Int, cols: Int, repeating value: Element) {
    self.rows = rows
    self.cols = cols
    storage = Array(repeating: value, count: rows * cols)
  }

  /// A matrix from row-major storage.
  public init(rows: Int, cols: Int, storage: [Element]) {
    precondition(storage.count == rows * cols, "storage does not match the shape")
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  /// Entry (i, j).
  @inlinable public subscript(i: Int, j: Int) -> Element {
    get { storage[i * cols + j] }
    set { storage[i * cols + j] = newValue }
  }

  /// Row i as an array.
  public func row(_ i: Int) -> [Element] { Array(storage[(i * cols)..<((i + 1) * cols)]) }

  /// The rows as nested arrays (for tests and small outputs).
  public var nestedRows: [[Element]] { (0..<rows).map(row) }

  /// The transpose.
  public func transposed() -> ScalarMatrix<Element> {
    guard let first = storage.first else { return ScalarMatrix(rows: cols, cols: rows, storage: []) }
    var t = ScalarMatrix(rows: cols, cols: rows, repeating: first)
    for i in 0..<rows {
      for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] }
    }
    return t
  }

  /// Applies `f` to every entry.
  public func map<T: Sendable>(_ f: (Element) throws -> T) rethrows -> ScalarMatrix<T> {
    ScalarMatrix<T>(rows: rows, cols: cols, storage: try storage.map(f))
  }
}

extension ScalarMatrix: Equatable where Element: Equatable {}

extension ScalarRing {
  /// The zero matrix.
  public func zeroMatrix(rows: Int, cols: Int) -> ScalarMatrix<Element> {
    ScalarMatrix(rows: rows, cols: cols, repeating: zero)
  }

  /// A · B.
  public func product(_ a: ScalarMatrix<Element>, _ b: ScalarMatrix<Element>) -> ScalarMatrix<Element> {
    precondition(a.cols == b.rows, "shapes do not match")
    var c = zeroMatrix(rows: a.rows, cols: b.cols)
    for i in 0..<a.rows {
      for k in 0..<a.cols {
        let x = a.storage[i * a.cols + k]
        if isZero(x) { continue }
        for j in 0..<b.cols {
          c.storage[i * b.cols + j] = add(c.storage[i * b.cols + j], multiply(x, b.storage[k * b.cols + j]))
        }
      }
    }
    return c
  }

  /// A · v.
  public func product(_ a: ScalarMatrix<Element>, _ v: [Element]) -> [Element] {
    precondition(a.cols == v.count, "shapes do not match")
    return (0..<a.rows).map { i in
      var s = zero
      for j in 0..<a.cols { s = add(s, multiply(a.storage[i * a.cols + j], v[j])) }
      return s
    }
  }

  /// A + B.
  public func sum(_ a: ScalarMatrix<Element>, _ b: ScalarMatrix<Element>) -> ScalarMatrix<Element> {
    precondition(a.rows == b.rows && a.cols == b.cols, "shapes do not match")
    return ScalarMatrix(rows: a.rows, cols: a.cols, storage: zip(a.storage, b.storage).map { add($0, $1) })
  }

  /// uᵀ v.
  public func dot(_ u: [Element], _ v: [Element]) -> Element {
    var s = zero
    for (x, y) in zip(u, v) { s = add(s, multiply(x, y)) }
    return s
  }
}
