import ConvNet
import Exact
import FloatCheck
import Foundation
import Hessian
import Testing
@testable import FloatVerification

/// The exported networks in Tests/FloatCheckTests/Fixtures (made by export_hessian.py --exact,
/// whose exact Hessian comes from Python's fractions, independently of the Swift builders).
enum NetworkFixture {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("FloatCheckTests/Fixtures").path
  static let architecture = try! Architecture(parsing: "1x8 conv(2,k=3) dense(2)")

  static func path(_ net: String, _ file: String) -> String { "\(root)/\(net)/\(file)" }

  static func instance(_ net: String, weights: String = "weights") throws -> NetworkInstance {
    try FloatNetworkData.instance(
      architecture: architecture, weights: try TensorFiles.read(path(net, weights)),
      inputs: try NumpyFile.read(path(net, "X.npy")), targets: try NumpyFile.read(path(net, "Y.npy")))
  }

  /// H_exact.txt: "# comment", "p p", then rows of rationals.
  static func exactHessian(_ net: String) throws -> (rank: Int, entries: [Rational]) {
    let text = try String(contentsOfFile: path(net, "H_exact.txt"), encoding: .utf8)
    let comment = try #require(text.split(separator: "\n").first)
    let last = try #require(comment.split(separator: " ").last)
    let rank = try #require(Int(last))
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
    let entries = try lines.flatMap { try $0.split(separator: " ").map { try Rational(parsing: String($0)) } }
    return (rank, entries)
  }

  static func verify(_ net: String, _ source: FloatHessianSource, claimed: Int? = nil,
                     rules: [ToleranceRule] = ToleranceRule.standard) throws -> FloatHessianVerification {
    try FloatHessianVerification(instance: try instance(net), kind: .loss, floatHessian: source, rules: rules,
                                 claimedRank: claimed)
  }
}

@Suite struct FloatHessianVerificationTests {
  @Test(arguments: ["net-n4", "net-n8"])
  func exactHessianFromTheFloatWeightsEqualsTheIndependentlyExportedOne(net: String) throws {
    let reference = try NetworkFixture.exactHessian(net)
    let fromDirectory = try NetworkFixture.instance(net)
    let fromSafetensors = try NetworkFixture.instance(net, weights: "weights.safetensors")
    #expect(fromDirectory.theta == fromSafetensors.theta)
    let h = try FloatHessianVerification.exactHessian(fromDirectory, kind: .loss)
    #expect(h.rows == 30 && h.cols == 30)
    #expect(h.storage == reference.entries)
    // The weights were float32 numbers stored as float64: dyadic with ≤ 24 significant bits.
    #expect(fromDirectory.theta.allSatisfy { $0.denominator.bitWidth <= 40 })
  }

  @Test func float32HessianWithTooLargeDefaultToleranceIsWrong() throws {
    let h32 = try NumpyFile.read(NetworkFixture.path("net-n8", "H32.npy"))
    let v = try NetworkFixture.verify("net-n8", .file("H32.npy", h32))
    let reference = try NetworkFixture.exactHessian("net-n8")
    #expect(v.exactRank == 27 && v.exactRank == reference.rank)
    #expect(v.analysis.precision == .float32 && v.analysis.solverPrecision == .float32)
    #expect(v.analysis.rules.map(\.rank) == [25, 25, 25])
    #expect(v.analysis.rules.allSatisfy { $0.verdict == .wrong && $0.difference == -2 })
    #expect(v.analysis.provablySafeTolerances.isEmpty)
    #expect(v.verdict == .wrong && !v.allCorrect)
    #expect(v.text.contains("verdict: WRONG"))
  }

  @Test func float64HessianIsCorrectWithAWideSafeInterval() throws {
    let h64 = try NumpyFile.read(NetworkFixture.path("net-n8", "H64.npy"))
    let v = try NetworkFixture.verify("net-n8", .file("H64.npy", h64), claimed: 27)
    #expect(v.analysis.rules.map(\.rank) == [27, 27, 27])
    #expect(v.allCorrect && v.claimed?.verdict == .correct && v.warnings.isEmpty)
    // Weyl: the rigorous bound covers the noise s_28, and is far below s_27.
    let e = v.analysis.errorBudget.total
    #expect(v.analysis.sigmaAfterRank! <= e && e < 1e-12 && v.analysis.sigmaAtRank! > 1e-8)
    #expect(v.maxEntryDifference <= v.analysis.errorBudget.matrixDifference)
  }

