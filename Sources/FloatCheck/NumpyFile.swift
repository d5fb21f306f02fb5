import Foundation
import OutputFiles

/// NumPy's `.npy` format: reading versions 1.0, 2.0 and 3.0, writing version 1.0.
///
/// Layout (NumPy Enhancement Proposal 1, "A Simple File Format for NumPy Arrays", and
/// `numpy/lib/format.py`): the magic `\x93NUMPY`, a major and minor version byte, the
/// header length (uint16 little-endian in 1.0; uint32 in 2.0 and 3.0), the header — a
/// Python dict literal with exactly the keys `descr`, `fortran_order`, `shape`, Latin-1 in
/// 1.0/2.0 and UTF-8 in 3.0, space-padded and ending in a newline — then the raw elements.
public enum NumpyFile {
  /// The magic string every `.npy` file starts with.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

  /// The largest header accepted: NumPy's own default `max_header_size` (10000) in
  /// `numpy.lib.format.read_array`, which it applies for the same reason (a huge header is
  /// a corrupt or hostile file, and literal parsing is not free).
  public static let maxHeaderLength = 10_000

  /// Reads one `.npy` file; the tensor is named `name` or else the file stem.
  /// Unless `allowNonFinite`, a NaN or infinity is an error naming its index.
  public static func read(_ path: String, name: String? = nil, allowNonFinite: Bool = false) throws -> FloatTensor {
    let stem = name ?? NumpyFile.stem(of: path)
    return try decode(try readFileBytes(path), name: stem, file: path, allowNonFinite: allowNonFinite)
  }

