// A small JSON reader and writer for network configs.
//
// Foundation's JSONSerialization turns every number into a Double, which would make exact
// weights inexact (0.1, 2^60 + 1). This reader keeps each number's literal text, reports
// errors with line and column, and rejects duplicate keys; objects keep their key order.

/// A JSON value whose numbers are kept as their literal text.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// The number exactly as written, e.g. `-12`, `0.125`, `1e-3`.
  case number(String)
  case string(String)
  case array([JSONValue])
  /// Key–value pairs in document order (keys are unique).
  case object([(key: String, value: JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  /// "an object", "a string", … for error messages.
  public var kindName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}

/// Malformed JSON text, with a 1-based line and column.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
  /// 1-based line.
  public let line: Int
  /// 1-based column.
  public let column: Int
  /// What is wrong.
  public let message: String
  /// One line for the user.
  public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

extension JSONValue {
  /// The value of `key` in an object (nil for a missing key or a non-object).
  public subscript(key: String) -> JSONValue? {
    guard case .object(let pairs) = self else { return nil }
    return pairs.first { $0.key == key }?.value
  }

  /// Parses one JSON document (UTF-8, optional byte-order mark).
  public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
    var reader = JSONReader(bytes: bytes)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
    reader.skipWhitespace()
    let value = try reader.value(depth: 0)
    reader.skipWhitespace()
    guard reader.index == bytes.count else { throw reader.error("unexpected text after the JSON value") }
    return value
  }
}

private struct JSONReader {
  let bytes: [UInt8]
  var index = 0

  func error(_ message: String) -> JSONSyntaxError {
    var line = 1, column = 1
    for b in bytes[..<min(index, bytes.count)] {
      if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
    }
    return JSONSyntaxError(line: line, column: column, message: message)
  }

  var current: UInt8? { index < bytes.count ? bytes[index] : nil }

  mutating func skipWhitespace() {
    while let b = current, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
  }

  mutating func expect(_ literal: String) throws(JSONSyntaxError) {
    let utf8 = Array(literal.utf8)
    guard bytes[index...].starts(with: utf8) else { throw error("expected '\(literal)'") }
    index += utf8.count
  }

  mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth < 64 else { throw error("nesting deeper than 64 levels") }
    guard let b = current else { throw error("unexpected end of input; the JSON is incomplete") }
    switch b {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try expect("true"); return .bool(true)
    case UInt8(ascii: "f"): try expect("false"); return .bool(false)
    case UInt8(ascii: "n"): try expect("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    case UInt8(ascii: "'"): throw error("strings use double quotes \"…\", not single quotes")
    default: throw error("unexpected character '\(Character(Unicode.Scalar(b)))'; expected a value")
    }
  }

  mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    index += 1
    var pairs: [(key: String, value: JSONValue)] = []
    var keys: Set<String> = []
    skipWhitespace()
    if current == UInt8(ascii: "}") { index += 1; return .object([]) }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else {
        throw error(current == UInt8(ascii: "}") ? "trailing comma before '}'" : "expected a key in double quotes")
      }
      let keyStart = index
      let key = try string()
      guard keys.insert(key).inserted else {
        index = keyStart
        throw error("key \"\(key)\" appears twice")
      }
      skipWhitespace()
      guard current == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
      index += 1
      skipWhitespace()
      pairs.append((key, try value(depth: depth + 1)))
      skipWhitespace()
      if current == UInt8(ascii: ",") { index += 1; continue }
      if current == UInt8(ascii: "}") { index += 1; return .object(pairs) }
      throw error(current == nil ? "unexpected end of input; a '}' is missing" : "expected ',' or '}' after the value of \"\(key)\"")
    }
  }

  mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    index += 1
    var items: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") { index += 1; return .array([]) }
    while true {
      skipWhitespace()
      if current == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
      items.append(try value(depth: depth + 1))
      skipWhitespace()
      if current == UInt8(ascii: ",") { index += 1; continue }
      if current == UInt8(ascii: "]") { index += 1; return .array(items) }
      throw error(current == nil ? "unexpected end of input; a ']' is missing" : "expected ',' or ']' in the array")
    }
  }

  mutating func number() throws(JSONSyntaxError) -> String {
    let start = index
    func digits(_ r: inout JSONReader) -> Int {
      let s = r.index
      while let b = r.current, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { r.index += 1 }
      return r.index - s
    }
    if current == UInt8(ascii: "-") { index += 1 }
    let intStart = index
    guard digits(&self) > 0 else { throw error("expected digits in the number") }
    if bytes[intStart] == UInt8(ascii: "0"), index - intStart > 1 { index = intStart; throw error("numbers must not have leading zeros") }
    if current == UInt8(ascii: ".") {
      index += 1
      guard digits(&self) > 0 else { throw error("expected digits after the decimal point") }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      index += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
      guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
    }
    return String(decoding: bytes[start..<index], as: UTF8.self)
  }

  mutating func string() throws(JSONSyntaxError) -> String {
    index += 1
    var out: [UInt8] = []
    while true {
      guard let b = current else { throw error("unterminated string; a closing '\"' is missing") }
      index += 1
      switch b {
      case UInt8(ascii: "\""):
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard let e = current else { throw error("unterminated escape") }
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code) {
            guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else { throw error("unpaired surrogate in \\u escape") }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
          index -= 1
          throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
        }
      case 0x00..<0x20:
        index -= 1
        throw error("control character in a string; write it as an escape such as \\n")
      default:
        out.append(b)
      }
    }
  }

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
      throw error("expected 4 hex digits after \\u")
    }
    index += 4
    return v
  }
}

extension JSONValue {
  /// Pretty-printed text: objects one key per line, arrays of scalars on one line, arrays of
  /// arrays one row per line.
  public func serialized(indent: Int = 0) -> String {
    let pad = String(repeating: " ", count: indent)
    let inner = String(repeating: " ", count: indent + 2)
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return n
    case .string(let s): return JSONValue.quoted(s)
    case .array(let items):
      if items.isEmpty { return "[]" }
      if items.allSatisfy({ !$0.isContainer }) {
        return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
      }
      return "[\n" + items.map { inner + $0.serialized(indent: indent + 2) }.joined(separator: ",\n") + "\n" + pad + "]"
    case .object(let pairs):
      if pairs.isEmpty { return "{}" }
      if indent > 0, pairs.allSatisfy({ !$0.value.isContainer }) {
        return "{" + pairs.map { JSONValue.quoted($0.key) + ": " + $0.value.serialized() }.joined(separator: ", ") + "}"
      }
      return "{\n" + pairs.map { inner + JSONValue.quoted($0.key) + ": " + $0.value.serialized(indent: indent + 2) }
        .joined(separator: ",\n") + "\n" + pad + "}"
    }
  }

  private var isContainer: Bool {
    switch self {
    case .array(let a): return !a.isEmpty
    case .object(let o): return !o.isEmpty
    default: return false
    }
  }

  /// A JSON string literal for `s` (control characters and U+2028/2029 escaped, so it never
  /// spans lines).
  public static func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029 {
          let h = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
