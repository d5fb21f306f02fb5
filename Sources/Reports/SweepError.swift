import ConvNet

/// A sweep file or table file that cannot be used: one line saying what is wrong and the fix.
public struct SweepError: Error, Equatable, CustomStringConvertible {
  /// What is wrong and how to fix it.
  public let message: String

  /// An error with the given one-line message.
  public init(_ message: String) { self.message = message }

  /// The message.
  public var description: String { message }
}

// MARK: - Reading JSON values

extension JSONValue {
  /// The value as short text for messages (strings quoted, containers abbreviated).
  var shortText: String {
    switch self {
    case .array, .object:
      let s = compactText
      return s.count > 40 ? String(s.prefix(37)) + "..." : s
    default: return compactText
    }
  }

  /// An integer number (no fraction or exponent), or nil.
  var integer: Int? {
    if case .number(let t) = self { return Int(t) }
    return nil
  }

  /// The text of a string value, or nil.
  var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The key–value pairs of an object, or nil.
  var pairs: [(key: String, value: JSONValue)]? {
    if case .object(let p) = self { return p }
    return nil
  }

  /// The texts of an array of strings, or nil (not an array, or an item is not a string).
  var strings: [String]? {
    guard let items else { return nil }
    let texts = items.compactMap(\.string)
    return texts.count == items.count ? texts : nil
  }

  /// The items of an array, or nil.
  var items: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// The value on one line, no spaces (JSON Lines rows, hashing).
  public var compactText: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return n
    case .string(let s): return JSONValue.escaped(s)
    case .array(let a): return "[" + a.map(\.compactText).joined(separator: ",") + "]"
    case .object(let o): return "{" + o.map { JSONValue.escaped($0.key) + ":" + $0.value.compactText }.joined(separator: ",") + "}"
    }
  }

  /// A JSON string literal for `s` (control characters escaped, so it never spans lines).
  static func escaped(_ s: String) -> String { JSONValue.quoted(s) }

  /// An integer as a JSON number.
  static func int(_ v: Int) -> JSONValue { .number(String(v)) }
}

/// Checks an object's keys against the allowed ones (with a "did you mean" hint).
struct ObjectFields {
  let values: [String: JSONValue]
  let order: [String]

  init(_ pairs: [(key: String, value: JSONValue)], context: String, allowed: [String]) throws(SweepError) {
    var values: [String: JSONValue] = [:]
    var order: [String] = []
    for (k, v) in pairs {
      guard allowed.contains(k) else {
        let hint = closestWord(to: k, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw SweepError("unknown key \(MessageText.quoted(k, limit: 60)) in \(context)\(hint); allowed keys are \(allowed.joined(separator: ", "))")
      }
      values[k] = v
      order.append(k)
    }
    self.values = values
    self.order = order
  }

  subscript(key: String) -> JSONValue? { values[key] }
}

/// The allowed word closest to `word` within a small edit distance, for hints.
func closestWord(to word: String, in candidates: [String]) -> String? {
  func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
      var cur = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      prev = cur
    }
    return prev[b.count]
  }
  let w = Array(word.lowercased())
  let scored = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.filter { $0.1 <= max(1, w.count / 3) }
  return scored.min { $0.1 < $1.1 }?.0
}
