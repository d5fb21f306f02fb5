import Foundation
import Testing
@testable import FloatCheck

@Suite struct NumpyFileTests {
  struct Entry {
    var file: String
    var dtype: String
    var shape: [Int]
    var fortran: Bool
    var bigEndian: Bool
    var values: [Double]
  }

  static func manifest() throws -> [Entry] {
    let root = try Fixtures.json("npy/manifest.json") as! [String: Any]
    return (root["files"] as! [[String: Any]]).map { e in
      Entry(file: e["file"] as! String, dtype: e["dtype"] as! String, shape: e["shape"] as! [Int],
            fortran: e["fortran"] as! Bool, bigEndian: e["big_endian"] as! Bool,
            values: (e["values"] as! [String]).map { Double($0)! })
    }
  }

  @Test func everyDtypeByteOrderAndMemoryOrderReadsExactly() throws {
    let entries = try Self.manifest()
    // (3 float + 6 multi-byte integer types) × 2 byte orders + 3 one-byte types, × C and F order.
    #expect(entries.count >= 2 * (9 * 2 + 3))
    var seen = Set<String>()
    for e in entries {
      let t = try NumpyFile.read(Fixtures.path("npy/\(e.file)"))
      #expect(t.name == String(e.file.dropLast(4)))
      #expect(t.dtype.rawValue == e.dtype, "\(e.file)")
      #expect(t.shape == e.shape, "\(e.file)")
      #expect(sameBits(t.values, e.values), "\(e.file): \(t.values) vs \(e.values)")
      seen.insert("\(e.dtype) \(e.bigEndian) \(e.fortran)")
    }
    for dtype in TensorDType.allCases where dtype != .bfloat16 {
      for fortran in [false, true] {
        #expect(seen.contains("\(dtype.rawValue) false \(fortran)"), "\(dtype) little-endian fortran=\(fortran)")
        if dtype.byteCount > 1 {
          #expect(seen.contains("\(dtype.rawValue) true \(fortran)"), "\(dtype) big-endian fortran=\(fortran)")
        }
      }
    }
  }

