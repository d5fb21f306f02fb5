import CGMP
import Exact
import Foundation

/// A matrix file that cannot be read, located by line and column where possible.
public struct MatrixFileError: Error, Equatable, CustomStringConvertible {
  /// The file (or "<input>").
  public let source: String
  /// 1-based line, when the problem has one.
  public let line: Int?
  /// 1-based column of the offending entry, when the problem has one.
  public let column: Int?
  /// What is wrong.
  public let message: String

  /// A located error.
  public init(source: String, line: Int? = nil, column: Int? = nil, message: String) {
    self.source = source
    self.line = line
    self.column = column
    self.message = message
  }

  /// "file:line:column: message".
  public var description: String {
    var s = source
    if let l = line { s += ":\(l)" }
    if let c = column { s += ":\(c)" }
    return s + ": " + message
  }
}

/// The plain-text matrix format.
///
/// One row per line (LF, CRLF or CR line endings); entries separated by spaces or tabs; each entry an integer
/// (`-3`), a fraction (`7/12`, `-7/12`) or a decimal (`0.125`, `-1.5e-3`, `2E10`), all read
/// exactly. `#` starts a comment that runs to the end of the line; blank lines are ignored.
/// Every row must have the same number of entries, and there must be at least one row.
///
///     # a rank-2 example
///     1    2    3
///     1/2  1    3/2     # = row 1 / 2
///     0.5  0    -1e-1
public enum MatrixText {
  /// Parses matrix text into rational rows; `source` names it in error messages.
  public static func parse(_ text: String, source: String = "<input>") throws -> [[Rational]] {
    var rows: [[Rational]] = []
    var bytes = Array(text.utf8)
    try bytes.withUnsafeMutableBufferPointer { buf in
      try scan(UnsafeBufferPointer(buf), source: source) { entries, _ in
        rows.append(entries.map { $0.rational })
      }
    }
    return rows
  }

  /// Parses matrix text straight into the row-scaled integer matrix (each row multiplied by
  /// the lcm of its denominators) and those scales, without holding a rational per entry.
  public static func parseScaled(_ bytes: UnsafeBufferPointer<UInt8>, source: String = "<input>") throws
    -> (matrix: IntegerMatrix, rowScales: [BigInt])
  {
    var capacity = 1024
    var buffer = UnsafeMutablePointer<__mpz_struct>.allocate(capacity: capacity)
    var count = 0
    var scales: [BigInt] = []
    var cols = 0
    do {
      try scan(bytes, source: source) { entries, _ in
        cols = entries.count
        if count + entries.count > capacity {
          var newCapacity = capacity
          while count + entries.count > newCapacity { newCapacity *= 2 }
          let grown = UnsafeMutablePointer<__mpz_struct>.allocate(capacity: newCapacity)
          grown.moveInitialize(from: buffer, count: count)  // mpz headers move bitwise
          buffer.deallocate()
          buffer = grown
          capacity = newCapacity
        }
        var scale = BigInt(1)
        for e in entries {
          if case .rational(let q) = e, !q.isInteger { scale = BigInt.lcm(scale, q.denominator) }
        }
        let unscaled = scale == BigInt(1)
        for e in entries {
          let z = buffer + count
          __gmpz_init(z)
          count += 1
          switch e {
          case .small(let v):
            if unscaled { __gmpz_set_si(z, v) } else { (scale * BigInt(v)).copy(into: z) }
          case .rational(let q):
            let v = unscaled ? q.numerator : q.numerator * scale.dividedExactly(by: q.denominator)
            v.copy(into: z)
          }
        }
        scales.append(scale)
      }
    } catch {
      for k in 0..<count { __gmpz_clear(buffer + k) }
      buffer.deallocate()
      throw error
    }
    return (IntegerMatrix(adopting: buffer, rows: scales.count, cols: cols), scales)
  }

  /// Reads and parses a matrix file into rational rows.
  public static func read(contentsOf path: String) throws -> [[Rational]] {
    let data = try contents(of: path)
    return try data.withUnsafeBytes { raw in
      var rows: [[Rational]] = []
      try scan(raw.bindMemory(to: UInt8.self), source: path) { entries, _ in rows.append(entries.map { $0.rational }) }
      return rows
    }
  }

  /// Reads a matrix file straight into the row-scaled integer matrix and its row scales.
  public static func readScaled(contentsOf path: String) throws -> (matrix: IntegerMatrix, rowScales: [BigInt]) {
    let data = try contents(of: path)
    return try data.withUnsafeBytes { raw in try parseScaled(raw.bindMemory(to: UInt8.self), source: path) }
  }

