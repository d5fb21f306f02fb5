import ConvNet
import Exact
import HessianReference
import Testing
@testable import Hessian

/// The Toeplitz builder and the independent reference (direct loops + hyper-dual numbers) give
/// identical exact matrices on random small networks covering every layer option.
@Suite struct ReferenceAgreementTests {
  @Test(arguments: 0..<6)
  func toeplitzEqualsReference(batch: Int) throws {
    var rng = SeededRandom(seed: 9000 + UInt64(batch))
    var compared = 0, attempts = 0
    while compared < 8 && attempts < 200 {
      attempts += 1
      let arch = RandomArchitectures.make(&rng, maxParameters: 60)
      let settings = InstanceSettings(samples: rng.nextInt(in: 1...4), seed: rng.next() % 1000, range: 3,
                                      maxDenominator: rng.nextInt(in: 1...2))
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard try matchesReference(arch, instance) else { continue }  // a kink, or a unit the reference refuses
      compared += 1
    }
    #expect(compared == 8)
  }

  /// Over a prime field the Toeplitz builder gives the images of the exact matrices.
  @Test func primeFieldImagesAgree() throws {
    var rng = SeededRandom(seed: 77)
    let field = MontgomeryField(prime: 33_554_393)
    var compared = 0
    while compared < 10 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 60)
      let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 3, seed: rng.next() % 1000, range: 3))
      guard let (pattern, _) = try? instance.activationPattern() else { continue }
      let q = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let m = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
      for kind in HessianKind.allCases {
        let exact = try q.scaled(kind).map { try field.element($0) }
        #expect(m.scaled(kind) == exact, "\(kind) \(arch)")
      }
      let jac = m.jacobian()
      #expect(m.outerScaledFast(jacobian: jac) == m.outerScaled(jacobian: jac))
      compared += 1
    }
  }
}
