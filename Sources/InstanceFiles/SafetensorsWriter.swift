import ConvNet
import Foundation

/// Writing float64 tensors as a `.safetensors` file (the format's layout: an 8-byte
/// little-endian header length, a JSON header mapping each name to its dtype, shape and byte
/// offsets, then the raw little-endian data), so that PyTorch, JAX or NumPy can load them.
public enum SafetensorsWriter {
  /// The bytes of a safetensors file holding `tensors` (in the given order) as F64.
  public static func encode(_ tensors: [(name: String, shape: [Int], values: [Double])]) -> [UInt8] {
    var entries: [String] = []
    var data: [UInt8] = []
    for t in tensors {
      let begin = data.count
      for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
      let shape = t.shape.map(String.init).joined(separator: ",")
      entries.append("\(JSONValue.string(t.name).serialized()):{\"dtype\":\"F64\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }  // the format allows trailing spaces
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    return out + header + data
  }
}
