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
      guard let (pattern, outputs) = try? instance.activationPattern() else { continue }  // a kink: skip
      let ref: ReferenceHessians
      do {
        ref = try ReferenceHessians(architecture: arch, theta: instance.theta, inputs: instance.inputs, targets: instance.targets)
      } catch ReferenceError.nonDifferentiable {
        // A pre-activation 0 for every θ near the point: no kink for the builder (its branch
        // cannot matter, see KinkTests), but the reference refuses every exact 0.
        continue
      }
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      #expect(outputs == ref.outputs, "\(arch)")
      #expect(builder.jacobian().nestedRows == ref.jacobian, "\(arch)")
      #expect(builder.exactHessian(.outer).nestedRows == ref.outer, "\(arch)")
      #expect(builder.exactHessian(.functional).nestedRows == ref.functional, "\(arch)")
      let hl = builder.exactHessian(.loss)
      #expect(hl.nestedRows == ref.loss, "\(arch)")
      #expect(hl == hl.transposed(), "H_L symmetric: \(arch)")
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
