import ConvNet
import Exact
import ExactLinearAlgebra
import FloatCheck
import Foundation
import Hessian
import RankBounds
import Reports
import Testing

/// Seeded mutation fuzzing of every parser of untrusted input: valid inputs (the bundled
/// examples, catalog formulas, certificates) are mutated byte-wise and token-wise, and every
/// result must be a value or a thrown error whose message is one line of bounded length,
/// within a time limit. A crash or stack overflow fails the whole run.
///
/// `FUZZ_ITERATIONS` (per parser, default 300) and `FUZZ_SEED` make a longer campaign
/// (`make fuzz`); with `FUZZ_KEEP=DIR` each input is written to DIR/<parser>.current before it
/// is parsed, so the input of a crash is kept. Inputs in Tests/FuzzTests/Regressions/<parser>/
/// (failures found earlier) are replayed every run.
@Suite struct ParserFuzzTests {
  static let environment = ProcessInfo.processInfo.environment
  static let iterations = Int(environment["FUZZ_ITERATIONS"] ?? "") ?? 300
  static let baseSeed = UInt64(environment["FUZZ_SEED"] ?? "") ?? 20_261_206
  static let keepDirectory = environment["FUZZ_KEEP"]
  static let packageRoot: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
      dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  }()

  /// Tallies for the campaign report.
  struct Tally: CustomStringConvertible {
    var inputs = 0, accepted = 0, errors = 0, badMessages = 0, slow = 0
    var description: String {
      "\(inputs) inputs, \(accepted) accepted, \(errors) errors, \(badMessages) messages over one line or too long, \(slow) over 5 s (a crash stops the run)"
    }
  }

  // MARK: Mutation

  struct Mutator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    static let tokens: [String] = [
      "{", "}", "[", "]", "(", ")", ",", ":", "\"", "\\", "\n", "\r", "\t", " ", "\u{1B}[2J", "\u{0}",
      "-", "+", "*", "/", "^", "..", "=", "==", "1e999999", "99999999999999999999999", "-1", "0", "NaN",
      "null", "true", "\"x\":", "{\"a\":1,\"a\":2}", "sum(l=1..999999,", "min(", "repeat", "{repeat a:",
      "conv(", "dense(", "k=", "s=", "relu", "x", "1x", "é", "\u{202E}", String(repeating: "9", count: 400),
    ]

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
      var bytes = input
      for _ in 0...below(4) {
        switch below(7) {
        case 0 where !bytes.isEmpty:  // flip a byte
          bytes[below(bytes.count)] ^= UInt8(truncatingIfNeeded: 1 << below(8))
        case 1 where !bytes.isEmpty:  // delete a range
          let a = below(bytes.count)
          bytes.removeSubrange(a..<min(bytes.count, a + 1 + below(16)))
        case 2:  // insert a token
          let t = Array(Self.tokens[below(Self.tokens.count)].utf8)
          bytes.insert(contentsOf: t, at: below(bytes.count + 1))
        case 3 where !bytes.isEmpty:  // duplicate a range (nesting, repetition)
          let a = below(bytes.count), b = min(bytes.count, a + 1 + below(64))
          let chunk = Array(bytes[a..<b])
          for _ in 0..<(1 + below(8)) { bytes.insert(contentsOf: chunk, at: a) }
        case 4 where !bytes.isEmpty:  // truncate
          bytes.removeSubrange(below(bytes.count)...)
        case 5 where !bytes.isEmpty:  // replace a digit run by a huge number
          if let i = bytes.indices.dropFirst(below(bytes.count)).first(where: { (0x30...0x39).contains(bytes[$0]) }) {
            bytes.insert(contentsOf: Array("00000000000000000000".utf8), at: i + 1)
          }
        default:  // a random byte
          bytes.insert(UInt8(truncatingIfNeeded: next()), at: below(bytes.count + 1))
        }
      }
      return bytes
    }
  }

  // MARK: The harness

  /// Runs `parse` on the seeds and `iterations` mutants; `parse` returns normally or throws.
  static func fuzz(_ name: String, seeds: [[UInt8]], salt: UInt64, _ parse: ([UInt8]) throws -> Void) -> Tally {
    var tally = Tally()
    var mutator = Mutator(state: baseSeed ^ salt)
    var inputs = seeds
    let regressions = packageRoot.appendingPathComponent("Tests/FuzzTests/Regressions/\(name)")
    if let files = try? FileManager.default.contentsOfDirectory(atPath: regressions.path) {
      for f in files.sorted() { if let d = FileManager.default.contents(atPath: regressions.appendingPathComponent(f).path) { inputs.append([UInt8](d)) } }
    }
    for i in 0..<iterations where !seeds.isEmpty {
      inputs.append(mutator.mutate(seeds[i % seeds.count]))
    }
    for input in inputs {
      if let keep = keepDirectory {
        _ = FileManager.default.createFile(atPath: "\(keep)/\(name).current", contents: Data(input))
      }
      tally.inputs += 1
      let start = Date()
      do {
        try parse(input)
        tally.accepted += 1
      } catch {
        tally.errors += 1
        let message = "\(error)"
        if message.contains("\n") || message.contains("\r") || message.count > 2_000 { tally.badMessages += 1 }
        #expect(!message.contains("\n") && !message.contains("\r"), "\(name): a message over one line: \(message.prefix(300).debugDescription)")
        #expect(message.count <= 2_000, "\(name): a message of \(message.count) characters")
        #expect(!message.contains("Swift.") && !message.contains("CodingKeys") && !message.contains("Index "),
                "\(name): Swift debug text in \(message.prefix(300).debugDescription)")
      }
      let seconds = Date().timeIntervalSince(start)
      if seconds >= 5 { tally.slow += 1 }
      #expect(seconds < 5, "\(name): one input took \(seconds) s: \(String(decoding: input.prefix(200), as: UTF8.self).debugDescription)")
    }
    print("fuzz \(name): \(tally)")
    return tally
  }

  static func files(_ dir: String, ext: String) -> [[UInt8]] {
    let url = packageRoot.appendingPathComponent(dir)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(ext) }.sorted()
    return names.compactMap { FileManager.default.contents(atPath: url.appendingPathComponent($0).path).map { [UInt8]($0) } }
  }

  static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

  // MARK: One test per parser

  @Test func architectureStrings() {
    let seeds = ["1x12 conv(2,k=3) dense(2)", "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)", "8 dense(6) dense(3)",
                 "2x9 conv(3,k=6,d=2) leaky_relu(1/10) avgpool(k=2) dense(1,bias)", "1x32 conv(16,k=5) conv(16,k=5) dense(10)"]
    let t = Self.fuzz("architecture", seeds: seeds.map { Array($0.utf8) }, salt: 1) { b in
      let a = try Architecture(parsing: Self.text(b))
      _ = try a.parameterCount()
    }
    #expect(t.inputs > Self.iterations)
  }

  @Test func configFiles() {
    let t = Self.fuzz("config", seeds: Self.files("examples/configs", ext: ".json"), salt: 2) { b in
      let c = try NetworkConfig(json: Data(b))
      try c.validate()
    }
    #expect(t.accepted > 0 && t.errors > 0)
  }

  @Test func sweepFiles() {
    let t = Self.fuzz("sweep", seeds: Self.files("examples/sweeps", ext: ".json"), salt: 3) { b in
      _ = try SweepSpec(json: Data(b))
    }
    #expect(t.errors > 0)
  }

  @Test func architectureTemplates() {
    let seeds = ["1x16 {repeat depth: conv({m},k=3)} dense(2)", "{d} dense({w}) {repeat L: dense({w})} dense(1)"]
    let values = ["depth": "3", "m": "4", "d": "8", "w": "5", "L": "2", "a": "64"]
    _ = Self.fuzz("template", seeds: seeds.map { Array($0.utf8) }, salt: 4) { b in
      let t = try ArchitectureTemplate(Self.text(b))
      var v = values
      for name in t.placeholders where v[name] == nil { v[name] = "2" }
      _ = try t.render(v)
    }
  }

  @Test func formulas() {
    let seeds = BoundCatalog.all.map { Array($0.formula.text.utf8) } + [Array("sum(l=1..L, m[l]*k[l]) + min(K*r, q)".utf8)]
    _ = Self.fuzz("formula", seeds: seeds, salt: 5) { b in
      let f = try Formula(parsing: Self.text(b))
      try f.validate()
    }
  }

  @Test func matrixText() {
    let t = Self.fuzz("matrix", seeds: Self.files("examples/matrices", ext: ".txt"), salt: 6) { b in
      _ = try MatrixText.parse(Self.text(b))
    }
    #expect(t.accepted > 0)
  }

  @Test func certificates() {
    let seeds = Self.files("proofs/certificates", ext: ".json").filter { $0.count < 200_000 }.prefix(4)
    _ = Self.fuzz("certificate", seeds: Array(seeds), salt: 7) { b in
      let data = Data(b)
      let root = try JSONValue.parse(b)
      switch root["format"] {
      case .string(HessianCertificate.currentFormat)?: _ = try HessianCertificate(json: data)
      case .string(BoundCertificate.currentFormat)?: _ = try BoundCertificate(json: data)
      case .string(CrossEntropyCertificate.currentFormat)?: _ = try CrossEntropyCertificate(json: data)
      default:
        do {
          _ = try JSONDecoder().decode(MatrixRankCertificateFile.self, from: data)
        } catch {
          throw CertificateShapeError(message: DecodingMessage.text(error))
        }
      }
    }
  }

  struct CertificateShapeError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
  }

  @Test func npyAndSafetensors() {
    let npy = Self.files("Tests/FloatCheckTests/Fixtures/npy", ext: ".npy")
    _ = Self.fuzz("npy", seeds: npy, salt: 8) { b in
      _ = try NumpyFile.decode(b, name: "x", file: "x.npy")
    }
    let st = Self.files("Tests/FloatCheckTests/Fixtures/safetensors", ext: ".safetensors")
    _ = Self.fuzz("safetensors", seeds: st, salt: 9) { b in
      _ = try SafetensorsFile.decode(b, file: "w.safetensors")
    }
  }
}
