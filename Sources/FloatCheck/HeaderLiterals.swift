/// The small subset of Python literal syntax that `.npy` headers use:
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
///
/// Nested lists and tuples are parsed (structured dtypes use them) so that they can be
/// reported as unsupported; nesting is limited so hostile input cannot exhaust the stack.
indirect enum PythonLiteral: Equatable {
  case string(String)
  case bool(Bool)
  case integer(Int)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dict([(String, PythonLiteral)])

  static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.integer(let x), .integer(let y)): return x == y
    case (.none, .none): return true
    case (.tuple(let x), .tuple(let y)), (.list(let x), .list(let y)): return x == y
    case (.dict(let x), .dict(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// Parses one literal filling all of `text` (surrounding whitespace allowed).
  static func parse(_ text: String) throws(LiteralSyntaxError) -> PythonLiteral {
    var p = LiteralParser(Array(text.unicodeScalars))
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.atEnd else { throw LiteralSyntaxError(reason: "unexpected text after the literal at offset \(p.position)") }
    return v
  }
}

/// Why a header literal did not parse.
struct LiteralSyntaxError: Error {
  let reason: String
}

private struct LiteralParser {
  let s: [Unicode.Scalar]
  var position = 0
  static let maxDepth = 16

  init(_ s: [Unicode.Scalar]) { self.s = s }

  var atEnd: Bool { position >= s.count }
  var peek: Unicode.Scalar? { position < s.count ? s[position] : nil }

  mutating func skipSpace() {
    while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { position += 1 }
  }

  mutating func fail(_ what: String) -> LiteralSyntaxError {
    LiteralSyntaxError(reason: "\(what) at offset \(position)")
  }

  mutating func value(depth: Int) throws(LiteralSyntaxError) -> PythonLiteral {
    guard depth < LiteralParser.maxDepth else { throw fail("nesting too deep") }
    skipSpace()
    guard let c = peek else { throw fail("unexpected end") }
    switch c {
    case "'", "\"": return .string(try string())
    case "{": return try dict(depth: depth)
    case "(":
      position += 1
      let (items, sawComma) = try sequence(close: ")", depth: depth)
      // As in Python, "(3)" is the integer 3; only "(3,)" is a one-element tuple.
      return items.count == 1 && !sawComma ? items[0] : .tuple(items)
    case "[":
      position += 1
      return .list(try sequence(close: "]", depth: depth).items)
    case "-", "+", "0"..."9": return .integer(try integer())
    default:
      var word = ""
      while let d = peek, d.properties.isAlphabetic || d == "_" {
        word.unicodeScalars.append(d)
        position += 1
      }
      switch word {
      case "True": return .bool(true)
      case "False": return .bool(false)
      case "None": return .none
      default: throw fail(word.isEmpty ? "unexpected character '\(c)'" : "unknown name '\(word)'")
      }
    }
  }

  mutating func string() throws(LiteralSyntaxError) -> String {
    let quote = s[position]
    position += 1
    var out = ""
    while true {
      guard let c = peek else { throw fail("unterminated string") }
      position += 1
      if c == quote { return out }
      if c == "\\" {
        guard let e = peek else { throw fail("unterminated string") }
        position += 1
        switch e {
        case "n": out += "\n"
        case "t": out += "\t"
        case "\\", "'", "\"": out.unicodeScalars.append(e)
        default: throw fail("unsupported escape '\\\(e)'")
        }
      } else if c == "\n" {
        throw fail("newline inside a string")
      } else {
        out.unicodeScalars.append(c)
      }
    }
  }

  mutating func integer() throws(LiteralSyntaxError) -> Int {
    var negative = false
    if let c = peek, c == "-" || c == "+" {
      negative = c == "-"
      position += 1
    }
    var v = 0
    var digits = 0
    while let c = peek, ("0"..."9").contains(c) {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int(c.value - 48))
      guard !o1, !o2 else { throw fail("integer too large") }
      v = a
      digits += 1
      position += 1
    }
    guard digits > 0 else { throw fail("expected digits") }
    // Python 2 wrote long integers as 3L; old .npy files carry that.
    if let c = peek, c == "L" { position += 1 }
    return negative ? -v : v
  }

  mutating func sequence(close: Unicode.Scalar, depth: Int) throws(LiteralSyntaxError)
    -> (items: [PythonLiteral], sawComma: Bool)
  {
    var items: [PythonLiteral] = []
    var sawComma = false
    while true {
      skipSpace()
      if let c = peek, c == close {
        position += 1
        return (items, sawComma)
      }
      items.append(try value(depth: depth + 1))
      skipSpace()
      guard let c = peek else { throw fail("unterminated \(close == ")" ? "tuple" : "list")") }
      if c == "," {
        position += 1
        sawComma = true
      } else if c != close {
        throw fail("expected ',' or '\(close)'")
      }
    }
  }

  mutating func dict(depth: Int) throws(LiteralSyntaxError) -> PythonLiteral {
    position += 1
    var items: [(String, PythonLiteral)] = []
    while true {
      skipSpace()
      guard let c = peek else { throw fail("unterminated dict") }
      if c == "}" {
        position += 1
        return .dict(items)
      }
      guard c == "'" || c == "\"" else { throw fail("expected a string key") }
      let key = try string()
      skipSpace()
      guard peek == ":" else { throw fail("expected ':'") }
      position += 1
      let v = try value(depth: depth + 1)
      if items.contains(where: { $0.0 == key }) { throw fail("duplicate key '\(key)'") }
      items.append((key, v))
      skipSpace()
      guard let d = peek else { throw fail("unterminated dict") }
      if d == "," {
        position += 1
      } else if d != "}" {
        throw fail("expected ',' or '}'")
      }
    }
  }
}

extension PythonLiteral: CustomStringConvertible {
  /// The literal as Python writes it (`(3, -1)`, `'<f8'`, `True`), for messages.
  var description: String {
    switch self {
    case .string(let s): return "'" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "'"
    case .bool(let b): return b ? "True" : "False"
    case .integer(let i): return String(i)
    case .none: return "None"
    case .tuple(let items):
      let shown = items.prefix(8).map(\.description).joined(separator: ", ")
      return "(" + shown + (items.count > 8 ? ", …" : items.count == 1 ? "," : "") + ")"
    case .list(let items):
      return "[" + items.prefix(8).map(\.description).joined(separator: ", ") + (items.count > 8 ? ", …" : "") + "]"
    case .dict(let pairs):
      return "{" + pairs.prefix(4).map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + (pairs.count > 4 ? ", …" : "") + "}"
    }
  }
}
