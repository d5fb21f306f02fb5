import Foundation
import Testing
@testable import FloatCheck

@Suite struct FloatSpectrumTests {
  /// The n×n second-difference matrix tridiag(−1, 2, −1), whose eigenvalues are
  /// 2 − 2 cos(kπ/(n+1)), k = 1…n (a classical closed form).
  static func laplacian(_ n: Int) -> [Double] {
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = 2
      if i + 1 < n {
        a[i * n + i + 1] = -1
        a[(i + 1) * n + i] = -1
      }
    }
    return a
  }

  @Test func laplacianEigenvaluesMatchTheClosedForm() throws {
    let n = 40
    let expected = (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
    let w = try FloatSpectrum.symmetricEigenvalues(of: Self.laplacian(n), n: n)
    #expect(zip(w, expected).allSatisfy { abs($0 - $1) < 1e-13 })
    let sv = try FloatSpectrum.singularValues(of: Self.laplacian(n), rows: n, cols: n)
    #expect(zip(sv.values, expected.reversed()).allSatisfy { abs($0 - $1) < 1e-13 })
    #expect(sv.kind == .singularValues && sv.solverPrecision == .float64)
    let single = try FloatSpectrum.eigenvalueMagnitudes(of: Self.laplacian(n), n: n, precision: .float32)
    #expect(single.solverPrecision == .float32)
    #expect(zip(single.values, expected.reversed()).allSatisfy { abs($0 - $1) < 4e-6 })
    #expect(single.values != sv.values)  // really computed in single precision
    let singleSVD = try FloatSpectrum.singularValues(of: Self.laplacian(n), rows: n, cols: n, precision: .float32)
    #expect(zip(singleSVD.values, expected.reversed()).allSatisfy { abs($0 - $1) < 4e-6 })
  }

  @Test func rectangularAndRankDeficientMatrices() throws {
    // [[3, 0, 0], [0, 4, 0]] and its transpose: singular values 4, 3.
    let a = [3.0, 0, 0, 0, 4, 0]
    #expect(try FloatSpectrum.singularValues(of: a, rows: 2, cols: 3).values == [4, 3])
    #expect(try FloatSpectrum.singularValues(of: [3, 0, 0, 4, 0, 0], rows: 3, cols: 2).values == [4, 3])
    // A 6×5 product of a 6×2 and a 2×5 integer matrix has rank 2.
    let left: [Double] = [1, 2, 3, -1, 0, 4, 2, 2, -3, 1, 5, 0]
    let right: [Double] = [1, 0, 2, -1, 3, 0, 1, 1, 4, -2]
    var m = [Double](repeating: 0, count: 30)
    for i in 0..<6 { for j in 0..<5 { m[i * 5 + j] = left[2 * i] * right[j] + left[2 * i + 1] * right[5 + j] } }
    let s = try FloatSpectrum.singularValues(of: m, rows: 6, cols: 5)
    #expect(s.values.count == 5)
    #expect(s.values[1] > 1 && s.values[2] < 1e-13 * s.values[0])
    #expect(ToleranceRule.numpy.rank(of: s) == 2)
    // Sum of squares of singular values = squared Frobenius norm.
    let frob = m.reduce(0) { $0 + $1 * $1 }
    #expect(abs(s.values.reduce(0) { $0 + $1 * $1 } - frob) < 1e-12 * frob)
    #expect(try FloatSpectrum.singularValues(of: [], rows: 0, cols: 4).values.isEmpty)
  }

  @Test func badInputIsAnError() throws {
    #expect(throws: SpectrumError.notSymmetric(row: 1, col: 0, difference: 1)) {
      try FloatSpectrum.symmetricEigenvalues(of: [1, 2, 3, 4], n: 2)
    }
    #expect(throws: SpectrumError.nonFinite(row: 1, col: 0, value: .infinity)) {
      try FloatSpectrum.singularValues(of: [1, 2, .infinity, 4], rows: 2, cols: 2)
    }
    #expect(throws: SpectrumError.shapeMismatch(rows: 2, cols: 3, count: 4)) {
      try FloatSpectrum.singularValues(of: [1, 2, 3, 4], rows: 2, cols: 3)
    }
    #expect(throws: SpectrumError.unsupportedPrecision(.float16)) {
      try FloatSpectrum.singularValues(of: [1], rows: 1, cols: 1, precision: .float16)
    }
    #expect(throws: SpectrumError.self) {
      try FloatSpectrum(magnitudesOf: [.nan], rows: 1, cols: 1, precision: .float64, kind: .singularValues)
    }
    // float16 data can still be analysed in double arithmetic.
    #expect(try FloatSpectrum.singularValues(of: [2], rows: 1, cols: 1, precision: .float16, arithmetic: .double).values == [2])
  }

  @Test func repeatedRunsAreBitIdentical() throws {
    let h = try NumpyFile.read(Fixtures.path("net-n8/H64.npy"))
    let a = try FloatSpectrum.singularValues(of: h.values, rows: h.shape[0], cols: h.shape[1])
    let b = try FloatSpectrum.singularValues(of: h.values, rows: h.shape[0], cols: h.shape[1])
    #expect(sameBits(a.values, b.values))
  }

  @Test(arguments: ["net-n4", "net-n8"])
  func agreesWithNumPyOnTheExportedHessians(net: String) throws {
    let summary = try Fixtures.summary(net)
    for (file, precision, key) in [("H64.npy", FloatPrecision.float64, "64"), ("H32.npy", .float32, "32")] {
      let h = try NumpyFile.read(Fixtures.path("\(net)/\(file)"))
      #expect(h.dtype.precision == precision)
      let s = try FloatSpectrum.singularValues(of: h.values, rows: h.shape[0], cols: h.shape[1], precision: precision)
      let numpySigma = summary["sigma_float\(key)"] as! [Double]
      // NumPy's own SVD (its bundled LAPACK) of the same matrix, in the same precision.
      let scale = s.values[0] * Double(h.shape[0]) * precision.epsilon
      #expect(zip(s.values, numpySigma).allSatisfy { abs($0 - $1) <= scale }, "\(net) \(file)")
      let ranks = summary["rank_float\(key)"] as! [String: Int]
      #expect(ToleranceRule.numpy.rank(of: s) == ranks["numpy"], "\(net) \(file)")
      if let jax = ranks["jax"] { #expect(ToleranceRule.jax(rtol: nil).rank(of: s) == jax) }
    }
  }
}
