import Testing
@testable import FloatCheck

@Suite struct ToleranceRuleTests {
  static func spectrum(_ values: [Double], rows: Int, cols: Int, _ p: FloatPrecision = .float64) throws -> FloatSpectrum {
    try FloatSpectrum(magnitudesOf: values, rows: rows, cols: cols, precision: p, kind: .singularValues)
  }

  @Test func defaultsFollowTheLibrariesFormulas() throws {
    // σ_max = 8, M×N = 10×20: NumPy/JAX/PyTorch default tol = 8 · 20 · eps.
    let s = try Self.spectrum([8, 1, 0.5], rows: 10, cols: 20)
    let expected64 = 8 * 20 * 0x1p-52
    #expect(ToleranceRule.numpy.tolerance(for: s) == expected64)
    #expect(ToleranceRule.jax(rtol: nil).tolerance(for: s) == expected64)
    #expect(ToleranceRule.torch(atol: nil, rtol: nil).tolerance(for: s) == expected64)
    let s32 = try Self.spectrum([8, 1, 0.5], rows: 10, cols: 20, .float32)
    #expect(ToleranceRule.numpy.tolerance(for: s32) == 8 * 20 * 0x1p-23)
    #expect(FloatPrecision.float16.epsilon == 0x1p-10 && FloatPrecision.bfloat16.epsilon == 0x1p-7)
  }

  @Test func pytorchAtolAndRtolSemantics() throws {
    let s = try Self.spectrum([100, 1e-3, 1e-9], rows: 3, cols: 3)
    let defaultRtol = 3 * 0x1p-52
    // Only atol > 0: rtol becomes 0, so tol = atol.
    #expect(ToleranceRule.torch(atol: 1e-12, rtol: nil).tolerance(for: s) == 1e-12)
    // atol = 0 given explicitly: rtol keeps its default.
    #expect(ToleranceRule.torch(atol: 0, rtol: nil).tolerance(for: s) == 100 * defaultRtol)
    // Only rtol: atol = 0.
    #expect(ToleranceRule.torch(atol: nil, rtol: 1e-4).tolerance(for: s) == 100 * 1e-4)
    // Both: the larger.
    #expect(ToleranceRule.torch(atol: 1e-1, rtol: 1e-4).tolerance(for: s) == 1e-1)
    #expect(ToleranceRule.torch(atol: 1e-5, rtol: 1e-4).tolerance(for: s) == 100 * 1e-4)
    // Ranks count values strictly above the tolerance.
    #expect(ToleranceRule.torch(atol: 1e-3, rtol: 0).rank(of: s) == 1)
    #expect(ToleranceRule.absolute(1e-3.nextDown).rank(of: s) == 2)
  }

  @Test func jaxExplicitRtolIsAnAbsoluteThreshold() throws {
    let s = try Self.spectrum([100, 1e-3, 1e-9], rows: 3, cols: 3)
    #expect(ToleranceRule.jax(rtol: 1e-4).tolerance(for: s) == 1e-4)
    #expect(ToleranceRule.jax(rtol: 1e-4).rank(of: s) == 2)
    // A relative rtol of the same value would give rank 1.
    #expect(ToleranceRule.relative(1e-4).rank(of: s) == 1)
  }

  @Test func parsingRoundTrips() throws {
    let rules: [ToleranceRule] = [.numpy, .torch(atol: nil, rtol: nil), .jax(rtol: nil), .relative(1e-10), .absolute(1e-8),
                                  .torch(atol: 1e-8, rtol: nil), .torch(atol: nil, rtol: 0), .torch(atol: 1e-8, rtol: 1e-6),
                                  .jax(rtol: 1e-5)]
    for rule in rules { #expect(try ToleranceRule(parsing: rule.description) == rule, "\(rule)") }
    #expect(try ToleranceRule(parsing: "numpy:tol=1e-7") == .absolute(1e-7))
    #expect(try ToleranceRule(parsing: "numpy:rtol=1e-7") == .relative(1e-7))
    #expect(try ToleranceRule(parsing: "PyTorch") == .torch(atol: nil, rtol: nil))
    for bad in ["", "matlab", "rtol=", "rtol=-1", "rtol=nan", "atol=inf", "rtol=1,atol=2", "torch:tol=1",
                "jax:atol=1", "torch:atol=1,atol=2", "numpy:", "rtol=1e-3x"] {
      #expect(throws: ToleranceRuleError(text: bad), "\(bad)") { try ToleranceRule(parsing: bad) }
    }
  }
}
