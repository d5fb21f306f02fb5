import ConvNet
import Exact
import Foundation
import Hessian
import InstanceFiles
import Testing

@Suite struct InstanceFilesTests {
  let architecture = try! Architecture(parsing: "1x4x4 conv(2,k=3) dense(3)")

  func settings(_ files: InstanceFileSet) -> InstanceSettings {
    var s = InstanceSettings(samples: 5)
    s.files = files
    return s
  }

  /// Every dtype is read as the exact numbers it stores: integers as integers, floats as the
  /// dyadic rationals they are (0.1 in float32 is 13421773/2^27, not 1/10).
  @Test(arguments: ["f2", "f4", "f8", "u1", "i4", "i8"])
  func everyDTypeReadsExactly(dtype: String) throws {
    let dir = try NpyFixture.temporaryDirectory()
    let signed = dtype != "u1"
    let fractional = dtype.hasPrefix("f")
    let values = (0..<(3 * 16)).map { i -> Double in
      var v = Double(i % 17)
      if signed && i % 3 == 0 { v = -v }
      if fractional && i % 5 == 0 { v += 0.1 }
      return v
    }
    let path = try NpyFixture.write(values, shape: [3, 1, 4, 4], dtype: dtype, to: dir.appendingPathComponent("X.npy"))
    let s = try InstanceFiles.resolve(settings(InstanceFileSet(data: InstanceFileReference(path: path))), architecture: architecture)
    let expected = try values.map { v -> Rational in
      switch dtype {
      case "f2": return try Rational(exactly: Double(Float16(v)))
      case "f4": return try Rational(exactly: Double(Float(v)))
      default: return try Rational(exactly: v)
      }
    }
    #expect(s.samples == 3)
    #expect(s.inputs?.flatMap { $0 } == expected)
    #expect(s.files.data?.sha256 == SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))))
    if dtype == "f4" { #expect(expected[0] == (try Rational(BigInt(13_421_773), BigInt(134_217_728)))) }  // float32(0.1)
    // Weights and targets still come from the seed, the same as without the file.
    let seeded = try NetworkInstance(architecture: architecture, settings: InstanceSettings(samples: 3))
    let mixed = try NetworkInstance(architecture: architecture, settings: s)
    #expect(mixed.theta == seeded.theta && mixed.targets == seeded.targets)
  }

  /// θ as a safetensors file, a directory of <name>.npy, or one flat .npy: the same θ.
  @Test func weightsFromThreeKindsOfFile() throws {
    let dir = try NpyFixture.temporaryDirectory()
    let conv = (0..<18).map { Double($0) / 4 - 2 }, dense = (0..<24).map { 3 - Double($0) / 8 }
    let st = dir.appendingPathComponent("w.safetensors")
    try Data(SafetensorsWriter.encode([("0.weight", [2, 1, 3, 3], conv), ("1.weight", [3, 8], dense)])).write(to: st)
    let npyDir = dir.appendingPathComponent("w")
    try FileManager.default.createDirectory(at: npyDir, withIntermediateDirectories: true)
    _ = try NpyFixture.write(conv, shape: [2, 1, 3, 3], dtype: "f4", to: npyDir.appendingPathComponent("0.weight.npy"))
    _ = try NpyFixture.write(dense, shape: [3, 8], dtype: "f8", to: npyDir.appendingPathComponent("1.weight.npy"))
    let flat = try NpyFixture.write(conv + dense, shape: [42], dtype: "f8", to: dir.appendingPathComponent("theta.npy"))
    let expected = try (conv + dense).map { try Rational(exactly: $0) }
    for path in [st.path, npyDir.path, flat] {
      let s = try InstanceFiles.resolve(settings(InstanceFileSet(weights: InstanceFileReference(path: path))), architecture: architecture)
      #expect(s.weights == expected, "\(path)")
      #expect(s.files.weights?.sha256?.count == 64)
    }
  }

  func failure(_ files: InstanceFileSet, architecture: Architecture? = nil) -> String {
    do {
      _ = try InstanceFiles.resolve(settings(files), architecture: architecture ?? self.architecture)
      return "no error"
    } catch {
      return error.description
    }
  }

  /// Misnamed or misshapen tensors, NaN, n mismatch, labels ≥ K: one line naming the file and the fix.
  @Test func badFilesAreOneClearLine() throws {
    let dir = try NpyFixture.temporaryDirectory()
    func file(_ name: String, _ values: [Double], _ shape: [Int], _ dtype: String = "f8") throws -> InstanceFileReference {
      InstanceFileReference(path: try NpyFixture.write(values, shape: shape, dtype: dtype, to: dir.appendingPathComponent(name)))
    }
    let shifted = dir.appendingPathComponent("shifted.safetensors")
    try Data(SafetensorsWriter.encode([("0.weight", [2, 1, 3, 3], Array(repeating: 1, count: 18)),
                                       ("2.weight", [3, 8], Array(repeating: 1, count: 24))])).write(to: shifted)
    let misshapen = dir.appendingPathComponent("misshapen.safetensors")
    try Data(SafetensorsWriter.encode([("0.weight", [2, 1, 2, 2], Array(repeating: 1, count: 8)),
                                       ("1.weight", [3, 8], Array(repeating: 1, count: 24))])).write(to: misshapen)
    let x = try file("X.npy", Array(repeating: 1, count: 4 * 16), [4, 1, 4, 4])
    var nan = Array(repeating: 1.0, count: 4 * 16)
    nan[17] = .nan
    let cases: [(InstanceFileSet, [String])] = [
      (InstanceFileSet(weights: InstanceFileReference(path: shifted.path)), ["'1.weight'", "rename '2.weight'"]),
      (InstanceFileSet(weights: InstanceFileReference(path: misshapen.path)), ["'0.weight'", "(2, 1, 2, 2)", "(2, 1, 3, 3)"]),
      (InstanceFileSet(data: try file("N.npy", nan, [4, 1, 4, 4])), ["N.npy", "nan", "[1, 0, 0, 1]"]),
      (InstanceFileSet(data: try file("bad.npy", Array(repeating: 1, count: 4 * 15), [4, 15])), ["bad.npy", "shape (4, 15)"]),
      (InstanceFileSet(data: x, targets: try file("Y.npy", Array(repeating: 0, count: 15), [5, 3])), ["n = 4", "Y.npy holds 5"]),
      (InstanceFileSet(data: x, labels: try file("L.npy", [0, 1, 3, 2], [4], "i8")), ["L.npy", "label 3", "0...2"]),
      (InstanceFileSet(data: x, rowLimit: 9), ["9 samples", "only 4"]),
      (InstanceFileSet(data: InstanceFileReference(path: dir.appendingPathComponent("absent.npy").path)), ["absent.npy", "no such file"]),
    ]
    for (files, phrases) in cases {
      let message = failure(files)
      #expect(!message.contains("\n"))
      for phrase in phrases { #expect(message.contains(phrase), "\(message) lacks \(phrase)") }
    }
  }

  /// Labels give one-hot targets; a row limit takes the first rows of data and labels.
  @Test func labelsAreOneHotAndRowLimitTakesFirstRows() throws {
    let dir = try NpyFixture.temporaryDirectory()
    let x = try NpyFixture.write((0..<(4 * 16)).map { Double($0) }, shape: [4, 16], dtype: "u1", to: dir.appendingPathComponent("X.npy"))
    let l = try NpyFixture.write([2, 0, 1, 2], shape: [4], dtype: "u1", to: dir.appendingPathComponent("L.npy"))
    let s = try InstanceFiles.resolve(
      settings(InstanceFileSet(data: InstanceFileReference(path: x), labels: InstanceFileReference(path: l), rowLimit: 3)),
      architecture: architecture)
    #expect(s.samples == 3 && s.inputs?.count == 3 && s.inputs?[2].first == Rational(32))
    #expect(s.targetValues == [[0, 0, 1], [1, 0, 0], [0, 1, 0]].map { $0.map { Rational($0) } })
  }

  /// A recorded digest that no longer matches is a change; the same file passes.
  @Test func recordedDigestsAreChecked() throws {
    let dir = try NpyFixture.temporaryDirectory()
    let url = dir.appendingPathComponent("X.npy")
    let x = try NpyFixture.write(Array(repeating: 2, count: 32), shape: [2, 16], dtype: "f8", to: url)
    let config = try InstanceFiles.resolve(NetworkConfig(architecture: architecture, instance: settings(InstanceFileSet(data: InstanceFileReference(path: x)))))
    try InstanceFiles.verifyRecorded(config)
    _ = try NpyFixture.write(Array(repeating: 3, count: 32), shape: [2, 16], dtype: "f8", to: url)
    #expect(throws: InstanceFileError.self) { try InstanceFiles.verifyRecorded(config) }
    do {
      try InstanceFiles.verifyRecorded(config)
    } catch {
      guard case .changed(let role, _, _, _) = error else { Issue.record("expected a change, got \(error)"); return }
      #expect(role == "data")
    }
  }
}

@Suite struct KinkTests {
  /// Zero pixels under a bias-free conv make pre-activations that are 0 for every θ: no kink.
  /// The recorded branch of such a unit cannot matter, and flipping it leaves every exact
  /// Hessian matrix unchanged (two independent constructions agree).
  @Test func identicallyZeroUnitsAreNoKinkAndTheirBranchDoesNotMatter() throws {
    let architecture = try Architecture(parsing: "1x6x6 conv(2,k=3,p=1) relu conv(2,k=3) leaky dense(2)")
    var inputs: [[Rational]] = []
    for i in 0..<3 {
      // The upper-left 4×4 block is zero: its inner patches see only zeros.
      inputs.append((0..<36).map { q in (q / 6 < 4 && q % 6 < 4) ? Rational() : Rational((q * 7 + i * 3) % 11 - 5) })
    }
    let instance = try NetworkInstance(architecture: architecture,
                                       settings: InstanceSettings(samples: 3, range: 1_000_000, inputs: inputs))
    let zero = (0..<3).map { instance.identicallyZeroPreActivations(sample: $0) }
    #expect(zero[0][0].contains(true))
    let (pattern, _) = try instance.activationPattern()
    let flipped = ActivationPattern(positive: pattern.positive.enumerated().map { (i, stages) in
      stages.enumerated().map { (s, branch) in branch.enumerated().map { (q, b) in zero[i][s][q] ? !b : b } }
    })
    #expect(flipped != pattern)
    let a = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: [.outer, .functional])
    let b = try HessianRanks.exactMatrices(instance, pattern: flipped, kinds: [.outer, .functional])
    #expect(a[.outer] == b[.outer] && a[.functional] == b[.functional])
  }

  /// A unit that reads only ReLUs below 0 (and has no bias) is 0 near the point: no kink, and
  /// its branch does not matter; with a bias the same 0 is a real kink.
  @Test func unitReadingOnlyDeadReLUsIsNoKink() throws {
    func instance(_ text: String, _ theta: [Int]) throws -> NetworkInstance {
      try NetworkInstance(architecture: try Architecture(parsing: text),
                          settings: InstanceSettings(samples: 1, weights: theta.map { Rational($0) },
                                                     inputs: [[Rational(1), Rational(2)]]))
    }
    // z1 = (−1, −2) < 0, so a1 = 0 near the point and z2 = w2·a1 is 0 for every θ nearby.
    let dead = try instance("2 dense(2) relu dense(1) relu dense(1)", [-1, 0, 0, -1, 3, 4, 5])
    #expect(dead.identicallyZeroPreActivations(sample: 0) == [[false, false], [true]])
    let (pattern, _) = try dead.activationPattern()
    let flipped = ActivationPattern(positive: [[pattern.positive[0][0], [!pattern.positive[0][1][0]]]])
    let a = try HessianRanks.exactMatrices(dead, pattern: pattern, kinds: [.outer, .loss])
    let b = try HessianRanks.exactMatrices(dead, pattern: flipped, kinds: [.outer, .loss])
    #expect(a[.outer] == b[.outer] && a[.loss] == b[.loss])
    // With a bias b2 = 0 the unit can move (through b2): a real kink.
    let biased = try instance("2 dense(2) relu dense(1,bias) relu dense(1)", [-1, 0, 0, -1, 3, 4, 0, 5])
    #expect(throws: InstanceError.self) { try biased.activationPattern() }
  }

  /// A real kink at file data: the message names the sample and file and says only the weights can move.
  @Test func realKinkAtFileDataSaysWhatHelps() throws {
    let architecture = try Architecture(parsing: "2 dense(1) relu dense(1)")
    var s = InstanceSettings(samples: 1, weights: [1, -1, 1].map { Rational($0) }, inputs: [[Rational(3), Rational(3)]])
    s.files.data = InstanceFileReference(path: "X.npy", sha256: String(repeating: "0", count: 64))
    let instance = try NetworkInstance(architecture: architecture, settings: s)
    do {
      _ = try instance.activationPattern()
      Issue.record("a kink was not refused")
    } catch {
      let text = "\(error)"
      #expect(text.contains("sample 0") && text.contains("X.npy") && text.contains("only the weights can move"))
    }
  }

  /// The default range makes kinks improbable, and the bound says how much; networks without
  /// ReLU get the same wide range (degenerate points improbable: no spurious SHORT).
  @Test func reluDefaultsAreWideAndBounded() throws {
    let config = try NetworkConfig.load(configOrArchitecture: "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)")
    #expect(config.instance.range == InstanceSettings.wideDefaultRange)
    let instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    #expect(instance.kinkProbabilityBound == Rational(100 * 6 * 16, 2_000_001))
    _ = try instance.activationPattern()
    let linear = try NetworkConfig.load(configOrArchitecture: "3x8x8 conv(6,k=3,s=2,p=1,bias) dense(10)")
    #expect(linear.instance.range == InstanceSettings.wideDefaultRange)
    #expect(InstanceSettings().range == 5, "the library's own default (its tests) stays small")
  }
}
