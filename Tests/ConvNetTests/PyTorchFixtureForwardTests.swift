import Exact
import Testing
@testable import ConvNet

/// The Toeplitz forward pass reproduces, exactly, the outputs of the PyTorch-semantics fixture
/// (`examples/pytorch-fixture/make_fixture.py`: conv with stride/padding/dilation/bias, 2-D
/// kernels, average pooling, relu and leaky relu, dense layers).
@Suite struct PyTorchFixtureForwardTests {
  @Test func toeplitzForwardPassReproducesFixture() throws {
    let cases = try PyTorchFixtureLayoutTests.loadCases()
    #expect(cases.count >= 3)
    for c in cases {
      let arch = try Architecture(parsing: c.architecture)
      let settings = InstanceSettings(samples: c.inputs.count, weights: c.weights, inputs: c.inputs, targetValues: nil)
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      let (pattern, outputs) = try instance.activationPattern(allowKinks: true)
      #expect(outputs == c.outputs, "\(c.name)")
      // The ring forward pass with the pattern fixed gives the same outputs, over Q and mod p.
      let q = try RingNetwork(instance: instance, pattern: pattern, ring: RationalRing())
      let f = PrimeField(unchecked: 1_000_000_007)
      let modp = try RingNetwork(instance: instance, pattern: pattern, ring: f)
      for i in c.inputs.indices {
        #expect(q.forward(sample: i).output == c.outputs[i], "\(c.name) sample \(i)")
        #expect(modp.forward(sample: i).output == (try c.outputs[i].map { try f.element($0) }))
      }
    }
  }

  /// A pre-activation exactly 0 before a ReLU is a non-differentiable point, named clearly.
  @Test func kinkIsReported() throws {
    let arch = try Architecture(parsing: "2 dense(1) relu dense(1)")
    let settings = InstanceSettings(samples: 1, seed: 7, weights: [1, -1, 3], inputs: [[2, 2]])
    let instance = try NetworkInstance(architecture: arch, settings: settings)
    #expect(throws: InstanceError.nonDifferentiable(layer: 1, sample: 0, position: 0, seed: 7)) {
      try instance.activationPattern()
    }
    #expect(try instance.activationPattern(allowKinks: true).outputs == [[0]])
    let moved = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 1, weights: [1, -1, 3], inputs: [[3, 2]]))
    #expect(try moved.activationPattern().outputs == [[3]])
  }
}
