import Foundation

/// Hand-made `.npy` files of any dtype (NEP 1 layout, version 1.0), written byte by byte so
/// that the reader is tested against the format, not against its own writer.
enum NpyFixture {
  /// The file bytes for little-endian `descr` (e.g. "<f2", "|u1") with the given raw data.
  static func bytes(descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = UInt16(header.utf8.count)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
  }

  /// Little-endian bytes of each value in `dtype` ("f2", "f4", "f8", "u1", "i4", "i8").
  static func encode(_ values: [Double], dtype: String) -> (descr: String, data: [UInt8]) {
    var out: [UInt8] = []
    func append<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
    for v in values {
      switch dtype {
      case "f2": append(Float16(v).bitPattern)
      case "f4": append(Float(v).bitPattern)
      case "f8": append(v.bitPattern)
      case "u1": out.append(UInt8(v))
      case "i4": append(Int32(v))
      case "i8": append(Int64(v))
      default: fatalError("no fixture dtype \(dtype)")
      }
    }
    return (dtype == "u1" ? "|u1" : "<" + dtype, out)
  }

  /// Writes an .npy of `values` in `dtype` and returns its path.
  static func write(_ values: [Double], shape: [Int], dtype: String, to url: URL) throws -> String {
    let (descr, data) = encode(values, dtype: dtype)
    try Data(bytes(descr: descr, shape: shape, data: data)).write(to: url)
    return url.path
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
