import ConvNet

/// An architecture string with placeholders, expanded once per point of a sweep.
///
/// Syntax (inside an ordinary architecture string, see docs/architectures.md):
/// * `{name}` — replaced by the value of the axis `name` (a number or a string, inserted as
///   text), e.g. `1x{d} conv({m},k={k}) dense({K})`;
/// * `{repeat name: body}` — `body` (which may hold placeholders) repeated `name` times,
///   separated by spaces, e.g. `1x16 {repeat depth: conv({m},k=3)} dense(2)`; a count of 0
///   removes it.
///
/// Names are letters, digits and `_`, starting with a letter or `_`. After expansion, runs of
/// spaces are collapsed and the text is trimmed, so `{repeat …}` blocks need no care with spaces.
public struct ArchitectureTemplate: Equatable, Sendable, CustomStringConvertible {
  /// One piece of the template.
  indirect enum Piece: Equatable, Sendable {
    case text(String)
    case placeholder(String)
    case repeated(count: String, body: [Piece])
  }

  /// The template as written.
  public let text: String
  let pieces: [Piece]

  /// Parses a template.
  /// - Throws: `SweepError` with the column of an unbalanced brace or a malformed placeholder.
  public init(_ text: String) throws(SweepError) {
    self.text = text
    var parser = Parser(chars: Array(text), text: text)
    pieces = try parser.parsePieces(closing: false)
  }

  /// The template text.
  public var description: String { text }

  /// Every placeholder name (value placeholders and repeat counts), in order of first appearance.
  public var placeholders: [String] {
    var seen: [String] = []
    func walk(_ ps: [Piece]) {
      for p in ps {
        switch p {
        case .text: break
        case .placeholder(let n): if !seen.contains(n) { seen.append(n) }
        case .repeated(let c, let body):
          if !seen.contains(c) { seen.append(c) }
          walk(body)
        }
      }
    }
    walk(pieces)
    return seen
  }

  /// The names used as repeat counts.
  public var repeatCounts: Set<String> {
    var out: Set<String> = []
    func walk(_ ps: [Piece]) {
      for case .repeated(let c, let body) in ps {
        out.insert(c)
        walk(body)
      }
    }
    walk(pieces)
    return out
  }

  /// The largest repeat count accepted.
  public static let maxRepeat = 64
  /// The longest architecture string a template may expand to (checked before expanding).
  public static let maxRenderedLength = 100_000
  /// The deepest nesting of `{repeat …}` blocks accepted.
  public static let maxNesting = 8

  /// The architecture string for the given placeholder values (spaces collapsed, trimmed).
  /// - Throws: `SweepError` for a missing value or a repeat count that is not an integer in
  ///   0...`maxRepeat`.
  public func render(_ values: [String: String]) throws(SweepError) -> String {
    // Nested repeats multiply: measure the expansion before building it.
    func length(_ ps: [Piece]) -> Int {
      var total = 0
      for p in ps {
        let part: Int
        switch p {
        case .text(let t): part = t.count
        case .placeholder(let n): part = values[n]?.count ?? 0
        case .repeated(let c, let body):
          let count = values[c].flatMap { Int($0) }.map { min(max($0, 0), ArchitectureTemplate.maxRepeat) } ?? 0
          let (product, overflow) = (length(body) + 1).multipliedReportingOverflow(by: count)
          part = overflow ? Int.max / 4 : product + 2
        }
        total = min(total + part, Int.max / 4)
      }
      return total
    }
    let expandedLength = length(pieces)
    guard expandedLength <= ArchitectureTemplate.maxRenderedLength else {
      throw SweepError("the architecture template expands to more than \(ArchitectureTemplate.maxRenderedLength) characters (nested {repeat} blocks multiply); use smaller repeat counts")
    }
    func expand(_ ps: [Piece]) throws(SweepError) -> String {
      var out = ""
      for p in ps {
        switch p {
        case .text(let t): out += t
        case .placeholder(let n):
          guard let v = values[n] else { throw SweepError("placeholder {\(n)} has no value") }
          out += v
        case .repeated(let c, let body):
          guard let v = values[c] else { throw SweepError("repeat count {repeat \(c): …} has no value") }
          guard let count = Int(v), (0...ArchitectureTemplate.maxRepeat).contains(count) else {
            throw SweepError("repeat count \(c) must be an integer in 0...\(ArchitectureTemplate.maxRepeat), got '\(v)'")
          }
          let one = try expand(body)
          out += " " + Array(repeating: one, count: count).joined(separator: " ") + " "
        }
      }
      return out
    }
    let raw = try expand(pieces)
    return raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
  }

  struct Parser {
    let chars: [Character]
    let text: String
    var i = 0

    var nesting = 0

    func error(_ column: Int, _ message: String) -> SweepError {
      return SweepError("column \(column + 1) of the architecture template \(MessageText.quoted(text)): \(MessageText.escaped(message, limit: 400, escapeQuotes: false))")
    }

    mutating func parsePieces(closing: Bool) throws(SweepError) -> [Piece] {
      nesting += 1
      defer { nesting -= 1 }
      guard nesting <= ArchitectureTemplate.maxNesting + 1 else {
        throw error(i, "{repeat …} blocks are nested more than \(ArchitectureTemplate.maxNesting) deep")
      }
      var out: [Piece] = []
      var buffer = ""
      while i < chars.count {
        let c = chars[i]
        if c == "}" {
          if closing { break }
          throw error(i, "'}' without a matching '{'")
        }
        if c == "{" {
          if !buffer.isEmpty { out.append(.text(buffer)); buffer = "" }
          out.append(try parseBrace())
          continue
        }
        buffer.append(c)
        i += 1
      }
      if !buffer.isEmpty { out.append(.text(buffer)) }
      return out
    }

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

    mutating func name(_ what: String) throws(SweepError) -> String {
      let start = i
      while i < chars.count, chars[i] == "_" || chars[i].isLetter || (i > start && chars[i].isNumber), chars[i].isASCII {
        i += 1
      }
      guard i > start else {
        throw error(start, "expected \(what) (letters, digits, _) after '{'; placeholders look like {m} or {repeat depth: conv({m},k=3)}")
      }
      return String(chars[start..<i])
    }

    mutating func parseBrace() throws(SweepError) -> Piece {
      let open = i
      i += 1
      skipSpaces()
      let word = try name("a placeholder name")
      skipSpaces()
      if word == "repeat", i < chars.count, chars[i] != "}" {
        let count = try name("the name of the repeat count")
        skipSpaces()
        guard i < chars.count, chars[i] == ":" else {
          throw error(i, "expected ':' after {repeat \(count), as in {repeat \(count): conv({m},k=3)}")
        }
        i += 1
        let body = try parsePieces(closing: true)
        guard i < chars.count, chars[i] == "}" else { throw error(open, "'{repeat' without a matching '}'") }
        i += 1
        return .repeated(count: count, body: body)
      }
      guard i < chars.count, chars[i] == "}" else {
        if i >= chars.count { throw error(open, "'{' without a matching '}'") }
        throw error(i, "unexpected '\(chars[i])' in placeholder {\(word)…}; a placeholder is a name like {m}")
      }
      i += 1
      return .placeholder(word)
    }
  }
}
