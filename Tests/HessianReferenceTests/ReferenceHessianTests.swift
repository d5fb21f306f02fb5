import ConvNet
import Exact
import HessianReference
import Testing

@Suite struct ReferenceHessianTests {
  @Test func twoScalarLayersByHand() throws {
    // f(x) = w2·w1·x, one sample x = 2, y = 1, at w1 = 3, w2 = −1: f = −6, δ = −7.
    // ℓ = ½(w1 w2 x − y)²: ∂²ℓ/∂w1² = (w2 x)² = 4, ∂²ℓ/∂w2² = (w1 x)² = 36,
    // ∂²ℓ/∂w1∂w2 = (w2 x)(w1 x) + δ·x = −12 − 14 = −26.
    let net = Nets.vector(1, [.dense(DenseLayer(outputs: 1)), .dense(DenseLayer(outputs: 1))])
    let h = try ReferenceHessians(architecture: net, theta: [q(3), q(-1)], inputs: [[q(2)]], targets: [[q(1)]])
    #expect(h.outputs == [[q(-6)]])
    #expect(h.residuals == [[q(-7)]])
    #expect(h.jacobian == [[q(-2), q(6)]])
    #expect(h.outer == [[q(4), q(-12)], [q(-12), q(36)]])
    #expect(h.functional == [[q(0), q(-14)], [q(-14), q(0)]])
    #expect(h.loss == [[q(4), q(-26)], [q(-26), q(36)]])
  }

  @Test func averagingOverSamples() throws {
    // Same net, two samples: (x, y) = (2, 1) and (1, 0). The second has f = −3, δ = −3,
    // H_L = [[1, −3 − 3], [−6, 9]]; the loss Hessian is the mean of the two.
    let net = Nets.vector(1, [.dense(DenseLayer(outputs: 1)), .dense(DenseLayer(outputs: 1))])
    let h = try ReferenceHessians(architecture: net, theta: [q(3), q(-1)], inputs: [[q(2)], [q(1)]], targets: [[q(1)], [q(0)]])
    #expect(h.loss == [[q(5, 2), q(-16)], [q(-16), q(45, 2)]])
    #expect(h.jacobian == [[q(-2), q(6)], [q(-1), q(3)]])
  }

  @Test(arguments: Nets.covering.indices)
  func lossHessianIsSymmetricAndSplitsIntoOuterPlusFunctional(index: Int) throws {
    let architecture = Nets.covering[index].architecture
    for seed: UInt64 in [1, 2] {
      let instance = try Instance.differentiable(architecture, samples: 3, seed: seed, maxDenominator: 2)
      let h = try instance.hessians()
      let p = instance.theta.count
      #expect(h.loss.count == p && h.loss.allSatisfy { $0.count == p })
      #expect(h.jacobian.count == 3 * architecture.outputCount)
      #expect(h.loss == transpose(h.loss))
      #expect(h.loss == add(h.outer, h.functional))
      // Not vacuous: both parts are nonzero.
      #expect(h.functional.contains { $0.contains { !$0.isZero } })
      #expect(h.outer.contains { $0.contains { !$0.isZero } })
      // The outputs and residuals are the forward pass's.
      let network = try ReferenceNetwork(architecture)
      for (i, x) in instance.inputs.enumerated() {
        #expect(h.outputs[i] == (try network.forward(theta: instance.theta, input: x)))
        #expect(h.residuals[i] == zip(h.outputs[i], instance.targets[i]).map { $0 - $1 })
      }
    }
  }

