import Exact
import Foundation
import Testing
@testable import FloatCheck

@Suite struct FloatRankAnalysisTests {
  static func analyze(_ s: [Double], rank: Int, matrixError: Double, rules: [ToleranceRule], n: Int? = nil) throws -> FloatRankAnalysis {
    let size = n ?? s.count
    let spectrum = try FloatSpectrum(magnitudesOf: s, rows: size, cols: size, precision: .float64, kind: .singularValues)
    return try FloatRankAnalysis(exactRank: rank, spectrum: spectrum,
                                 errorBudget: ErrorBudget(matrixDifference: matrixError, estimatingSolverErrorFor: spectrum),
                                 rules: rules)
  }

  @Test func intervalsAndVerdictsOnAHandMadeSpectrum() throws {
    // σ = 10, 1 then rounding noise; E = 1e-15 + ε·10.
    let rules: [ToleranceRule] = [.numpy, .absolute(0.5), .absolute(1), .absolute(1e-17), .absolute(2e-15),
                                  .absolute(1 - 1e-15), .relative(0.05)]
    let a = try Self.analyze([10, 1, 1e-16, 0], rank: 2, matrixError: 1e-15, rules: rules)
    let e = a.errorBudget.total
    #expect(e >= 1e-15 + 10 * 0x1p-52)
    #expect(a.sigmaAtRank == 1 && a.sigmaAfterRank == 1e-16 && a.gap == 1 - 1e-16)
    #expect(abs(a.gapDecades! - 16) < 1e-12)
    #expect(a.exactRankTolerances == ToleranceInterval(lower: 1e-16, upper: 1))
    #expect(a.provablySafeTolerances.lower == e)
    #expect(a.provablySafeTolerances.upper! <= 1 - 2 * e && a.provablySafeTolerances.upper! > 1 - 3 * e)
    #expect(a.consistent)
    let verdicts = a.rules.map(\.verdict)
    #expect(verdicts == [.correct, .correct, .wrong, .wrong, .fragile, .fragile, .correct])
    #expect(a.rules.map(\.rank) == [2, 2, 1, 3, 2, 2, 2])
    #expect(a.rules[2].difference == -1 && a.rules[3].difference == 1)
    #expect(a.rules[0].tolerance == 10 * 4 * 0x1p-52)
    #expect(!a.allCorrect)
  }

  @Test func rankZeroAndFullRank() throws {
    let zero = try Self.analyze([1e-15, 1e-16], rank: 0, matrixError: 1e-14, rules: [.numpy, .absolute(1e-13)])
    #expect(zero.sigmaAtRank == nil && zero.gap == nil)
    #expect(zero.exactRankTolerances == ToleranceInterval(lower: 1e-15, upper: nil))
    #expect(zero.provablySafeTolerances.upper == nil && zero.provablySafeTolerances.lower == zero.errorBudget.total)
    #expect(zero.rules.map(\.verdict) == [.wrong, .correct] && zero.rules[0].difference == 2)
    let full = try Self.analyze([3, 2], rank: 2, matrixError: 0.1, rules: [.numpy, .absolute(1.9)])
    #expect(full.sigmaAfterRank == nil && full.exactRankTolerances == ToleranceInterval(lower: 0, upper: 2))
    #expect(full.provablySafeTolerances.lower == 0)
    #expect(full.rules.map(\.verdict) == [.correct, .fragile])
  }

  @Test func narrowGapHasNoSafeToleranceAndContradictionsAreFlagged() throws {
    // Gap 1e-10 against an error of 1e-9: every tolerance is luck.
    let a = try Self.analyze([1, 1e-10, 1e-12], rank: 2, matrixError: 1e-9, rules: [.absolute(1e-11)])
    #expect(a.provablySafeTolerances.isEmpty && a.rules[0].verdict == .fragile)
    #expect(a.text.contains("no tolerance certifies the rank"))
    // s_{r*+1} = 0.5 > E = 0.01 contradicts Weyl's inequality.
    let b = try Self.analyze([1, 0.5], rank: 1, matrixError: 0.01, rules: [.numpy])
    #expect(!b.consistent && b.text.contains("warning"))
  }