  @Test func projectBuiltFloat64HessianAgreesWithTheExactOne() throws {
    let instance = try NetworkFixture.instance("net-n8")
    let float = try FloatHessianVerification.floatHessian(instance, kind: .loss)
    let exact = try FloatHessianVerification.exactHessian(instance, kind: .loss)
    // Entrywise within a few ulps of the exact value (relative to the largest entry).
    let scale = exact.storage.map { Double(nearest: $0).magnitude }.max()!
    for (f, q) in zip(float.storage, exact.storage) {
      #expect(abs(f - Double(nearest: q)) <= 64 * scale * 0x1p-52)
    }
    let v = try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .builtFloat64)
    #expect(v.exactRank == 27 && v.allCorrect && v.floatHessian.contains("float64"))
    // Outer and functional kinds: H_o is JᵀJ/n with rank ≤ nK = 16; H_o + H_f = H_L.
    let outer = try FloatHessianVerification(instance: instance, kind: .outer, floatHessian: .builtFloat64)
    #expect(outer.exactRank <= 16 && outer.allCorrect)
    let ho = try FloatHessianVerification.exactHessian(instance, kind: .outer)
    let hf = try FloatHessianVerification.exactHessian(instance, kind: .functional)
    #expect(RationalRing().sum(ho, hf) == exact)
  }

  @Test func claimedRanksAreJudgedAgainstTheExactRank() throws {
    let h32 = try NumpyFile.read(NetworkFixture.path("net-n8", "H32.npy"))
    let v = try NetworkFixture.verify("net-n8", .file("H32.npy", h32), claimed: 25, rules: [])
    let c = try #require(v.claimed)
    #expect(c.verdict == .wrong && c.difference == -2)
    // The tolerances that give 25 on the float32 spectrum: [s_26, s_25).
    let s = try FloatSpectrum.singularValues(of: h32.values, rows: 30, cols: 30, precision: .float32).values
    #expect(c.tolerancesGivingClaim == ToleranceInterval(lower: s[25], upper: s[24]))
    #expect(v.text.contains("claimed rank 25: WRONG (-2)"))
    #expect(throws: FloatVerificationError.claimedRankOutOfRange(31, parameters: 30)) {
      try NetworkFixture.verify("net-n8", .builtFloat64, claimed: 31)
    }
  }

  @Test func aHessianOfTheSummedLossIsFlaggedAsScaled() throws {
    let h64 = try NumpyFile.read(NetworkFixture.path("net-n8", "H64.npy"))
    var summed = h64
    summed.values = h64.values.map { $0 * 8 }  // ℓ = ½ Σ ‖f − y‖²: n times the mean loss
    let v = try NetworkFixture.verify("net-n8", .file("H.npy", summed))
    #expect(v.warnings.count == 1 && v.warnings[0].contains("8 × H_exact (n)"))
    #expect(!v.allCorrect)
  }

  @Test func badInputsAreOneLineErrors() throws {
    let h64 = try NumpyFile.read(NetworkFixture.path("net-n8", "H64.npy"))
    let small = FloatTensor(name: "H", shape: [29, 29], values: Array(h64.values.prefix(841)), dtype: .float64)
    #expect(throws: FloatVerificationError.hessianShape(file: "H.npy", shape: [29, 29], parameters: 30)) {
      try NetworkFixture.verify("net-n8", .file("H.npy", small))
    }
    var half = h64
    half.dtype = .float16
    #expect(throws: FloatVerificationError.hessianDType(file: "H.npy", dtype: "float16")) {
      try NetworkFixture.verify("net-n8", .file("H.npy", half))
    }
    // Y with 7 samples for X with 8.
    let x = try NumpyFile.read(NetworkFixture.path("net-n8", "X.npy"))
    let y = try NumpyFile.read(NetworkFixture.path("net-n8", "Y.npy"))
    let y7 = FloatTensor(name: "Y", shape: [7, 2], values: Array(y.values.prefix(14)), dtype: .float64)
    let weights = try TensorFiles.read(NetworkFixture.path("net-n8", "weights"))
    #expect(throws: FloatVerificationError.sampleCountMismatch(inputs: 8, targets: 7)) {
      try FloatNetworkData.instance(architecture: NetworkFixture.architecture, weights: weights, inputs: x, targets: y7)
    }
    // PyTorch's indices after an nn.Flatten(): 1.weight saved as 2.weight.
    var shifted = weights
    shifted["2.weight"] = shifted.removeValue(forKey: "1.weight")
    shifted["2.weight"]?.name = "2.weight"
    #expect(throws: FloatVerificationError.misnamedTensor(expected: "1.weight", found: "2.weight", shape: [2, 12])) {
      try FloatNetworkData.instance(architecture: NetworkFixture.architecture, weights: shifted, inputs: x, targets: y)
    }
    // X flattened to (n, 8) is the same data; (n, 2, 4) is not an input shape of 1x8.
    var flat = x
    flat.shape = [8, 8]
    let a = try FloatNetworkData.instance(architecture: NetworkFixture.architecture, weights: weights, inputs: flat, targets: y)
    let b = try NetworkFixture.instance("net-n8")
    #expect(a.inputs == b.inputs)
    flat.shape = [8, 2, 4]
    #expect(throws: TensorMappingError.self) {
      try FloatNetworkData.instance(architecture: NetworkFixture.architecture, weights: weights, inputs: flat, targets: y)
    }
  }

  @Test func aReLUPreActivationOfExactlyZeroIsAKink() throws {
    // 2 dense(1) relu dense(1): the first layer's weights are zero, so its output is 0.
    let arch = try Architecture(parsing: "2 dense(1) relu dense(1)")
    let weights = [
      "0.weight": FloatTensor(name: "0.weight", shape: [1, 2], values: [0, 0], dtype: .float32),
      "2.weight": FloatTensor(name: "2.weight", shape: [1, 1], values: [1.5], dtype: .float32),
    ]
    let x = FloatTensor(name: "X", shape: [2, 2], values: [1, 2, 3, 4], dtype: .float64)
    let y = FloatTensor(name: "Y", shape: [2], values: [0.5, -1], dtype: .float64)
    let instance = try FloatNetworkData.instance(architecture: arch, weights: weights, inputs: x, targets: y)
    #expect(throws: FloatVerificationError.nonDifferentiable(layer: 1, sample: 0, position: 0)) {
      try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .builtFloat64)
    }
  }
}
