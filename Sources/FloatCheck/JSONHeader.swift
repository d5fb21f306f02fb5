/// A strict JSON (RFC 8259) value for safetensors headers. Numbers keep their text so that
/// offsets and sizes are read as exact integers (no detour through `Double`); duplicate
/// object keys are an error, as the safetensors format requires; nesting is limited.
indirect enum JSONValue: Equatable {
  case object([(String, JSONValue)])
  case array([JSONValue])
  case string(String)
  case number(String)
  case bool(Bool)
  case null

  static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    case (.array(let x), .array(let y)): return x == y
    case (.string(let x), .string(let y)), (.number(let x), .number(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.null, .null): return true
    default: return false
    }
  }

  /// A non-negative integer that fits in `Int`, or nil (fractions, exponents, negatives,
  /// overflow and non-numbers are all nil).
  var nonNegativeInteger: Int? {
    guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
      return nil
    }
    return Int(text)
  }

  /// Short description for error messages.
  var kind: String {
    switch self {
    case .object: return "an object"
    case .array: return "an array"
    case .string: return "a string"
    case .number(let t): return "the number \(t)"
    case .bool: return "a boolean"
    case .null: return "null"
    }
  }

  /// Parses `bytes` (UTF-8) as exactly one JSON value with optional surrounding whitespace.
  static func parse(_ bytes: ArraySlice<UInt8>) throws(JSONSyntaxError) -> JSONValue {
    var p = JSONParser(Array(bytes))
    p.skipSpace()
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.position == p.bytes.count else { throw JSONSyntaxError(reason: "unexpected text after the JSON value", offset: p.position) }
    return v
  }
}

/// Why a JSON text did not parse, and where.
struct JSONSyntaxError: Error {
  let reason: String
  let offset: Int
}

private struct JSONParser {
  let bytes: [UInt8]
  var position = 0
  static let maxDepth = 32

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

  func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(reason: reason, offset: position) }

  mutating func skipSpace() {
    while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
  }

  mutating func expect(_ c: UInt8) throws(JSONSyntaxError) {
    guard peek == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
    position += 1
  }

  mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
    guard let c = peek else { throw fail("unexpected end") }
    switch c {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    default: throw fail("unexpected character")
    }
  }

  mutating func literal(_ word: String) throws(JSONSyntaxError) {
    for b in word.utf8 { try expect(b) }
  }

  mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    position += 1
    var items: [(String, JSONValue)] = []
    var keys = Set<String>()
    skipSpace()
    if peek == UInt8(ascii: "}") {
      position += 1
      return .object(items)
    }
    while true {
      skipSpace()
      guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key") }
      let keyStart = position
      let key = try string()
      guard keys.insert(key).inserted else {
        throw JSONSyntaxError(reason: "duplicate key \"\(key)\"", offset: keyStart)
      }
      skipSpace()
      try expect(UInt8(ascii: ":"))
      skipSpace()
      items.append((key, try value(depth: depth + 1)))
      skipSpace()
      guard let c = peek else { throw fail("unterminated object") }
      position += 1
      if c == UInt8(ascii: "}") { return .object(items) }
      guard c == UInt8(ascii: ",") else {
        position -= 1
        throw fail("expected ',' or '}'")
      }
    }
  }

  mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    position += 1
    var items: [JSONValue] = []
    skipSpace()
    if peek == UInt8(ascii: "]") {
      position += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value(depth: depth + 1))
      skipSpace()
      guard let c = peek else { throw fail("unterminated array") }
      position += 1
      if c == UInt8(ascii: "]") { return .array(items) }
      guard c == UInt8(ascii: ",") else {
        position -= 1
        throw fail("expected ',' or ']'")
      }
    }
  }

  mutating func number() throws(JSONSyntaxError) -> String {
    let start = position
    if peek == UInt8(ascii: "-") { position += 1 }
    func digits(_ p: inout JSONParser) -> Int {
      var n = 0
      while let c = p.peek, c >= 48, c <= 57 {
        p.position += 1
        n += 1
      }
      return n
    }
    if peek == UInt8(ascii: "0") {
      position += 1
    } else if digits(&self) == 0 {
      throw fail("expected digits")
    }
    if peek == UInt8(ascii: ".") {
      position += 1
      guard digits(&self) > 0 else { throw fail("expected digits after '.'") }
    }
    if let c = peek, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
      position += 1
      if let s = peek, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { position += 1 }
      guard digits(&self) > 0 else { throw fail("expected exponent digits") }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard let c = peek else { throw fail("unterminated \\u escape") }
      let d: UInt32
      switch c {
      case 48...57: d = UInt32(c - 48)
      case 65...70: d = UInt32(c - 55)
      case 97...102: d = UInt32(c - 87)
      default: throw fail("bad hex digit in \\u escape")
      }
      v = v * 16 + d
      position += 1
    }
    return v
  }

  mutating func string() throws(JSONSyntaxError) -> String {
    position += 1
    var scalars = String.UnicodeScalarView()
    var run: [UInt8] = []  // raw UTF-8 bytes between escapes
    func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) throws(JSONSyntaxError) {
      guard !run.isEmpty else { return }
      guard let s = String(validating: run, as: UTF8.self) else {
        throw JSONSyntaxError(reason: "invalid UTF-8 in a string", offset: 0)
      }
      scalars.append(contentsOf: s.unicodeScalars)
      run.removeAll(keepingCapacity: true)
    }
    while true {
      guard let c = peek else { throw fail("unterminated string") }
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        try flush(&run, into: &scalars)
        return String(scalars)
      case UInt8(ascii: "\\"):
        try flush(&run, into: &scalars)
        guard let e = peek else { throw fail("unterminated string") }
        position += 1
        switch e {
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "/"): scalars.append("/")
        case UInt8(ascii: "b"): scalars.append("\u{08}")
        case UInt8(ascii: "f"): scalars.append("\u{0C}")
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code) {
            guard peek == UInt8(ascii: "\\") else { throw fail("unpaired surrogate") }
            position += 1
            guard peek == UInt8(ascii: "u") else { throw fail("unpaired surrogate") }
            position += 1
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired surrogate") }
          scalars.append(scalar)
        default:
          throw fail("bad escape")
        }
      default:
        guard c >= 0x20 else { throw fail("control character in a string") }
        run.append(c)
      }
    }
  }
}