  /// The original rational rows of a row-scaled matrix: M[i][j] / rowScales[i].
  public static func rationalRows(of matrix: IntegerMatrix, rowScales: [BigInt]) -> [[Rational]] {
    (0..<matrix.rows).map { i in
      (0..<matrix.cols).map { j in
        rowScales[i] == BigInt(1) ? Rational(matrix[i, j]) : try! Rational(matrix[i, j], rowScales[i])  // scale > 0
      }
    }
  }

  /// The text form of a rational matrix (one row per line).
  public static func format(_ rows: [[Rational]]) -> String {
    rows.map { $0.map(\.description).joined(separator: " ") }.joined(separator: "\n") + "\n"
  }

  /// The text form of an integer matrix (one row per line).
  public static func format(_ matrix: IntegerMatrix) -> String {
    matrix.description + "\n"
  }

  // MARK: - Scanner

  /// One parsed entry: a machine integer (the common case, no allocation) or a rational.
  enum Entry {
    case small(Int)
    case rational(Rational)

    var rational: Rational {
      switch self {
      case .small(let v): return Rational(v)
      case .rational(let q): return q
      }
    }
  }

  static func contents(of path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw MatrixFileError(source: path, message: "no such file")
    }
    guard !isDirectory.boolValue else { throw MatrixFileError(source: path, message: "is a directory, not a matrix file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw MatrixFileError(source: path, message: "cannot be read (permission denied?)")
    }
    guard String(data: data, encoding: .utf8) != nil || data.isEmpty else {
      throw MatrixFileError(source: path, message: "is not UTF-8 text")
    }
    return data
  }

  /// Calls `row` for every non-empty row with its entries and 1-based line number; checks
  /// that rows have equal lengths and that there is at least one.
  static func scan(
    _ bytes: UnsafeBufferPointer<UInt8>, source: String, row: ([Entry], Int) throws -> Void
  ) throws {
    var line = 1
    var firstRowLine = 0
    var width = -1
    var entries: [Entry] = []
    var i = 0
    let n = bytes.count
    while i <= n {
      // One line: bytes i..<end.
      var end = i
      // A line ends at LF, CR or CRLF (files from any system read the same).
      while end < n && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
      var stop = end
      var k = i
      while k < end {
        if bytes[k] == 0x23 {  // '#'
          stop = k
          break
        }
        k += 1
      }
      entries.removeAll(keepingCapacity: true)
      var t = i
      while t < stop {
        let b = bytes[t]
        if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C {
          t += 1
          continue
        }
        var e = t
        while e < stop {
          let c = bytes[e]
          if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { break }
          e += 1
        }
        entries.append(try entry(bytes, t, e, line: line, lineStart: i, source: source))
        t = e
      }
      if !entries.isEmpty {
        if width < 0 {
          width = entries.count
          firstRowLine = line
        } else if entries.count != width {
          throw MatrixFileError(
            source: source, line: line,
            message: "row has \(entries.count) entries, expected \(width) (as in the first row, line \(firstRowLine))")
        }
        try row(entries, line)
      }
      line += 1
      i = end + (end + 1 < n && bytes[end] == 0x0D && bytes[end + 1] == 0x0A ? 2 : 1)
    }
    guard width >= 0 else {
      throw MatrixFileError(source: source, message: "no matrix rows (the file is empty or holds only comments)")
    }
  }

  /// Parses the token bytes[start..<end].
  static func entry(
    _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, line: Int, lineStart: Int, source: String
  ) throws -> Entry {
    // Fast path: [+-]digits with at most 18 digits.
    var k = start
    var negative = false
    if bytes[k] == 0x2D || bytes[k] == 0x2B {
      negative = bytes[k] == 0x2D
      k += 1
    }
    if k < end && end - k <= 18 {
      var v = 0
      var j = k
      while j < end, bytes[j] >= 0x30, bytes[j] <= 0x39 {
        v = v * 10 + Int(bytes[j] - 0x30)
        j += 1
      }
      if j == end { return .small(negative ? -v : v) }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    do {
      return .rational(try Rational(parsing: text))
    } catch let e as ExactNumberError {
      // Column in characters: count the UTF-8 lead bytes before the token.
      var column = 1
      for b in bytes[lineStart..<start] where b & 0xC0 != 0x80 { column += 1 }
      throw MatrixFileError(source: source, line: line, column: column, message: e.description)
    }
  }
}
