import Foundation

/// Reads the bytes of a whole file, mapping failures to `TensorFileError.unreadable`.
func readFileBytes(_ path: String) throws -> [UInt8] {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw TensorFileError.unreadable(file: path, reason: "no such file")
  }
  if isDirectory.boolValue { throw TensorFileError.unreadable(file: path, reason: "is a directory") }
  do {
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  } catch {
    throw TensorFileError.unreadable(file: path, reason: error.localizedDescription)
  }
}

/// Little- or big-endian unsigned integers out of a byte array, with every read checked
/// against the end (a short read throws `truncated`, never traps).
struct ByteCursor {
  let bytes: [UInt8]
  let file: String
  private(set) var position = 0

  init(_ bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  var remaining: Int { bytes.count - position }

  /// Takes `count` bytes describing `what`.
  mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
    guard count >= 0, count <= remaining else {
      throw TensorFileError.truncated(file: file, what: what, needed: count, available: remaining)
    }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  /// A little-endian unsigned integer of `width` bytes (1...8).
  mutating func littleEndian(_ width: Int, _ what: String) throws -> UInt64 {
    let slice = try take(width, what)
    var v: UInt64 = 0
    for (k, b) in slice.enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
    return v
  }
}

/// Converting raw element bytes to exact doubles.
enum ElementBuffer {
  /// A failure to convert one element exactly (file-order position and the value as text).
  struct InexactElement: Error {
    let position: Int
    let value: String
  }

  /// Decodes `count` elements of `dtype` starting at `offset` in `bytes` (the caller has
  /// checked that `offset + count · byteCount ≤ bytes.count`).
  static func decode(_ bytes: [UInt8], offset: Int, count: Int, dtype: TensorDType,
                     bigEndian: Bool) throws(InexactElement) -> [Double] {
    precondition(offset >= 0 && count >= 0 && offset + count * dtype.byteCount <= bytes.count)
    let size = dtype.byteCount
    var out = [Double](repeating: 0, count: count)
    let limit: UInt64 = 1 << 53
    var bad: InexactElement? = nil
    bytes.withUnsafeBytes { raw in
      out.withUnsafeMutableBufferPointer { dst in
        for i in 0..<count {
          let at = offset + i * size
          switch dtype {
          case .bool:
            dst[i] = raw[at] == 0 ? 0 : 1
          case .uint8:
            dst[i] = Double(raw[at])
          case .int8:
            dst[i] = Double(Int8(bitPattern: raw[at]))
          case .float16, .bfloat16, .int16, .uint16:
            let u = raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            let bits = bigEndian ? UInt16(bigEndian: u) : UInt16(littleEndian: u)
            switch dtype {
            case .float16: dst[i] = ElementDecoding.half(bits)
            case .bfloat16: dst[i] = ElementDecoding.bfloat16(bits)
            case .int16: dst[i] = Double(Int16(bitPattern: bits))
            default: dst[i] = Double(bits)
            }
          case .float32, .int32, .uint32:
            let u = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            let bits = bigEndian ? UInt32(bigEndian: u) : UInt32(littleEndian: u)
            switch dtype {
            case .float32: dst[i] = Double(Float(bitPattern: bits))
            case .int32: dst[i] = Double(Int32(bitPattern: bits))
            default: dst[i] = Double(bits)
            }
          case .float64, .int64, .uint64:
            let u = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let bits = bigEndian ? UInt64(bigEndian: u) : UInt64(littleEndian: u)
            switch dtype {
            case .float64:
              dst[i] = Double(bitPattern: bits)
            case .int64:
              let v = Int64(bitPattern: bits)
              if v.magnitude > limit {
                if bad == nil { bad = InexactElement(position: i, value: String(v)) }
              } else {
                dst[i] = Double(v)
              }
            default:
              if bits > limit {
                if bad == nil { bad = InexactElement(position: i, value: String(bits)) }
              } else {
                dst[i] = Double(bits)
              }
            }
          }
        }
      }
    }
    if let bad { throw bad }
    return out
  }

  /// Reorders Fortran-order (first index fastest) elements into C order.
  static func fortranToC(_ values: [Double], shape: [Int]) -> [Double] {
    guard shape.count > 1, !values.isEmpty else { return values }
    var out = [Double](repeating: 0, count: values.count)
    var fortranStride = [Int](repeating: 1, count: shape.count)
    for d in 1..<shape.count { fortranStride[d] = fortranStride[d - 1] * shape[d - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    var f = 0
    for c in 0..<values.count {
      out[c] = values[f]
      // Advance the C-order odometer (last index fastest), keeping f in step.
      var d = shape.count - 1
      while d >= 0 {
        index[d] += 1
        f += fortranStride[d]
        if index[d] < shape[d] { break }
        f -= fortranStride[d] * shape[d]
        index[d] = 0
        d -= 1
      }
    }
    return out
  }

  /// The multi-index of the element at C-order (last index fastest) position `position`.
  static func cIndex(_ position: Int, shape: [Int]) -> [Int] {
    var rest = position
    var index = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
      index[d] = rest % shape[d]
      rest /= shape[d]
    }
    return index
  }

  /// The multi-index of the element at Fortran-order (first index fastest) position `position`.
  static func fortranIndex(_ position: Int, shape: [Int]) -> [Int] {
    var rest = position
    var index = [Int](repeating: 0, count: shape.count)
    for d in 0..<shape.count where shape[d] > 0 {
      index[d] = rest % shape[d]
      rest /= shape[d]
    }
    return index
  }

  /// Product of `shape` and byte count, or nil on a negative size or an overflow.
  static func sizes(shape: [Int], dtype: TensorDType) -> (count: Int, bytes: Int)? {
    var count = 1
    for n in shape {
      guard n >= 0 else { return nil }
      let (p, o) = count.multipliedReportingOverflow(by: n)
      guard !o else { return nil }
      count = p
    }
    let (bytes, o) = count.multipliedReportingOverflow(by: dtype.byteCount)
    guard !o else { return nil }
    return (count, bytes)
  }
}
