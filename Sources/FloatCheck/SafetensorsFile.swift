import Foundation

/// The tensors and metadata of a `.safetensors` file.
///
/// Layout (the safetensors format as specified in the README of huggingface/safetensors):
/// an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON starting with
/// `{` (space padding allowed) mapping each tensor name to
/// `{"dtype": "F64", "shape": [2, 3], "data_offsets": [BEGIN, END]}` with offsets relative
/// to the data buffer that follows, plus an optional `"__metadata__"` object of strings;
/// then the data buffer, little-endian, C order. The format forbids duplicate keys, and the
/// tensors must cover the buffer exactly, without overlaps or holes. JSON key order carries
/// no meaning, so tensors may be listed in any order; offsets are checked after sorting.
public struct SafetensorsFile: Sendable, Equatable {
  /// The tensors, by name.
  public var tensors: [String: FloatTensor]
  /// The `__metadata__` strings (empty when absent).
  public var metadata: [String: String]

  /// The largest header accepted: 100,000,000 bytes, the limit of the reference
  /// implementation (a larger length field means a corrupt or hostile file).
  public static let maxHeaderLength = 100_000_000

  /// A set of tensors and metadata.
  public init(tensors: [String: FloatTensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// Reads a `.safetensors` file. Unless `allowNonFinite`, a NaN or infinity is an error
  /// naming the tensor and index.
  public static func read(_ path: String, allowNonFinite: Bool = false) throws -> SafetensorsFile {
    try decode(try readFileBytes(path), file: path, allowNonFinite: allowNonFinite)
  }

  private struct Entry {
    var name: String
    var dtype: TensorDType
    var shape: [Int]
    var count: Int
    var begin: Int
    var end: Int
  }

  /// Decodes the bytes of a `.safetensors` file. `file` is used in error messages only.
  public static func decode(_ bytes: [UInt8], file: String, allowNonFinite: Bool = false) throws -> SafetensorsFile {
    var cursor = ByteCursor(bytes, file: file)
    let n = try cursor.littleEndian(8, "the header length")
    guard n <= UInt64(maxHeaderLength) else {
      throw TensorFileError.headerTooLarge(file: file, size: n, limit: maxHeaderLength)
    }
    let header = try cursor.take(Int(n), "the header")
    guard header.first == UInt8(ascii: "{") else {
      throw TensorFileError.malformedHeader(file: file, reason: "the JSON header must start with '{'")
    }
    guard String(validating: header, as: UTF8.self) != nil else {
      throw TensorFileError.malformedHeader(file: file, reason: "the header is not valid UTF-8")
    }
    let json: JSONValue
    do {
      json = try JSONValue.parse(header)
    } catch {
      throw TensorFileError.malformedHeader(file: file, reason: "\(error.reason) at header byte \(error.offset)")
    }
    guard case .object(let items) = json else {
      throw TensorFileError.malformedHeader(file: file, reason: "the header is not a JSON object")
    }
    let bufferStart = cursor.position
    let bufferSize = bytes.count - bufferStart
    var metadata: [String: String] = [:]
    var entries: [Entry] = []
    for (name, value) in items {
      if name == "__metadata__" {
        guard case .object(let pairs) = value else {
          throw TensorFileError.malformedHeader(file: file, reason: "__metadata__ is \(value.kind), not an object")
        }
        for (k, v) in pairs {
          guard case .string(let s) = v else {
            throw TensorFileError.malformedHeader(file: file, reason: "__metadata__ value of '\(k)' is \(v.kind), not a string")
          }
          metadata[k] = s
        }
        continue
      }
      entries.append(try entry(name: name, value: value, file: file, bufferSize: bufferSize))
    }
    try checkCoverage(entries, file: file, bufferSize: bufferSize)
    var tensors: [String: FloatTensor] = [:]
    for e in entries {
      let values: [Double]
      do {
        values = try ElementBuffer.decode(bytes, offset: bufferStart + e.begin, count: e.count,
                                          dtype: e.dtype, bigEndian: false)
      } catch {
        throw TensorFileError.notExactlyRepresentable(
          tensor: e.name, index: ElementBuffer.cIndex(error.position, shape: e.shape), value: error.value)
      }
      let t = FloatTensor(name: e.name, shape: e.shape, values: values, dtype: e.dtype)
      if !allowNonFinite { try t.checkFinite() }
      tensors[e.name] = t
    }
    return SafetensorsFile(tensors: tensors, metadata: metadata)
  }

  private static func entry(name: String, value: JSONValue, file: String, bufferSize: Int) throws -> Entry {
    guard case .object(let fields) = value else {
      throw TensorFileError.malformedHeader(file: file, reason: "entry '\(name)' is \(value.kind), not an object")
    }
    func field(_ key: String) throws -> JSONValue {
      guard let v = fields.first(where: { $0.0 == key })?.1 else {
        throw TensorFileError.malformedHeader(file: file, reason: "entry '\(name)' has no \"\(key)\"")
      }
      return v
    }
    guard case .string(let code) = try field("dtype") else {
      throw TensorFileError.malformedHeader(file: file, reason: "entry '\(name)' has a dtype that is not a string")
    }
    guard let dtype = TensorDType(safetensorsCode: code) else {
      throw TensorFileError.unsupportedDType(file: file, tensor: name, dtype: code)
    }
    guard case .array(let dims) = try field("shape") else {
      throw TensorFileError.malformedHeader(file: file, reason: "entry '\(name)' has a shape that is not an array")
    }
    var shape: [Int] = []
    for d in dims {
      guard let k = d.nonNegativeInteger else {
        throw TensorFileError.invalidShape(file: file, tensor: name, shape: "with entry \(d.kind)")
      }
      shape.append(k)
    }
    guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
      throw TensorFileError.malformedHeader(file: file, reason: "entry '\(name)' data_offsets is not a pair [begin, end]")
    }
    guard let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger else {
      throw TensorFileError.badOffsets(file: file, tensor: name, reason: "offsets must be non-negative integers")
    }
    guard begin <= end else {
      throw TensorFileError.badOffsets(file: file, tensor: name, reason: "end \(end) is before begin \(begin)")
    }
    guard end <= bufferSize else {
      throw TensorFileError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, bufferSize: bufferSize)
    }
    guard let sizes = ElementBuffer.sizes(shape: shape, dtype: dtype) else {
      throw TensorFileError.invalidShape(file: file, tensor: name, shape: "\(shape)")
    }
    guard sizes.bytes == end - begin else {
      throw TensorFileError.sizeMismatch(file: file, tensor: name, expectedBytes: sizes.bytes, actualBytes: end - begin)
    }
    return Entry(name: name, dtype: dtype, shape: shape, count: sizes.count, begin: begin, end: end)
  }

  /// The tensors must tile the data buffer: sorted by offset, each begins where the previous
  /// one ends, the first at 0 and the last at the end of the buffer.
  private static func checkCoverage(_ entries: [Entry], file: String, bufferSize: Int) throws {
    let sorted = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var covered = 0
    var previous: String? = nil
    for e in sorted {
      if e.begin < covered {
        throw TensorFileError.badOffsets(
          file: file, tensor: e.name,
          reason: "[\(e.begin), \(e.end)) overlaps tensor '\(previous ?? "")', which ends at \(covered)")
      }
      if e.begin > covered {
        throw TensorFileError.badOffsets(
          file: file, tensor: e.name,
          reason: "bytes [\(covered), \(e.begin)) before it belong to no tensor (the format forbids holes)")
      }
      covered = e.end
      previous = e.name
    }
    if covered != bufferSize {
      throw TensorFileError.malformedHeader(
        file: file,
        reason: "data bytes [\(covered), \(bufferSize)) after the last tensor belong to no tensor (the format forbids holes)")
    }
  }
}
