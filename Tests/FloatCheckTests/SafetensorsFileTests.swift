import Foundation
import Testing
@testable import FloatCheck

@Suite struct SafetensorsFileTests {
  /// 8-byte little-endian header length, the header, the data.
  static func file(_ header: String, _ data: [UInt8]) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + data
  }

  @Test(arguments: ["mixed.safetensors", "official.safetensors"])
  func readsEveryTensorAsTheManifestSays(name: String) throws {
    let manifest = try Fixtures.json("safetensors/manifest.json") as! [String: Any]
    guard let expected = manifest[name] as? [String: Any] else {
      // official.safetensors exists only when the generator had the safetensors package.
      #expect(name == "official.safetensors")
      return
    }
    let st = try SafetensorsFile.read(Fixtures.path("safetensors/\(name)"))
    #expect(st.metadata == expected["metadata"] as! [String: String])
    let tensors = expected["tensors"] as! [String: [String: Any]]
    #expect(Set(st.tensors.keys) == Set(tensors.keys))
    for (key, e) in tensors {
      let t = try #require(st.tensors[key])
      #expect(t.name == key)
      #expect(t.dtype.safetensorsCode == e["dtype"] as! String, "\(key)")
      #expect(t.shape == e["shape"] as! [Int], "\(key)")
      #expect(sameBits(t.values, (e["values"] as! [String]).map { Double($0)! }), "\(key): \(t.values)")
    }
  }

  @Test func mixedFileCoversEveryFloatFormat() throws {
    let st = try SafetensorsFile.read(Fixtures.path("safetensors/mixed.safetensors"))
    let dtypes = Set(st.tensors.values.map(\.dtype))
    #expect(dtypes.isSuperset(of: [.float64, .float32, .float16, .bfloat16, .int32, .int64, .uint8, .bool]))
    #expect(st.tensors["weight.bf16"]!.values == [1, -2.5, 0x1p-133, 0x1.FEp127])
    #expect(st.tensors["weight.f16"]!.values[1] == -0x1p-24)
    #expect(st.tensors["scalar"]!.shape == [] && st.tensors["empty"]!.values.isEmpty)
  }

  @Test func offsetsInAnyHeaderOrderAreFine() throws {
    let header = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
    let st = try SafetensorsFile.decode(Self.file(header, [7, 9]), file: "f")
    #expect(st.tensors["a"]!.values == [7] && st.tensors["b"]!.values == [9])
    // Padding with spaces after the JSON is allowed; escapes in names are decoded.
    let padded = #"{"\u00e9\n":{"dtype":"I8","shape":[],"data_offsets":[0,1]}}   "#
    #expect(try SafetensorsFile.decode(Self.file(padded, [0xFF]), file: "f").tensors["é\n"]!.values == [-1])
  }

  @Test func eachMalformationIsOneClearError() throws {
    let one = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
    let four: [UInt8] = [0, 0, 0x80, 0x3F]  // 1.0f
    typealias Case = (String, [UInt8], (TensorFileError) -> Bool)
    let cases: [Case] = [
      ("empty file", [], { if case .truncated = $0 { true } else { false } }),
      ("header length beyond the file", Self.file(#"{"a":\#(one)}"#, four).enumerated().map { $0.offset == 0 ? 0xFF : $0.element },
       { if case .truncated = $0 { true } else { false } }),
      ("huge header length", [0, 0, 0, 0, 0, 0, 0, 0x10], { if case .headerTooLarge = $0 { true } else { false } }),
      ("not an object", Self.file("[1,2]", []), { if case .malformedHeader = $0 { true } else { false } }),
      ("bad JSON", Self.file(#"{"a":"#, []), { if case .malformedHeader = $0 { true } else { false } }),
      ("duplicate name", Self.file(#"{"a":\#(one),"a":\#(one)}"#, four), { if case .malformedHeader = $0 { true } else { false } }),
      ("metadata not strings", Self.file(#"{"__metadata__":{"k":1},"a":\#(one)}"#, four), { if case .malformedHeader = $0 { true } else { false } }),
      ("fp8", Self.file(#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, [0]),
       { if case .unsupportedDType(_, "a", "F8_E4M3") = $0 { true } else { false } }),
      ("no shape", Self.file(#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, four), { if case .malformedHeader = $0 { true } else { false } }),
      ("negative dim", Self.file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, four), { if case .invalidShape = $0 { true } else { false } }),
      ("fractional dim", Self.file(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, four), { if case .invalidShape = $0 { true } else { false } }),
      ("huge dim", Self.file(#"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}"#, four), { if case .invalidShape = $0 { true } else { false } }),
      ("overflowing shape", Self.file(#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, four),
       { if case .invalidShape = $0 { true } else { false } }),
      ("size mismatch", Self.file(#"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}"#, four),
       { if case .sizeMismatch(_, "a", 8, 4) = $0 { true } else { false } }),
      ("reversed offsets", Self.file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, four), { if case .badOffsets = $0 { true } else { false } }),
      ("out of range", Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, four),
       { if case .offsetsOutOfRange(_, "a", 0, 8, 4) = $0 { true } else { false } }),
      ("overlap", Self.file(#"{"a":\#(one),"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, four),
       { if case .badOffsets(_, "b", _) = $0 { true } else { false } }),
      ("hole", Self.file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, [0, 0]),
       { if case .badOffsets(_, "a", _) = $0 { true } else { false } }),
      ("trailing bytes", Self.file(#"{"a":\#(one)}"#, four + [0]), { if case .malformedHeader = $0 { true } else { false } }),
      ("offsets not integers", Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, four), { if case .badOffsets = $0 { true } else { false } }),
      ("header must start with {", Self.file(#" {"a":\#(one)}"#, four), { if case .malformedHeader = $0 { true } else { false } }),
      ("NaN value", Self.file(#"{"a":\#(one)}"#, [0, 0, 0xC0, 0x7F]), { if case .nonFinite("a", [0], _) = $0 { true } else { false } }),
      ("big int", Self.file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, [1, 0, 0, 0, 0, 0, 0x20, 0]),
       { if case .notExactlyRepresentable("a", [0], "9007199254740993") = $0 { true } else { false } }),
    ]
    for (what, bytes, matches) in cases {
      do {
        _ = try SafetensorsFile.decode(bytes, file: "w.safetensors")
        Issue.record("\(what): accepted")
      } catch let e as TensorFileError {
        #expect(matches(e), "\(what): \(e)")
        #expect(!e.description.contains("\n"), "\(what)")
      }
    }
    // Deep nesting is refused before it can exhaust the stack.
    let deep = "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
    expectError({ try SafetensorsFile.decode(Self.file(deep, []), file: "d") }) {
      if case .malformedHeader(_, let why) = $0 { why.contains("nesting") } else { false }
    }
  }
}
