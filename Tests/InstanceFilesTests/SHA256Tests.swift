import InstanceFiles
import Testing

@Suite struct SHA256Tests {
  /// FIPS 180-4 / NIST example vectors and the empty message.
  @Test func knownVectors() {
    #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Feeding in pieces (across block boundaries, including the 55/56/64-byte padding edges)
  /// gives the digest of the whole.
  @Test func incrementalEqualsWhole() {
    for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 200] {
      let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
      var h = SHA256()
      var i = 0
      var step = 1
      while i < bytes.count {
        let j = min(bytes.count, i + step)
        h.update(bytes[i..<j])
        i = j
        step = step % 17 + 3
      }
      #expect(h.hexDigest() == SHA256.hex(bytes), "length \(length)")
    }
  }
}
