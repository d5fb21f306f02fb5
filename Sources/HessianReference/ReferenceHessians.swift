import ConvNet
import Exact

/// The exact Jacobian and loss Hessians of a network at one point, computed by the reference
/// route: direct loops evaluated in hyper-dual arithmetic, one pass per parameter pair.
///
/// For the MSE loss ℓ(θ) = 1/(2n) Σ_i ‖f(x_i; θ) − y_i‖² and every pair a ≤ b, each sample's
/// network is evaluated at θ + ε1·e_a + ε2·e_b. Its outputs then carry f (value part),
/// ∂f/∂θ_a (ε1), ∂f/∂θ_b (ε2) and ∂²f/∂θ_a∂θ_b (ε1ε2). No real part depends on the seeds, so
/// the passes take every real part from the plain forward pass and compute only ε parts, and
/// they start at the layer owning θ_a (earlier layers carry no ε part). `ReferenceNetwork`'s
/// full hyper-dual `forward` recomputes everything and is what the tests compare against.
///
/// * `jacobian` J (nK × p, row i·K + c, column a) is read from the ε1 parts of the passes (a, a);
/// * `outer` H_o = (1/n) JᵀJ;
/// * `functional` H_f = (1/n) Σ_i Σ_c δ_ic ∂²f_c(x_i)/∂θ_a∂θ_b, δ = f(x_i) − y_i;
/// * `loss` H_L is computed independently of the two: the ε1ε2 part of ℓ itself, evaluated in
///   hyper-dual arithmetic. H_L = H_o + H_f is a theorem the tests check.
///
/// Test-support code for small networks (p up to a few hundred, n up to ~10); its cost is
/// p(p+1)/2 · n hyper-dual forward passes.
public struct ReferenceHessians: Sendable {
  /// The Jacobian J of the stacked outputs: nK × p, row i·K + c.
  public let jacobian: [[Rational]]
  /// H_o = (1/n) JᵀJ, p × p.
  public let outer: [[Rational]]
  /// H_f = (1/n) Σ_i Σ_c δ_ic ∇²f_c(x_i), p × p.
  public let functional: [[Rational]]
  /// H_L = ∇²ℓ, p × p, computed from the loss directly.
  public let loss: [[Rational]]
  /// The network outputs f(x_i), n × K.
  public let outputs: [[Rational]]
  /// The residuals δ_i = f(x_i) − y_i, n × K.
  public let residuals: [[Rational]]

  /// Builds J, H_o, H_f and H_L for `architecture` at `theta` (PyTorch `state_dict` layout) on
  /// `inputs` (n rows, flattened channel-major) with `targets` (n rows of K).
  /// - Throws: `ReferenceError` for an invalid architecture, wrong lengths, n = 0, p over
  ///   `ReferenceNetwork.parameterLimit`, or a ReLU kink (a pre-activation exactly 0).
  public init(architecture: Architecture, theta: [Rational], inputs: [[Rational]], targets: [[Rational]]) throws {
    let network = try ReferenceNetwork(architecture)
    let p = network.parameterCount
    guard p <= ReferenceNetwork.parameterLimit else {
      throw ReferenceError.tooLarge(parameters: p, limit: ReferenceNetwork.parameterLimit)
    }
    try network.checkTheta(theta)
    try network.checkSamples(inputs: inputs, targets: targets)
    let n = inputs.count
    let k = network.outputCount

    var jacobian = [Rational](repeating: sharedZero, count: n * k * p)
    var functionalSum = [Rational](repeating: sharedZero, count: p * p)
    var lossSum = [Rational](repeating: sharedZero, count: p * p)
    var outputs: [[Rational]] = []
    var residuals: [[Rational]] = []
    var seeded = theta.map { TangentHyperDual(HyperDual($0)) }
    let one = Rational(1)

    for (i, (x, y)) in zip(inputs, targets).enumerated() {
      let trace = try network.trace(theta: theta, input: x)
      try trace.checkDifferentiable(sample: i)
      let f = trace.output
      let delta = zip(f, y).map { $0 - $1 }
      outputs.append(f)
      residuals.append(delta)
      let targetsHD = y.map { HyperDual($0) }
      // Inputs of each parametric layer as hyper-dual constants, made once per sample.
      var liftedInputs: [Int: [TangentHyperDual]] = [:]

      for a in 0..<p {
        let start = network.ownerLayer[a]
        let layerInput: [TangentHyperDual]
        if let cached = liftedInputs[start] {
          layerInput = cached
        } else {
          layerInput = (start == 0 ? x : trace.layerOutputs[start - 1]).map { TangentHyperDual(constant: $0) }
          liftedInputs[start] = layerInput
        }
        for b in a..<p {
          if a == b {
            seeded[a] = TangentHyperDual(HyperDual(theta[a], e1: one, e2: one))
          } else {
            seeded[a] = TangentHyperDual(HyperDual(theta[a], e1: one))
            seeded[b] = TangentHyperDual(HyperDual(theta[b], e2: one))
          }
          let out = try network.run(theta: seeded, input: layerInput, from: start, sample: i,
                                    primal: trace.layerOutputs).map(\.number)
          seeded[a] = TangentHyperDual(HyperDual(theta[a]))
          seeded[b] = TangentHyperDual(HyperDual(theta[b]))

          if a == b {
            for c in 0..<k { jacobian[(i * k + c) * p + a] = out[c].e1 }
          }
          // H_f: residual-weighted second derivatives of the outputs.
          var curvature = Rational()
          // H_L: the loss itself in hyper-dual arithmetic, ‖f − y‖² for this sample.
          var squaredError = HyperDual(Rational())
          for c in 0..<k {
            curvature.addProduct(delta[c], out[c].e12)
            let r = out[c] - targetsHD[c]
            squaredError += r * r
          }
          functionalSum[a * p + b].add(curvature)
          lossSum[a * p + b].add(squaredError.e12)
        }
      }
    }

    let inverseN = Rational(1, n)
    let inverseTwoN = Rational(1, 2 * n)
    var functional = [[Rational]](repeating: [Rational](repeating: sharedZero, count: p), count: p)
    var loss = functional
    for a in 0..<p {
      for b in a..<p {
        let hf = functionalSum[a * p + b] * inverseN
        let hl = lossSum[a * p + b] * inverseTwoN
        functional[a][b] = hf
        functional[b][a] = hf
        loss[a][b] = hl
        loss[b][a] = hl
      }
    }
    var outer = functional
    for a in 0..<p {
      for b in a..<p {
        var s = Rational()
        for row in 0..<(n * k) { s.addProduct(jacobian[row * p + a], jacobian[row * p + b]) }
        s *= inverseN
        outer[a][b] = s
        outer[b][a] = s
      }
    }
    self.jacobian = (0..<(n * k)).map { Array(jacobian[($0 * p)..<($0 * p + p)]) }
    self.outer = outer
    self.functional = functional
    self.loss = loss
    self.outputs = outputs
    self.residuals = residuals
  }
}