  /// Full hyper-dual evaluation from scratch along dense random directions u, v: the outputs'
  /// ε1 parts are J u, and the ε1ε2 parts of ℓ and of Σ δ·f are uᵀH_L v and uᵀH_f v.
  @Test(arguments: Nets.covering.indices)
  func entriesAgreeWithFullHyperDualEvaluation(index: Int) throws {
    let architecture = Nets.covering[index].architecture
    let instance = try Instance.differentiable(architecture, samples: 3, seed: 7, maxDenominator: 3)
    let h = try instance.hessians()
    let network = try ReferenceNetwork(architecture)
    let p = instance.theta.count, k = architecture.outputCount, n = instance.inputs.count
    var rng = SeededRandom(seed: 8)
    for _ in 0..<3 {
      let u = (0..<p).map { _ in rng.nextRational(bound: 3, maxDenominator: 4) }
      let v = (0..<p).map { _ in rng.nextRational(bound: 3, maxDenominator: 4) }
      let theta = (0..<p).map { HyperDual(instance.theta[$0], e1: u[$0], e2: v[$0]) }
      var loss = HyperDual(q(0))
      var curvature = q(0)
      for (i, x) in instance.inputs.enumerated() {
        let out = try network.forward(theta: theta, input: x.map { HyperDual($0) })
        for c in 0..<k {
          #expect(out[c].value == h.outputs[i][c])
          #expect(out[c].e1 == (0..<p).reduce(q(0)) { $0 + h.jacobian[i * k + c][$1] * u[$1] })
          #expect(out[c].e2 == (0..<p).reduce(q(0)) { $0 + h.jacobian[i * k + c][$1] * v[$1] })
          let r = out[c] - HyperDual(instance.targets[i][c])
          loss += r * r
          curvature += h.residuals[i][c] * out[c].e12
        }
      }
      func bilinear(_ m: [[Rational]]) -> Rational {
        (0..<p).reduce(q(0)) { s, a in (0..<p).reduce(s) { $0 + u[a] * m[a][$1] * v[$1] } }
      }
      #expect(loss.e12 / q(2 * n) == bilinear(h.loss))
      #expect(curvature / q(n) == bilinear(h.functional))
    }
  }

  /// Each parameter enters the network linearly, so away from ReLU kinks f is affine along
  /// every coordinate: one exact difference quotient gives each Jacobian column.
  @Test(arguments: Nets.covering.indices)
  func jacobianColumnsAreExactDifferenceQuotients(index: Int) throws {
    let instance = try Instance.differentiable(Nets.covering[index].architecture, samples: 2, seed: 5)
    let h = try instance.hessians()
    let network = try ReferenceNetwork(instance.architecture)
    let step = Rational(1, 1 << 30)  // small enough that no ReLU mask changes (data are integers)
    let k = instance.architecture.outputCount
    for a in instance.theta.indices {
      var moved = instance.theta
      moved[a] += step
      for (i, x) in instance.inputs.enumerated() {
        let f0 = try network.forward(theta: instance.theta, input: x)
        let f1 = try network.forward(theta: moved, input: x)
        for c in 0..<k {
          #expect((f1[c] - f0[c]) / step == h.jacobian[i * k + c][a])
        }
      }
    }
  }

