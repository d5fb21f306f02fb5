/// Untrusted text (architecture strings, keys, names read from files) made safe to show in a
/// one-line message: quoted, control characters and bidirectional overrides escaped, and cut.
public enum MessageText {
  /// `"text"` with `\n`, `\r`, `\t`, other control characters as `\u{…}`, cut after `limit`
  /// characters with `…`.
  public static func quoted(_ text: String, limit: Int = 120) -> String {
    "\"" + escaped(text, limit: limit) + "\""
  }

  /// The text escaped and cut as in `quoted`, without the quotes (`"` is escaped only when
  /// `escapeQuotes`, for text that goes between quotes).
  public static func escaped(_ text: String, limit: Int = 120, escapeQuotes: Bool = true) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
      if count >= limit {
        out += "…"
        break
      }
      count += 1
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\"" where escapeQuotes: out += "\\\""
      default:
        let v = scalar.value
        if v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
          out += "\\u{\(String(v, radix: 16))}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}
