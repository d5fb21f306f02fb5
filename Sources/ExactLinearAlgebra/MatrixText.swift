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
/// One row per line (LF or CRLF); entries separated by spaces or tabs; each entry an integer (`-3`), a
/// fraction (`7/12`, `-7/12`) or a decimal (`0.125`, `-1.5e-3`, `2E10`), all read exactly.
/// `#` starts a comment that runs to the end of the line; blank lines are ignored. Every row
/// must have the same number of entries, and there must be at least one row.
///
///     # a rank-2 example
///     1    2    3
///     1/2  1    3/2     # = row 1 / 2
///     0.5  0    -1e-1
public enum MatrixText {
  /// Parses matrix text; `source` names it in error messages.
  public static func parse(_ text: String, source: String = "<input>") throws -> [[Rational]] {
    var rows: [[Rational]] = []
    var firstRowLine = 0
    var lineNumber = 0
    for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      lineNumber += 1
      var line = Substring(rawLine)
      if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
      var row: [Rational] = []
      var column = 1
      var tokenStart = -1
      var token = ""
      func finish() throws {
        guard tokenStart >= 0 else { return }
        defer {
          tokenStart = -1
          token = ""
        }
        if let small = Int(token) {
          row.append(Rational(small))
          return
        }
        do {
          row.append(try Rational(parsing: token))
        } catch let e as ExactNumberError {
          throw MatrixFileError(source: source, line: lineNumber, column: tokenStart, message: e.description)
        }
      }
      for ch in line {
        if ch.isWhitespace {
          try finish()
        } else {
          if tokenStart < 0 { tokenStart = column }
          token.append(ch)
        }
        column += 1
      }
      try finish()
      if row.isEmpty { continue }
      if let first = rows.first, first.count != row.count {
        throw MatrixFileError(
          source: source, line: lineNumber,
          message: "row has \(row.count) entries, expected \(first.count) (as in the first row, line \(firstRowLine))")
      }
      if rows.isEmpty { firstRowLine = lineNumber }
      rows.append(row)
    }
    guard !rows.isEmpty else {
      throw MatrixFileError(source: source, message: "no matrix rows (the file is empty or holds only comments)")
    }
    return rows
  }

  /// Reads and parses a matrix file.
  public static func read(contentsOf path: String) throws -> [[Rational]] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw MatrixFileError(source: path, message: "no such file")
    }
    guard !isDirectory.boolValue else { throw MatrixFileError(source: path, message: "is a directory, not a matrix file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw MatrixFileError(source: path, message: "cannot be read (permission denied?)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw MatrixFileError(source: path, message: "is not UTF-8 text")
    }
    return try parse(text, source: path)
  }

  /// The text form of a rational matrix (one row per line).
  public static func format(_ rows: [[Rational]]) -> String {
    rows.map { $0.map(\.description).joined(separator: " ") }.joined(separator: "\n") + "\n"
  }

  /// The text form of an integer matrix (one row per line).
  public static func format(_ matrix: IntegerMatrix) -> String {
    matrix.description + "\n"
  }
}