  /// Second, independent route to H_L: ℓ(θ + t e_a + s e_b) is a polynomial in (t, s) of degree
  /// at most 2·(number of parametric layers) in each variable while ReLU masks stay fixed, so
  /// exact interpolation on a grid gives every ∂²ℓ/∂θ_a∂θ_b. Linear nets use step 1; nets with
  /// ReLUs use a tiny step and check that no mask changes on the grid.
  @Test(arguments: Nets.covering.indices)
  func hyperDualAgreesWithPolynomialInterpolation(index: Int) throws {
    let architecture = Nets.covering[index].architecture
    let instance = try Instance.differentiable(architecture, samples: 2, seed: 3)
    let h = try instance.hessians()
    let network = try ReferenceNetwork(architecture)
    let parametric = architecture.layers.filter {
      switch $0 {
      case .conv, .dense: return true
      case .activation, .avgPool, .maxPool: return false
      }
    }.count
    let hasKinks = architecture.layers.contains { if case .activation(let a) = $0 { return a != .identity } else { return false } }
    let step = hasKinks ? Rational(1, 1 << 24) : Rational(1)
    let differentiator = PolynomialDifferentiator(degree: 2 * parametric, step: step)
    func masks(_ trace: ReferenceTrace) -> [[Int]] { trace.preActivations.map { $0.values.map(\.signum) } }
    let baseMasks = try instance.inputs.map { masks(try network.trace(theta: instance.theta, input: $0)) }

    /// ℓ(θ), checking that every ReLU mask is the one at the base point.
    func loss(_ theta: [Rational]) throws -> Rational {
      var total = Rational()
      for (i, x) in instance.inputs.enumerated() {
        let trace = try network.trace(theta: theta, input: x)
        try #require(masks(trace) == baseMasks[i], "a ReLU mask changed on the interpolation grid")
        for (f, y) in zip(trace.output, instance.targets[i]) { total += (f - y) * (f - y) }
      }
      return total / Rational(2 * instance.inputs.count)
    }

    // Every diagonal entry and up to 150 off-diagonal ones (all of them for small p).
    let p = instance.theta.count
    var pairs = (0..<p).map { ($0, $0) }
    var offDiagonal = (0..<p).flatMap { a in ((a + 1)..<p).map { (a, $0) } }
    var rng = SeededRandom(seed: 99)
    while offDiagonal.count > 150 { offDiagonal.swapAt(rng.nextInt(in: 0...(offDiagonal.count - 1)), offDiagonal.count - 1); offDiagonal.removeLast() }
    pairs += offDiagonal
    for (a, b) in pairs {
      let expected: Rational
      if a == b {
        expected = try differentiator.pure { t in
          var theta = instance.theta
          theta[a] += t
          return try loss(theta)
        }
      } else {
        expected = try differentiator.mixed { t, s in
          var theta = instance.theta
          theta[a] += t
          theta[b] += s
          return try loss(theta)
        }
      }
      #expect(h.loss[a][b] == expected, "∂²ℓ/∂θ\(a)∂θ\(b)")
    }
    // The network's own loss agrees with the one summed here.
    #expect(try network.loss(theta: instance.theta, inputs: instance.inputs, targets: instance.targets) == (try loss(instance.theta)))
  }

  @Test func badInputIsAnError() throws {
    let net = Nets.vector(3, [.activation(.relu), .dense(DenseLayer(outputs: 2))])
    let theta = Array(repeating: q(1), count: 6)
    let x = [q(1), q(2), q(3)]
    let y = [q(0), q(0)]
    func build(_ theta: [Rational], _ inputs: [[Rational]], _ targets: [[Rational]]) throws {
      _ = try ReferenceHessians(architecture: net, theta: theta, inputs: inputs, targets: targets)
    }
    #expect(throws: ReferenceError.noSamples) { try build(theta, [], []) }
    #expect(throws: ReferenceError.sampleCountMismatch(inputs: 2, targets: 1)) { try build(theta, [x, x], [y]) }
    #expect(throws: ReferenceError.targetLength(sample: 1, expected: 2, got: 3)) { try build(theta, [x, x], [y, y + [q(1)]]) }
    #expect(throws: ReferenceError.inputLength(sample: 0, expected: 3, got: 1)) { try build(theta, [[q(1)]], [y]) }
    #expect(throws: ReferenceError.parameterCount(expected: 6, got: 7)) { try build(theta + [q(1)], [x], [y]) }
    // The second sample hits the ReLU kink at position 1.
    #expect(throws: ReferenceError.nonDifferentiable(layer: 0, sample: 1, position: 1)) {
      try build(theta, [x, [q(-1), q(0), q(4)]], [y, y])
    }
    let wide = Nets.vector(40, [.dense(DenseLayer(outputs: 30))])  // p = 1200
    #expect(throws: ReferenceError.tooLarge(parameters: 1200, limit: ReferenceNetwork.parameterLimit)) {
      _ = try ReferenceHessians(architecture: wide, theta: Array(repeating: q(1), count: 1200),
                                inputs: [Array(repeating: q(1), count: 40)], targets: [Array(repeating: q(0), count: 30)])
    }
    #expect(ReferenceError.nonDifferentiable(layer: 0, sample: 1, position: 1).description.contains("position 1 of layer 0"))
  }
}
