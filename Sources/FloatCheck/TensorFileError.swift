import ConvNet
/// Everything that can be wrong with a tensor file or a tensor's values. Each case renders
/// as one line that names the file (and tensor, element) at fault.
public enum TensorFileError: Error, Equatable, CustomStringConvertible {
  /// The file or directory cannot be read.
  case unreadable(file: String, reason: String)
  /// The file ends before `what` is complete.
  case truncated(file: String, what: String, needed: Int, available: Int)
  /// The file does not start with the format's magic bytes.
  case badMagic(file: String, expected: String)
  /// A format version this reader does not know.
  case unsupportedVersion(file: String, version: String)
  /// The header length field exceeds the limit (a corrupt or hostile file).
  case headerTooLarge(file: String, size: UInt64, limit: Int)
  /// The header is not what the format prescribes.
  case malformedHeader(file: String, reason: String)
  /// An element type the reader does not convert (complex, structured, fp8, object, …).
  case unsupportedDType(file: String, tensor: String, dtype: String)
  /// A shape with negative entries or an element count that overflows.
  case invalidShape(file: String, tensor: String, shape: String)
  /// The data bytes present do not match the shape and element type.
  case sizeMismatch(file: String, tensor: String, expectedBytes: Int, actualBytes: Int)
  /// Safetensors data offsets that leave the data buffer.
  case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
  /// Safetensors data offsets that overlap another tensor, leave a hole, or are reversed.
  case badOffsets(file: String, tensor: String, reason: String)
  /// Two tensors with the same name.
  case duplicateTensor(file: String, tensor: String)
  /// A directory with no `.npy` files.
  case noTensors(file: String)
  /// NaN or ±infinity where an exact value is needed.
  case nonFinite(tensor: String, index: [Int], value: Double)
  /// A 64-bit integer too large to be a double exactly (|v| > 2^53).
  case notExactlyRepresentable(tensor: String, index: [Int], value: String)
  /// A file could not be written.
  case unwritable(file: String, reason: String)

  /// One line for the user: names, dtypes and keys read from the file are untrusted, so the
  /// line has its control characters escaped and is cut (`MessageText`).
  public var description: String { MessageText.escaped(rawDescription, limit: 600, escapeQuotes: false) }

  var rawDescription: String {
    switch self {
    case .unreadable(let f, let r):
      return "\(f): cannot read: \(r)"
    case .truncated(let f, let what, let needed, let available):
      return "\(f): truncated: \(what) needs \(needed) bytes but only \(available) remain"
    case .badMagic(let f, let expected):
      return "\(f): not a \(expected) file (wrong magic bytes)"
    case .unsupportedVersion(let f, let v):
      return "\(f): unsupported format version \(v)"
    case .headerTooLarge(let f, let size, let limit):
      return "\(f): header length \(size) exceeds the limit of \(limit) bytes"
    case .malformedHeader(let f, let r):
      return "\(f): malformed header: \(r)"
    case .unsupportedDType(let f, let t, let d):
      return "\(f): tensor '\(t)' has unsupported dtype '\(d)'"
    case .invalidShape(let f, let t, let s):
      return "\(f): tensor '\(t)' has an invalid shape \(s)"
    case .sizeMismatch(let f, let t, let expected, let actual):
      return "\(f): tensor '\(t)' needs \(expected) data bytes for its shape and dtype but has \(actual)"
    case .offsetsOutOfRange(let f, let t, let b, let e, let size):
      return "\(f): tensor '\(t)' data offsets [\(b), \(e)) leave the \(size)-byte data buffer"
    case .badOffsets(let f, let t, let r):
      return "\(f): tensor '\(t)' has bad data offsets: \(r)"
    case .duplicateTensor(let f, let t):
      return "\(f): tensor '\(t)' appears twice"
    case .noTensors(let f):
      return "\(f): no .npy files in this directory"
    case .nonFinite(let t, let i, let v):
      return "tensor '\(t)' has the non-finite value \(v) at index \(TensorFileError.indexText(i)); it has no exact value"
    case .notExactlyRepresentable(let t, let i, let v):
      return "tensor '\(t)' has the integer \(v) at index \(TensorFileError.indexText(i)), too large to convert exactly (|v| > 2^53)"
    case .unwritable(let f, let r):
      return "\(f): cannot write: \(r)"
    }
  }

  static func indexText(_ index: [Int]) -> String {
    "[" + index.map(String.init).joined(separator: ", ") + "]"
  }
}