  @Test func invalidInputsAreErrors() throws {
    #expect(throws: SpectrumError.self) { try Self.analyze([1, 0], rank: 3, matrixError: 0, rules: [.numpy]) }
    #expect(throws: SpectrumError.self) { try Self.analyze([1, 0], rank: 1, matrixError: -1, rules: [.numpy]) }
    var s = try FloatSpectrum(magnitudesOf: [2, 1], rows: 2, cols: 2, precision: .float64, kind: .singularValues)
    s.values = [1, 2]
    #expect(throws: SpectrumError.self) {
      try FloatRankAnalysis(exactRank: 1, spectrum: s, errorBudget: ErrorBudget(matrixDifference: 0, solverError: 0))
    }
    s.values = [2]
    #expect(throws: SpectrumError.self) {
      try FloatRankAnalysis(exactRank: 1, spectrum: s, errorBudget: ErrorBudget(matrixDifference: 0, solverError: 0))
    }
  }

  @Test func reportRendersAsTextAndJSON() throws {
    let a = try Self.analyze([10, 1, 1e-16, 0], rank: 2, matrixError: 1e-15, rules: [.numpy, .absolute(1)])
    let text = a.text
    #expect(text.contains("exact rank r* = 2 of a 4×4 matrix (float64)"))
    #expect(text.contains("numpy") && text.contains("CORRECT") && text.contains("WRONG (-1)"))
    let json = try a.json()
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    #expect(object["exact_rank"] as? Int == 2)
    // (JSONSerialization on Linux may round the last digit; the JSON text itself is exact —
    // the round trip through init(json:) below checks that.)
    let lower = try #require((object["provably_safe_tolerances"] as? [String: Any])?["lower"] as? Double)
    #expect(abs(lower - a.provablySafeTolerances.lower) <= 1e-15 * lower)
    let rules = object["rules"] as! [[String: Any]]
    #expect(rules.map { $0["verdict"] as! String } == ["CORRECT", "WRONG"])
    #expect(rules[1]["difference"] as? Int == -1)
    // Decodes back to the same analysis.
    #expect(try FloatRankAnalysis(json: json) == a)
  }

  // MARK: - The exported networks: exact Hessian vs float64 / float32 Hessians

  static func analyzeFixture(_ net: String, _ file: String) throws -> (FloatRankAnalysis, DifferenceNormBound) {
    let summary = try Fixtures.summary(net)
    let exactRank = summary["rank_exact"] as! Int
    let exact = try Fixtures.exactMatrix("\(net)/H_exact.txt")
    let h = try NumpyFile.read(Fixtures.path("\(net)/\(file)"))
    #expect(h.shape == [exact.rows, exact.cols])
    let bound = try DifferenceNormBound(float: h.values, exact: exact.entries, rows: exact.rows, cols: exact.cols)
    let spectrum = try FloatSpectrum.singularValues(of: h.values, rows: exact.rows, cols: exact.cols,
                                                    precision: h.dtype.precision!)
    let analysis = try FloatRankAnalysis(
      exactRank: exactRank, spectrum: spectrum,
      errorBudget: ErrorBudget(matrixDifference: bound.upperBound, estimatingSolverErrorFor: spectrum))
    return (analysis, bound)
  }

  @Test func cleanFloat64HessianIsCorrect() throws {
    for net in ["net-n4", "net-n8"] {
      let (a, bound) = try Self.analyzeFixture(net, "H64.npy")
      #expect(a.consistent, "\(net)")
      #expect(a.rules.allSatisfy { $0.verdict == .correct }, "\(net):\n\(a.text)")
      // The rigorous bound is at least the largest entry error NumPy measured.
      let maxError = try Fixtures.summary(net)["max_abs_error_float64"] as! Double
      #expect(bound.upperBound >= maxError && bound.upperBound < 1e-12)
    }
  }

  @Test func float32HessianWithATinySingularValueIsWrong() throws {
    let (a, bound) = try Self.analyzeFixture("net-n8", "H32.npy")
    #expect(a.exactRank == 27 && a.consistent)
    for r in a.rules {
      #expect(r.verdict == .wrong && r.difference == -2, "\(r.rule): \(r.reason)")
    }
    // The two smallest nonzero singular values lie below float32 noise: no tolerance is safe.
    #expect(a.provablySafeTolerances.isEmpty)
    #expect(!a.exactRankTolerances.isEmpty)
    #expect(bound.upperBound >= (try Fixtures.summary("net-n8")["max_abs_error_float32"] as! Double))
    // The small network's float32 Hessian, with a wide gap, is fine.
    let (small, _) = try Self.analyzeFixture("net-n4", "H32.npy")
    #expect(small.rules.allSatisfy { $0.verdict == .correct }, "\(small.text)")
  }

  @Test func exactHessianFixturesAreConsistent() throws {
    for net in ["net-n4", "net-n8"] {
      let text = try String(contentsOfFile: Fixtures.path("\(net)/H_exact.txt"), encoding: .utf8)
      let rank = try Fixtures.summary(net)["rank_exact"] as! Int
      #expect(text.hasPrefix("#") && text.split(separator: "\n")[0].hasSuffix("exact rank \(rank)"))
      let m = try Fixtures.exactMatrix("\(net)/H_exact.txt")
      // Symmetric, as a Hessian is.
      for i in 0..<m.rows { for j in 0..<i { #expect(m.entries[i * m.cols + j] == m.entries[j * m.cols + i]) } }
    }
  }
}