  /// Reads every `*.npy` file of a directory (not recursively), keyed by file stem:
  /// `0.weight.npy` becomes the tensor `0.weight`. Other files and hidden files are ignored.
  public static func readDirectory(_ path: String, allowNonFinite: Bool = false) throws -> [String: FloatTensor] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TensorFileError.unreadable(file: path, reason: "no such directory")
    }
    guard isDirectory.boolValue else { throw TensorFileError.unreadable(file: path, reason: "not a directory") }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: path)
    } catch {
      throw TensorFileError.unreadable(file: path, reason: error.localizedDescription)
    }
    var out: [String: FloatTensor] = [:]
    for file in names.sorted() where file.hasSuffix(".npy") && !file.hasPrefix(".") {
      let full = (path as NSString).appendingPathComponent(file)
      let t = try read(full, allowNonFinite: allowNonFinite)
      out[t.name] = t
    }
    guard !out.isEmpty else { throw TensorFileError.noTensors(file: path) }
    return out
  }

  /// The file name without directory and without a final `.npy`.
  static func stem(of path: String) -> String {
    let base = (path as NSString).lastPathComponent
    return base.hasSuffix(".npy") ? String(base.dropLast(4)) : base
  }

  /// Decodes the bytes of a `.npy` file. `file` is used in error messages only.
  public static func decode(_ bytes: [UInt8], name: String, file: String,
                            allowNonFinite: Bool = false) throws -> FloatTensor {
    var cursor = ByteCursor(bytes, file: file)
    guard Array(try cursor.take(magic.count, "the magic string")) == magic else {
      throw TensorFileError.badMagic(file: file, expected: ".npy")
    }
    let major = try cursor.littleEndian(1, "the version")
    let minor = try cursor.littleEndian(1, "the version")
    let lengthWidth: Int
    switch (major, minor) {
    case (1, 0): lengthWidth = 2
    case (2, 0), (3, 0): lengthWidth = 4
    default: throw TensorFileError.unsupportedVersion(file: file, version: "\(major).\(minor)")
    }
    let headerLength = try cursor.littleEndian(lengthWidth, "the header length")
    guard headerLength <= UInt64(maxHeaderLength) else {
      throw TensorFileError.headerTooLarge(file: file, size: headerLength, limit: maxHeaderLength)
    }
    let headerBytes = Array(try cursor.take(Int(headerLength), "the header"))
    let headerText: String
    if major == 3 {
      guard let t = String(validating: headerBytes, as: UTF8.self) else {
        throw TensorFileError.malformedHeader(file: file, reason: "not valid UTF-8")
      }
      headerText = t
    } else {
      // Latin-1: every byte is the code point of the same value.
      headerText = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
    }
    let header = try parseHeader(headerText, name: name, file: file)
    guard let sizes = ElementBuffer.sizes(shape: header.shape, dtype: header.dtype) else {
      throw TensorFileError.invalidShape(file: file, tensor: name, shape: "\(header.shape)")
    }
    let available = cursor.remaining
    if available < sizes.bytes {
      throw TensorFileError.truncated(
        file: file, what: "the data of shape \(header.shape) \(header.dtype.rawValue)",
        needed: sizes.bytes, available: available)
    }
    if available > sizes.bytes {
      throw TensorFileError.sizeMismatch(file: file, tensor: name, expectedBytes: sizes.bytes, actualBytes: available)
    }
    var values: [Double]
    do {
      values = try ElementBuffer.decode(bytes, offset: cursor.position, count: sizes.count,
                                        dtype: header.dtype, bigEndian: header.bigEndian)
    } catch {
      let index = header.fortranOrder
        ? ElementBuffer.fortranIndex(error.position, shape: header.shape)
        : ElementBuffer.cIndex(error.position, shape: header.shape)
      throw TensorFileError.notExactlyRepresentable(tensor: name, index: index, value: error.value)
    }
    if header.fortranOrder { values = ElementBuffer.fortranToC(values, shape: header.shape) }
    let tensor = FloatTensor(name: name, shape: header.shape, values: values, dtype: header.dtype)
    if !allowNonFinite { try tensor.checkFinite() }
    return tensor
  }

  struct Header {
    var dtype: TensorDType
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]
  }

  static func parseHeader(_ text: String, name: String, file: String) throws -> Header {
    let literal: PythonLiteral
    do {
      literal = try PythonLiteral.parse(text)
    } catch {
      throw TensorFileError.malformedHeader(file: file, reason: error.reason)
    }
    guard case .dict(let items) = literal else {
      throw TensorFileError.malformedHeader(file: file, reason: "not a dict literal")
    }
    let keys = Set(items.map(\.0))
    guard keys == ["descr", "fortran_order", "shape"] else {
      throw TensorFileError.malformedHeader(
        file: file, reason: "keys are \(items.map(\.0).sorted()), expected descr, fortran_order, shape")
    }
    let fields = Dictionary(items, uniquingKeysWith: { a, _ in a })
    guard case .bool(let fortran) = fields["fortran_order"]! else {
      throw TensorFileError.malformedHeader(file: file, reason: "fortran_order is not True or False")
    }
    guard case .tuple(let dims) = fields["shape"]! else {
      throw TensorFileError.malformedHeader(file: file, reason: "shape is not a tuple")
    }
    var shape: [Int] = []
    for d in dims {
      guard case .integer(let n) = d, n >= 0 else {
        throw TensorFileError.invalidShape(file: file, tensor: name, shape: PythonLiteral.tuple(dims).description)
      }
      shape.append(n)
    }
    guard case .string(let descr) = fields["descr"]! else {
      throw TensorFileError.unsupportedDType(file: file, tensor: name, dtype: "structured (a list of fields)")
    }
    var code = Substring(descr)
    var bigEndian = false
    if let order = code.first, "<>|=".contains(order) {
      bigEndian = order == ">"
      code = code.dropFirst()
    }
    guard let dtype = TensorDType(numpyCode: String(code)) else {
      throw TensorFileError.unsupportedDType(file: file, tensor: name, dtype: descr)
    }
    return Header(dtype: dtype, bigEndian: bigEndian, fortranOrder: fortran, shape: shape)
  }

  // MARK: - Writing

  /// The bytes of a version-1.0 `.npy` file holding `values` (C order) as little-endian
  /// float64 of the given shape, with the header padded so the data starts on a 64-byte
  /// boundary as NumPy writes it.
  public static func encode(values: [Double], shape: [Int]) throws -> [UInt8] {
    guard let sizes = ElementBuffer.sizes(shape: shape, dtype: .float64), sizes.count == values.count else {
      throw TensorFileError.invalidShape(file: "<npy>", tensor: "values", shape: "\(shape) for \(values.count) values")
    }
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
    // magic (6) + version (2) + length (2) + header + '\n' ≡ 0 (mod 64)
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let headerBytes = Array(header.utf8)
    guard headerBytes.count <= Int(UInt16.max) else {
      throw TensorFileError.invalidShape(file: "<npy>", tensor: "values", shape: "\(shape) (header too long for version 1.0)")
    }
    var out = magic + [1, 0, UInt8(headerBytes.count & 0xFF), UInt8(headerBytes.count >> 8)]
    out.reserveCapacity(out.count + headerBytes.count + 8 * values.count)
    out += headerBytes
    for v in values {
      let bits = v.bitPattern.littleEndian
      withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
    }
    return out
  }

  /// Writes `values` (C order, float64) as a version-1.0 `.npy` file, atomically: to a
  /// temporary file beside `path`, then renamed over it, so `path` is never half-written.
  public static func write(values: [Double], shape: [Int], to path: String) throws {
    try writeAtomically(try encode(values: values, shape: shape), to: path)
  }

  /// Writes a tensor's values as float64 `.npy` (see `write(values:shape:to:)`).
  public static func write(_ tensor: FloatTensor, to path: String) throws {
    try write(values: tensor.values, shape: tensor.shape, to: path)
  }
}

/// Writes `bytes` to `path` through the tool's one output writer (see `OutputFile`).
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
  do {
    try OutputFile.write(bytes, to: path)
  } catch {
    throw TensorFileError.unwritable(file: path, reason: error.reason)
  }
}
