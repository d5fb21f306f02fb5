import ConvNet
import Exact
import ExactLinearAlgebra
import HessianReference
import Testing

@testable import Hessian

/// The exact matrices built in checked 128-bit words agree with the builder over Q, and an
/// instance whose entries pass 2^127 falls back to big integers with the same matrices.
@Suite struct Int128HessianTests {
  func rationalMatrices(_ instance: NetworkInstance, _ pattern: ActivationPattern) throws -> [HessianKind: IntegerMatrix] {
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    let jac = builder.jacobian()
    let hf = builder.functionalScaled()
    let hl = RationalRing().sum(builder.outerScaled(jacobian: jac), hf)
    return [.outer: IntegerMatrix(rationalRows: jac.nestedRows), .functional: IntegerMatrix(rationalRows: hf.nestedRows),
            .loss: IntegerMatrix(rationalRows: hl.nestedRows)]
  }

  @Test func wordsAgreeWithFractionsOnRandomNetworks() throws {
    var rng = SeededRandom(seed: 1128)
    var built = 0
    for _ in 0..<10 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 60, allowNonlinear: true)
      let settings = InstanceSettings(samples: 4, seed: rng.next() % 1000, range: 1000)
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      // Nil also when the instance is not integral (average pooling divides by the window).
      let words = (try? HessianRanks.exactMatricesInWords(
        instance, pattern: pattern, wanted: Set(HessianKind.allCases), threads: 2)) ?? nil
      let reference = try rationalMatrices(instance, pattern)
      if let words {
        built += 1
        for kind in HessianKind.allCases { #expect(words[kind] == reference[kind], "\(arch) \(kind)") }
      }
    }
    #expect(built >= 5)
  }

  /// A 6-layer linear net at range 10^9: Jacobian entries are products of five 30-bit
  /// weights and a 30-bit input (≈ 180 bits), beyond Int128. The word build reports the
  /// overflow (nil) and `exactMatrices` still returns the exact matrices (big integers).
  @Test func overflowFallsBackToBigIntegers() throws {
    let arch = fc(2, [2, 2, 2, 2, 2, 1])
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 3, seed: 5, range: 1_000_000_000))
    let pattern = try instance.activationPattern().pattern
    #expect(try HessianRanks.exactMatricesInWords(instance, pattern: pattern, wanted: [.outer], threads: 1) == nil)
    let exact = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: HessianKind.allCases)
    let reference = try rationalMatrices(instance, pattern)
    #expect(exact[.outer]!.maxEntryBits > 127)
    for kind in HessianKind.allCases { #expect(exact[kind] == reference[kind], "\(kind)") }
  }

  /// `hessrank hessian` exports exactScaledHessian / n (JᵀJ through one common denominator):
  /// the same rationals as the builder's own exactHessian (products of fractions).
  @Test func exportedHessianMatchesTheBuilder() throws {
    var rng = SeededRandom(seed: 1129)
    for _ in 0..<5 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 40, allowNonlinear: true)
      let settings = InstanceSettings(samples: 3, seed: rng.next() % 1000, maxDenominator: 3)
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let inverse = Rational(1, instance.sampleCount)
      for kind in HessianKind.allCases {
        let exported = try HessianRanks.exactScaledHessian(instance, pattern: pattern, kind: kind).map { $0 * inverse }
        #expect(exported.storage == builder.exactHessian(kind).storage, "\(arch) \(kind)")
      }
    }
  }
}
