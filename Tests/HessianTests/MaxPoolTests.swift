import ConvNet
import Exact
import HessianReference
import Testing
@testable import Hessian

/// Max pooling: the Toeplitz path (a per-sample 0/1 selection) against the independent
/// reference (direct loops, maximum taken in hyper-dual arithmetic), and the tie rules.
@Suite struct MaxPoolTests {
  /// Random small networks with max pooling: identical exact J, H_o, H_f, H_L. Points where the
  /// fast path accepts a tie (candidates with the same structural form) must be accepted by the
  /// reference too (equal ε parts) and give the same matrices.
  @Test(arguments: 0..<3)
  func toeplitzEqualsReference(batch: Int) throws {
    var rng = SeededRandom(seed: 13_000 + UInt64(batch))
    var compared = 0, withPooling = 0, attempts = 0
    while compared < 6 && attempts < 300 {
      attempts += 1
      let arch = RandomArchitectures.make(&rng, maxParameters: 50, maxPooling: true)
      let settings = InstanceSettings(samples: rng.nextInt(in: 1...3), seed: rng.next() % 1000, range: 4,
                                      maxDenominator: rng.nextInt(in: 1...2))
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard try matchesReference(arch, instance) else { continue }  // a kink, or a unit the reference refuses
      if arch.layers.contains(where: { if case .maxPool = $0 { return true } else { return false } }) { withPooling += 1 }
      compared += 1
    }
    #expect(compared == 6)
    #expect(withPooling >= 2)
  }

  /// Over a prime field the selection carries over: the images of the exact matrices.
  @Test func primeFieldImagesAgree() throws {
    let arch = try Architecture(parsing: "1x6x6 conv(2,k=3,bias) relu maxpool(k=2) dense(3,bias)")
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 4, seed: 5, range: 50))
    let (pattern, _) = try instance.activationPattern()
    let field = MontgomeryField(prime: 33_554_393)
    let q = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    let m = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
    for kind in HessianKind.allCases {
      #expect(m.scaled(kind) == (try q.scaled(kind).map { try field.element($0) }), "\(kind)")
    }
  }

  /// Blank background: a conv with bias over all-zero patches gives the bias at several
  /// positions of one window — a tie of the same function of θ, so no kink; the reference
  /// (equal derivatives) agrees and the matrices match.
  @Test func tieOfTheSameFunctionIsNoKink() throws {
    let arch = try Architecture(parsing: "1x6 conv(1,k=2,bias) maxpool(k=3) dense(2)")
    // p = 2 + 1 + 2: conv weights 1, −1, bias 2, then the dense weights.
    let theta: [Rational] = [1, -1, 2, 1, 2]
    // Conv outputs 2, 2, 2 (zero patches: the bias alone, three times), −3, 6.
    let x: [[Rational]] = [[0, 0, 0, 0, 5, 1], [0, 0, 0, 0, 0, 0]]
    let settings = InstanceSettings(samples: 2, weights: theta, inputs: x, targetValues: [[1, 0], [0, 1]])
    let instance = try NetworkInstance(architecture: arch, settings: settings)
    let (pattern, outputs) = try instance.activationPattern()
    let ref = try ReferenceHessians(architecture: arch, theta: theta, inputs: x, targets: instance.targets)
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    #expect(outputs == ref.outputs)
    #expect(builder.exactHessian(.loss).nestedRows == ref.loss)
    #expect(builder.jacobian().nestedRows == ref.jacobian)
  }

  /// A real tie (two window entries equal at the point but different functions of θ) is a
  /// kink: a clear error naming the layer, sample and output, in both constructions.
  @Test func realTieIsAKink() throws {
    let arch = try Architecture(parsing: "1x4 conv(1,k=2) maxpool(k=2) dense(1)")
    let theta: [Rational] = [1, 1, 1]
    // Conv outputs 1+2 = 3 and 2+1 = 3: tied, but w0·1 + w1·2 ≠ w0·2 + w1·1 as functions.
    let x: [[Rational]] = [[1, 2, 1, 7]]
    let settings = InstanceSettings(samples: 1, weights: theta, inputs: x, targetValues: [[0]])
    let instance = try NetworkInstance(architecture: arch, settings: settings)
    let error = try #require(throws: InstanceError.self) { _ = try instance.activationPattern() }
    #expect(error == .maxPoolTie(layer: 1, sample: 0, position: 0, inputs: [0, 1], seed: settings.seed))
    #expect(error.description.contains("max pooling layer 1 (sample 0, output position 0)"))
    #expect(throws: ReferenceError.self) {
      _ = try ReferenceHessians(architecture: arch, theta: theta, inputs: x, targets: [[0]])
    }
    // Without the tie the same network is differentiable.
    let moved = InstanceSettings(samples: 1, weights: theta, inputs: [[1, 3, 2, 7]], targetValues: [[0]])
    #expect(throws: Never.self) { _ = try NetworkInstance(architecture: arch, settings: moved).activationPattern() }
  }

  /// Max pooling with window 1 is the identity: the same ranks as the net without it.
  @Test func windowOneIsTheIdentity() throws {
    let with = try Architecture(parsing: "1x10 conv(2,k=3) relu maxpool(k=1) dense(2)")
    let without = try Architecture(parsing: "1x10 conv(2,k=3) relu dense(2)")
    let settings = InstanceSettings(samples: 5, seed: 3, range: 20)
    let a = try HessianRanks.compute(try NetworkInstance(architecture: with, settings: settings))
    let b = try HessianRanks.compute(try NetworkInstance(architecture: without, settings: settings))
    #expect(a.results.map(\.rank) == b.results.map(\.rank))
  }
}
