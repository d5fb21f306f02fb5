import Exact
import Testing
@testable import FloatCheck

/// Random, truncated and corrupted bytes: every outcome is a value or a `TensorFileError`,
/// never a crash, a trap or a read out of bounds.
@Suite struct ReaderFuzzTests {
  static let validNpy = ["npy/float64-le-C.npy", "npy/float16-be-F.npy", "npy/v2-float64.npy",
                         "npy/v3-float32-F.npy", "npy/scalar-0d.npy", "npy/empty-0x3.npy", "npy/int64-be-F.npy",
                         "npy/bool-na-C.npy"]
  static let validSafetensors = ["safetensors/mixed.safetensors", "net-n4/weights.safetensors"]

  /// Decodes with the reader for `kind`, returning nil when it threw a TensorFileError.
  static func decode(_ bytes: [UInt8], safetensors: Bool) -> Bool? {
    do {
      if safetensors {
        _ = try SafetensorsFile.decode(bytes, file: "fuzz")
      } else {
        _ = try NumpyFile.decode(bytes, name: "fuzz", file: "fuzz")
      }
      return true
    } catch is TensorFileError {
      return nil
    } catch {
      Issue.record("unexpected error type \(error)")
      return false
    }
  }

  @Test func everyTruncationOfAValidFileIsAClearError() throws {
    for (files, isSafetensors) in [(Self.validNpy, false), (Self.validSafetensors, true)] {
      for f in files {
        let bytes = try Fixtures.bytes(f)
        #expect(Self.decode(bytes, safetensors: isSafetensors) == true, "\(f) must read")
        for n in 0..<bytes.count {
          // A shorter file can never be valid: both formats fix the data size exactly.
          #expect(Self.decode(Array(bytes[..<n]), safetensors: isSafetensors) == nil, "\(f) cut to \(n) bytes")
        }
      }
    }
  }

  @Test func randomBytesAreRejected() {
    var rng = SeededRandom(seed: 20240607)
    for trial in 0..<3000 {
      let count = rng.nextInt(in: 0...300)
      var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // Half the time start with the right magic / a plausible length so parsing goes deeper.
      if trial % 2 == 0, bytes.count >= 10 {
        bytes.replaceSubrange(0..<6, with: NumpyFile.magic)
        bytes[6] = UInt8(1 + trial % 3)
        bytes[7] = 0
      }
      _ = Self.decode(bytes, safetensors: false)
      if trial % 2 == 0, bytes.count >= 8 {
        let n = UInt64(rng.nextInt(in: 0...max(0, bytes.count - 8)))
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: n.littleEndian, Array.init))
        if bytes.count > 8 { bytes[8] = UInt8(ascii: "{") }
      }
      _ = Self.decode(bytes, safetensors: true)
    }
  }

  @Test func corruptedValidFilesGiveAValueOrAClearError() throws {
    var rng = SeededRandom(seed: 99)
    for (files, isSafetensors) in [(Self.validNpy, false), (Self.validSafetensors, true)] {
      for f in files {
        let original = try Fixtures.bytes(f)
        for _ in 0..<300 {
          var bytes = original
          for _ in 0..<rng.nextInt(in: 1...4) {
            let at = rng.nextInt(in: 0...(bytes.count - 1))
            // Mostly printable changes in the header region, where parsing decisions are made.
            bytes[at] = rng.nextInt(in: 0...1) == 0
              ? UInt8(truncatingIfNeeded: rng.next())
              : Array("0123456789{}[](),:'\" -eE.<>|fiub".utf8)[rng.nextInt(in: 0...31)]
          }
          _ = Self.decode(bytes, safetensors: isSafetensors)
        }
      }
    }
  }
}