  @Test func halfPrecisionBitsConvertExactly() {
    // IEEE 754 binary16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (max), 0x0001 = 2^-24
    // (smallest subnormal), 0x0400 = 2^-14 (smallest normal), 0x3555 = 0.333251953125, 0x8000 = -0.
    let cases: [(UInt16, Double)] = [(0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24),
                                     (0x0400, 0x1p-14), (0x3555, 0.333251953125), (0x03FF, 1023 * 0x1p-24)]
    for (bits, value) in cases { #expect(ElementDecoding.half(bits) == value, "\(bits)") }
    #expect(ElementDecoding.half(0x8000).bitPattern == (-0.0 as Double).bitPattern)
    #expect(ElementDecoding.half(0x7C00) == .infinity)
    #expect(ElementDecoding.half(0xFC00) == -.infinity)
    #expect(ElementDecoding.half(0x7E00).isNaN)
    // Against the toolchain's own Float16 on every bit pattern (an independent conversion).
    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
      for bits in UInt16.min...UInt16.max {
        let mine = ElementDecoding.half(bits)
        let theirs = Double(Float16(bitPattern: bits))
        #expect(mine.bitPattern == theirs.bitPattern || (mine.isNaN && theirs.isNaN))
        if !(mine.bitPattern == theirs.bitPattern || (mine.isNaN && theirs.isNaN)) { break }
      }
    #endif
    // bfloat16: 0x3F80 = 1, 0xC020 = -2.5, 0x0001 = 2^-133, 0x7F7F = largest finite.
    #expect(ElementDecoding.bfloat16(0x3F80) == 1)
    #expect(ElementDecoding.bfloat16(0xC020) == -2.5)
    #expect(ElementDecoding.bfloat16(0x0001) == 0x1p-133)
    #expect(ElementDecoding.bfloat16(0x7F7F) == 0x1.FEp127)
  }

  @Test func formatVersionsAndShapes() throws {
    let v2 = try NumpyFile.read(Fixtures.path("npy/v2-float64.npy"))
    let v3 = try NumpyFile.read(Fixtures.path("npy/v3-float32-F.npy"))
    #expect(Array(try Fixtures.bytes("npy/v2-float64.npy")[6...7]) == [2, 0])
    #expect(Array(try Fixtures.bytes("npy/v3-float32-F.npy")[6...7]) == [3, 0])
    #expect(v2.shape == [3, 4] && v2.values[1] == -2.5)
    #expect(v3.shape == [3, 4] && v3.dtype == .float32)
    let scalar = try NumpyFile.read(Fixtures.path("npy/scalar-0d.npy"))
    #expect(scalar.shape == [] && scalar.values == [2.75] && scalar.shapeDescription == "()")
    let empty = try NumpyFile.read(Fixtures.path("npy/empty-0x3.npy"))
    #expect(empty.shape == [0, 3] && empty.values.isEmpty)
    let four = try NumpyFile.read(Fixtures.path("npy/four-d-F.npy"))
    // np.arange(24).reshape(2, 1, 3, 4) in C order is 0, 1, 2, …, whatever the file's order.
    #expect(four.shape == [2, 1, 3, 4] && four.values == (0..<24).map(Double.init))
  }

  @Test func badValuesAreOneClearErrorNamingTheElement() throws {
    expectError({ try NumpyFile.read(Fixtures.path("npy/bad-nan.npy")) }) {
      if case .nonFinite("bad-nan", [1, 2], let v) = $0 { v.isNaN } else { false }
    }
    // Fortran order in the file; the index is reported in the array's own (C) indexing.
    #expect(throws: TensorFileError.nonFinite(tensor: "bad-inf", index: [1, 0], value: -.infinity)) {
      try NumpyFile.read(Fixtures.path("npy/bad-inf.npy"))
    }
    let inf = try NumpyFile.read(Fixtures.path("npy/bad-inf.npy"), allowNonFinite: true)
    #expect(inf.values == [1, 1, -.infinity, 1])
    #expect(throws: TensorFileError.nonFinite(tensor: "bad-inf", index: [1, 0], value: -.infinity)) {
      try inf.exactValues()
    }
    #expect(throws: TensorFileError.notExactlyRepresentable(tensor: "bad-int64-big", index: [1], value: "9007199254740993")) {
      try NumpyFile.read(Fixtures.path("npy/bad-int64-big.npy"))
    }
    #expect(throws: TensorFileError.notExactlyRepresentable(tensor: "bad-uint64-big", index: [0, 1], value: "18446744073709551615")) {
      try NumpyFile.read(Fixtures.path("npy/bad-uint64-big.npy"))
    }
    #expect(throws: TensorFileError.unsupportedDType(file: Fixtures.path("npy/bad-complex.npy"), tensor: "bad-complex", dtype: "<c16")) {
      try NumpyFile.read(Fixtures.path("npy/bad-complex.npy"))
    }
    do {
      _ = try NumpyFile.read(Fixtures.path("npy/bad-structured.npy"))
      Issue.record("a structured dtype was accepted")
    } catch let e as TensorFileError {
      guard case .unsupportedDType = e else { Issue.record("wrong error \(e)"); return }
      #expect(e.description.contains("bad-structured"))
    }
  }

  @Test func exactValuesAreTheDyadicRationals() throws {
    let t = try NumpyFile.read(Fixtures.path("npy/float64-le-C.npy"))
    let q = try t.exactValues()
    #expect(q[0].description == "3602879701896397/36028797018963968")  // 0.1 as a double
    #expect(q[1].description == "-5/2")
    #expect(q[3].denominator.bitWidth == 1075)  // 5e-324 = 2^-1074
    let h = try NumpyFile.read(Fixtures.path("npy/float16-be-F.npy"))
    #expect(try h.exactValues()[0].description == "819/8192")  // float16(0.1) = 0.0999755859375
  }

  @Test func malformedHeadersAreRejected() throws {
    func file(_ header: String, version: (UInt8, UInt8) = (1, 0), data: [UInt8] = []) -> [UInt8] {
      let h = Array(header.utf8)
      var out = NumpyFile.magic + [version.0, version.1]
      if version.0 == 1 { out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)] } else {
        out += [UInt8(h.count & 0xFF), UInt8((h.count >> 8) & 0xFF), 0, 0]
      }
      return out + h + data
    }
    let good = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n"
    #expect(try NumpyFile.decode(file(good, data: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]), name: "x", file: "f").values == [1])
    let cases: [(String, [UInt8], (TensorFileError) -> Bool)] = [
      ("wrong magic", [0x93] + Array("NUMPZ".utf8) + [1, 0, 0, 0], { if case .badMagic = $0 { true } else { false } }),
      ("version 4", file(good, version: (4, 0)), { if case .unsupportedVersion(_, "4.0") = $0 { true } else { false } }),
      ("missing key", file("{'descr': '<f8', 'shape': (1,)}"), { if case .malformedHeader = $0 { true } else { false } }),
      ("extra key", file("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}"), { if case .malformedHeader = $0 { true } else { false } }),
      ("not a dict", file("['descr']"), { if case .malformedHeader = $0 { true } else { false } }),
      ("shape is int", file("{'descr': '<f8', 'fortran_order': False, 'shape': (3)}"), { if case .malformedHeader = $0 { true } else { false } }),
      ("negative dim", file("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}"), { if case .invalidShape = $0 { true } else { false } }),
      ("overflowing shape", file("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}"), { if case .invalidShape = $0 { true } else { false } }),
      ("unknown dtype", file("{'descr': '<M8', 'fortran_order': False, 'shape': ()}"), { if case .unsupportedDType = $0 { true } else { false } }),
      ("fortran not bool", file("{'descr': '<f8', 'fortran_order': 0, 'shape': ()}"), { if case .malformedHeader = $0 { true } else { false } }),
      ("unterminated", file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,"), { if case .malformedHeader = $0 { true } else { false } }),
      ("deep nesting", file(String(repeating: "(", count: 100)), { if case .malformedHeader = $0 { true } else { false } }),
      ("bad utf8 in v3", file("{'descr': '\u{FF}'}", version: (3, 0)).map { $0 == 0xC3 ? 0xFF : $0 }, { if case .malformedHeader = $0 { true } else { false } }),
      ("short data", file(good, data: [0, 0, 0]), { if case .truncated = $0 { true } else { false } }),
      ("extra data", file(good, data: [UInt8](repeating: 0, count: 9)), { if case .sizeMismatch(_, _, 8, 9) = $0 { true } else { false } }),
      ("header too big", NumpyFile.magic + [2, 0, 0xFF, 0xFF, 0xFF, 0x7F], { if case .headerTooLarge = $0 { true } else { false } }),
      ("header longer than file", NumpyFile.magic + [1, 0, 0x00, 0x10] + Array("{}".utf8), { if case .truncated = $0 { true } else { false } }),
    ]
    for (what, bytes, matches) in cases {
      do {
        _ = try NumpyFile.decode(bytes, name: "x", file: "f.npy")
        Issue.record("\(what): accepted")
      } catch let e as TensorFileError {
        #expect(matches(e), "\(what): \(e)")
        #expect(e.description.hasPrefix("f.npy: ") && !e.description.contains("\n"), "\(what): \(e)")
      }
    }
  }

  @Test func directoryOfNpyFilesIsKeyedByStem() throws {
    let tensors = try NumpyFile.readDirectory(Fixtures.path("net-n4/weights"))
    #expect(tensors.keys.sorted() == ["0.weight", "1.weight"])
    #expect(tensors["0.weight"]!.shape == [2, 1, 3])  // Conv1d(1, 2, 3): [out, in, k]
    #expect(tensors["1.weight"]!.shape == [2, 12])  // Linear(2·6, 2): [out, in]
    // The same numbers as the safetensors export of the same weights.
    let st = try SafetensorsFile.read(Fixtures.path("net-n4/weights.safetensors"))
    #expect(st.tensors == tensors)
    #expect(st.metadata["architecture"] == "1x8 conv(2,k=3) dense(2)")
    #expect(throws: TensorFileError.noTensors(file: Fixtures.path("safetensors"))) {
      try NumpyFile.readDirectory(Fixtures.path("safetensors"))
    }
    #expect(throws: TensorFileError.self) { try NumpyFile.readDirectory(Fixtures.path("no-such-dir")) }
    #expect(throws: TensorFileError.self) { try NumpyFile.read(Fixtures.path("npy")) }
  }

  @Test func writerIsByteIdenticalToNumPyAndRoundTrips() throws {
    // NumPy's own np.save of the same float64 C-order array, version 1.0.
    let numpyBytes = try Fixtures.bytes("npy/float64-le-C.npy")
    let t = try NumpyFile.read(Fixtures.path("npy/float64-le-C.npy"))
    #expect(try NumpyFile.encode(values: t.values, shape: t.shape) == numpyBytes)
    let vector = try NumpyFile.read(Fixtures.path("npy/vector-1d.npy"))
    let scalar = try NumpyFile.read(Fixtures.path("npy/scalar-0d.npy"))
    for (values, shape) in [(vector.values, [3]), (scalar.values, []), ([], [0, 3]),
                            ([0.1, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e-300, 7], [3, 1, 2])] {
      let bytes = try NumpyFile.encode(values: values, shape: shape)
      #expect((bytes.count - values.count * 8) % 64 == 0)  // data 64-byte aligned, as NumPy writes
      let back = try NumpyFile.decode(bytes, name: "x", file: "x.npy")
      #expect(back.shape == shape && sameBits(back.values, values) && back.dtype == .float64)
    }
    #expect(throws: TensorFileError.self) { try NumpyFile.encode(values: [1, 2], shape: [3]) }
  }

  @Test func writeIsAtomicAndLeavesNoTemporaryFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("floatcheck-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = (dir as NSString).appendingPathComponent("H.npy")
    try NumpyFile.write(values: [1, 2, 3, 4], shape: [2, 2], to: path)
    try NumpyFile.write(values: [5, 6], shape: [2], to: path)  // replaces the old file whole
    #expect(try NumpyFile.read(path).values == [5, 6])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["H.npy"])
    #expect(throws: TensorFileError.self) {
      try NumpyFile.write(values: [1], shape: [1], to: (dir as NSString).appendingPathComponent("missing/H.npy"))
    }
  }
}
