/// One line for a `DecodingError` (or any error) met while reading a JSON file: the field's
/// path written as in the file (`entries[1][2]`, `certificate.rank`), what was expected, and no
/// Swift debug descriptions or internal coding paths.
public enum DecodingMessage {
  /// The message for `error`.
  public static func text(_ error: any Error) -> String {
    guard let decoding = error as? DecodingError else { return "\(error)" }
    switch decoding {
    case .keyNotFound(let key, let context):
      return "missing field \(path(context.codingPath + [key]))"
    case .valueNotFound(let type, let context):
      return "\(path(context.codingPath)) is null or missing; expected \(expected(type))"
    case .typeMismatch(let type, let context):
      return "\(path(context.codingPath)) has the wrong type; expected \(expected(type))"
    case .dataCorrupted(let context):
      if context.codingPath.isEmpty { return "the file is not valid JSON" }
      return "invalid value at \(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "the file does not have the expected fields"
    }
  }

  /// `entries[1][2]` style path, quoted; `the top level` for an empty path.
  static func path(_ codingPath: [any CodingKey]) -> String {
    guard !codingPath.isEmpty else { return "the top level" }
    var out = ""
    for key in codingPath {
      if let i = key.intValue, key.stringValue.hasPrefix("Index ") || Int(key.stringValue) == i {
        out += "[\(i)]"
      } else {
        out += (out.isEmpty ? "" : ".") + key.stringValue
      }
    }
    return "'\(out)'"
  }

  static func expected(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    case is Bool.Type: return "true or false"
    default:
      let name = "\(type)"
      if name.hasPrefix("Array") { return "an array" }
      if name.hasPrefix("Dictionary") { return "an object" }
      return "a value of another type"
    }
  }
}
