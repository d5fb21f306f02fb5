import Exact

/// Which branch of each piecewise-linear activation every sample takes, fixed at the point.
///
/// `positive[i][s][q]` is true when the pre-activation of activation stage `s` (counted among
/// the activation stages only) at position q is > 0 for sample i. With the branches fixed the
/// network is a product of linear maps, so its derivatives follow from the Toeplitz structures.
///
/// `selected[i][s][a]` is the input position that output a of max-pooling stage `s` (counted
/// among the selection stages only) copies for sample i: the largest entry of its window.
public struct ActivationPattern: Sendable, Equatable {
  /// positive[sample][activation stage][position].
  public let positive: [[[Bool]]]
  /// selected[sample][selection stage][output position] = chosen input position.
  public let selected: [[[Int]]]

  /// A pattern from activation branches and max-pooling selections (empty when none).
  public init(positive: [[[Bool]]], selected: [[[Int]]] = []) {
    self.positive = positive
    self.selected = selected.isEmpty ? positive.map { _ in [] } : selected
  }
}

/// The values a forward pass records for one sample.
public struct ForwardTrace<Element: Sendable>: Sendable {
  /// The input of every stage (index = stage index); the last entry is the network output.
  public let stageInputs: [[Element]]

  /// A trace from the recorded stage inputs.
  @inlinable public init(stageInputs: [[Element]]) { self.stageInputs = stageInputs }
  /// The network output f(x).
  public var output: [Element] { stageInputs[stageInputs.count - 1] }
}

/// A network instance mapped into one scalar ring, ready for forward and backward passes.
///
/// The activation pattern comes from the exact rational forward pass; in a prime field the
/// branches cannot be read off the residues, so they are carried over from Q.
public struct RingNetwork<R: ScalarRing>: Sendable {
  /// The ring.
  public let ring: R
  /// The compiled architecture.
  public let plan: NetworkPlan
  /// θ in the ring.
  public let theta: [R.Element]
  /// Inputs in the ring.
  public let inputs: [[R.Element]]
  /// Targets in the ring.
  public let targets: [[R.Element]]
  /// The activation branches per sample.
  public let pattern: ActivationPattern
  /// Fixed-map coefficients in the ring, per stage (empty for other stages).
  @usableFromInline let fixedCoefficients: [[R.Element]]
  /// Per activation stage: the images of 1 and of the negative-side slope.
  @usableFromInline let slopes: [(positive: R.Element, negative: R.Element)]

  /// Maps an instance into `ring` with a known activation pattern.
  public init(instance: NetworkInstance, pattern: ActivationPattern, ring: R) throws {
    self.ring = ring
    plan = instance.plan
    theta = try instance.theta.map { try ring.element($0) }
    inputs = try instance.inputs.map { try $0.map { try ring.element($0) } }
    targets = try instance.targets.map { try $0.map { try ring.element($0) } }
    self.pattern = pattern
    fixedCoefficients = try plan.stages.map { stage in
      if case .fixed(let m, _) = stage { return try m.coefficients(in: ring) }
      return []
    }
    slopes = try plan.stages.compactMap { stage -> (R.Element, R.Element)? in
      guard case .activation(let a, _, _) = stage else { return nil }
      switch a {
      case .identity: return (ring.one, ring.one)
      case .relu: return (ring.one, ring.zero)
      case .leaky(let s): return (ring.one, try ring.element(s))
      }
    }
  }

  /// The multiplier of activation stage `s` at position `q` for `sample` (1, 0 or the slope).
  @inlinable public func mask(_ s: Int, _ q: Int, sample: Int) -> R.Element {
    pattern.positive[sample][s][q] ? slopes[s].positive : slopes[s].negative
  }

  /// The coefficients of a fixed-map stage in the ring (empty for other stages).
  @inlinable public func fixedCoefficients(stage: Int) -> [R.Element] { fixedCoefficients[stage] }

  /// The forward pass of one sample, recording every stage's input.
  @inlinable
  public func forward(sample i: Int) -> ForwardTrace<R.Element> {
    var h = inputs[i]
    var record: [[R.Element]] = []
    record.reserveCapacity(plan.stages.count + 1)
    var act = 0, pool = 0
    for (si, stage) in plan.stages.enumerated() {
      record.append(h)
      switch stage {
      case .parametric(let t, let off, _):
        h = t.apply(theta: theta[off..<(off + t.parameterCount)], to: h, in: ring)
      case .fixed(let m, _):
        h = m.apply(fixedCoefficients[si], to: h, in: ring)
      case .activation:
        for q in h.indices { h[q] = ring.multiply(h[q], mask(act, q, sample: i)) }
        act += 1
      case .selection:
        let chosen = pattern.selected[i][pool]
        h = chosen.map { h[$0] }
        pool += 1
      }
    }
    record.append(h)
    return ForwardTrace(stageInputs: record)
  }

  /// Backpropagates row vectors gᵀ from the network output towards the input.
  ///
  /// Before each parametric stage is crossed, `visit` sees the stage index and the current
  /// vectors, which then live on that stage's output: for the unit vectors they are the rows of
  /// G_l (the Jacobian of f with respect to layer l's output); for a residual δ they are G_lᵀδ.
  @inlinable
  public func backward(sample i: Int, from vectors: [[R.Element]],
                       visit: (_ stage: Int, _ rows: [[R.Element]]) -> Void) {
    var g = vectors
    var act = plan.stages.reduce(0) { if case .activation = $1 { return $0 + 1 } else { return $0 } }
    var pool = plan.stages.reduce(0) { if case .selection = $1 { return $0 + 1 } else { return $0 } }
    for si in plan.stages.indices.reversed() {
      switch plan.stages[si] {
      case .parametric(let t, let off, _):
        visit(si, g)
        if si == 0 { return }
        let th = theta[off..<(off + t.parameterCount)]
        g = g.map { t.applyTransposed(theta: th, to: $0, in: ring) }
      case .fixed(let m, _):
        g = g.map { m.applyTransposed(fixedCoefficients[si], to: $0, in: ring) }
      case .activation:
        act -= 1
        let a = act
        g = g.map { v in v.indices.map { q in ring.multiply(v[q], mask(a, q, sample: i)) } }
      case .selection(let w, _):
        pool -= 1
        let chosen = pattern.selected[i][pool]
        g = g.map { v in
          var out = [R.Element](repeating: ring.zero, count: w.cols)
          for (a, q) in chosen.enumerated() { out[q] = ring.add(out[q], v[a]) }
          return out
        }
      }
    }
  }
}

extension NetworkInstance {
  /// The exact forward pass over Q: the activation branches of every sample and the outputs.
  ///
  /// - Parameter allowKinks: accept pre-activations exactly 0 (the outputs are still defined;
  ///   the branch recorded is the non-positive one). Hessian builders must not set this.
  /// - Throws: `InstanceError.nonDifferentiable` when a ReLU/leaky pre-activation is exactly 0
  ///   and `allowKinks` is false; `InstanceError.maxPoolTie` when a max-pooling window has two
  ///   largest entries that are different functions of θ near the point (see `StructuralForms`).
  public func activationPattern(allowKinks: Bool = false) throws -> (pattern: ActivationPattern, outputs: [[Rational]]) {
    var all: [[[Bool]]] = []
    var outputs: [[Rational]] = []
    var allSelected: [[[Int]]] = []
    // Samples run on Int128 numerators when they fit (`ScaledForwardPass`; same rationals);
    // an overflow, a zero pre-activation or a max-pooling tie sends the sample over Q.
    let scaled = ScaledForwardPass(plan: plan, theta: theta)
    for i in inputs.indices {
      let r = try scaled?.run(inputs[i], allowKinks: allowKinks) ?? rationalForward(sample: i, allowKinks: allowKinks)
      all.append(r.masks)
      allSelected.append(r.selections)
      outputs.append(r.output)
    }
    return (ActivationPattern(positive: all, selected: allSelected), outputs)
  }

  /// Whether some stage is piecewise linear (ReLU, leaky ReLU, max pooling): only then does the
  /// activation pattern depend on the point.
  public var hasPiecewiseStages: Bool {
    plan.stages.contains { stage in
      if case .activation(let a, _, _) = stage { return a != .identity }
      if case .selection = stage { return true }
      return false
    }
  }

  /// The activation pattern alone (for paths that need no exact outputs, e.g. the MSE loss,
  /// whose residuals are taken in the ring). With no piecewise stage nothing depends on the
  /// point and no exact forward pass runs: every identity stage's multiplier is 1 on either
  /// branch (recorded as positive). Otherwise `activationPattern(allowKinks:)`'s pattern.
  public func activationPatternOnly(allowKinks: Bool = false) throws -> ActivationPattern {
    if hasPiecewiseStages { return try activationPattern(allowKinks: allowKinks).pattern }
    let sizes = plan.stages.compactMap { stage -> Int? in
      if case .activation(_, let size, _) = stage { return size }
      return nil
    }
    return ActivationPattern(positive: inputs.map { _ in sizes.map { [Bool](repeating: true, count: $0) } })
  }

  /// One sample's exact forward pass over Q (GMP): branches, selections and output; throws for
  /// kinks and max-pooling ties as `activationPattern(allowKinks:)` documents.
  func rationalForward(sample i: Int, allowKinks: Bool) throws -> (masks: [[Bool]], selections: [[Int]], output: [Rational]) {
    let ring = RationalRing()
    let x = inputs[i]
    var h = x
    var masks: [[Bool]] = []
    var identicallyZero: [[Bool]]?
    var selections: [[Int]] = []
    for (si, stage) in plan.stages.enumerated() {
      let activationIndex = masks.count
      switch stage {
      case .parametric(let t, let off, _):
        h = t.apply(theta: theta[off..<(off + t.parameterCount)], to: h, in: ring)
      case .fixed(let m, _):
        h = m.apply(m.coefficient, to: h, in: ring)
      case .activation(let a, _, let layer):
        var pos = [Bool](repeating: false, count: h.count)
        for q in h.indices {
          let s = h[q].signum
          if s == 0 && a != .identity && !allowKinks {
            // A pre-activation that is 0 for every θ (a zero patch, no bias) is no kink:
            // every derivative through it vanishes, whichever branch is recorded.
            if identicallyZero == nil { identicallyZero = identicallyZeroPreActivations(sample: i) }
            if identicallyZero?[activationIndex][q] != true {
              throw kinkError(layer: layer, sample: i, position: q)
            }
          }
          pos[q] = s > 0
          if s < 0 {
            switch a {
            case .identity: break
            case .relu: h[q] = Rational()
            case .leaky(let slope): h[q] = h[q] * slope
            }
          }
        }
        masks.append(pos)
      case .selection(let w, let layer):
        var chosen = [Int](repeating: 0, count: w.rows)
        var forms: [Int]?  // structural forms of h, computed at the first tie of this stage
        for a in 0..<w.rows {
          let window = w.candidates(a)
          var best = window.first!
          var tied: [Int] = []
          for q in window.dropFirst() {
            if h[q] > h[best] {
              best = q
              tied = []
            } else if h[q] == h[best] {
              tied.append(q)
            }
          }
          if !tied.isEmpty && !allowKinks {
            if forms == nil {
              forms = StructuralForms(plan: plan).forms(input: x, masks: masks, selections: selections, before: si)
            }
            if let other = tied.first(where: { forms![$0] != forms![best] }) {
              throw InstanceError.maxPoolTie(layer: layer, sample: i, position: a, inputs: [best, other], seed: settings.seed)
            }
          }
          chosen[a] = best
        }
        h = chosen.map { h[$0] }
        selections.append(chosen)
      }
    }
    return (masks, selections, h)
  }

  /// The error for a real kink: with data from a file only the weights can move.
  func kinkError(layer: Int, sample: Int, position: Int) -> InstanceError {
    if let data = settings.files.data {
      return .kinkAtFileData(layer: layer, sample: sample, position: position, dataFile: data.path,
                             weightsFromFile: settings.files.weights != nil, seed: settings.seed)
    }
    return .nonDifferentiable(layer: layer, sample: sample, position: position, seed: settings.seed)
  }

  /// Per activation stage and position: is the pre-activation of `sample` identically 0 as a
  /// function of θ near this point? It is when no bias reaches it and every input it reads is
  /// identically 0 near the point: zero pixels of the data, zero padding, a ReLU output whose
  /// pre-activation is < 0 (it stays < 0 nearby), or earlier such units (ReLU and leaky ReLU
  /// map 0 to 0). Found by propagating the support alongside the exact forward pass, with
  /// every weight and bias 1 and every fixed coefficient replaced by its absolute value, so no
  /// cancellation can hide a dependence.
  public func identicallyZeroPreActivations(sample: Int) -> [[Bool]] {
    let ring = RationalRing()
    let one = Rational(1)
    var h = inputs[sample]
    var live: [Rational] = h.map { $0.isZero ? Rational() : one }
    var out: [[Bool]] = []
    for stage in plan.stages {
      switch stage {
      case .parametric(let t, let off, _):
        h = t.apply(theta: theta[off..<(off + t.parameterCount)], to: h, in: ring)
        let ones = [Rational](repeating: one, count: t.parameterCount)
        live = t.apply(theta: ones[...], to: live, in: ring).map { $0.isZero ? Rational() : one }
      case .fixed(let m, _):
        h = m.apply(m.coefficient, to: h, in: ring)
        live = m.apply(m.coefficient.map(\.magnitude), to: live, in: ring).map { $0.isZero ? Rational() : one }
      case .activation(let a, _, _):
        out.append(live.map(\.isZero))
        for q in h.indices where h[q].signum < 0 {
          switch a {
          case .identity: break
          case .relu:
            h[q] = Rational()
            live[q] = Rational()
          case .leaky(let slope): h[q] = h[q] * slope
          }
        }
      case .selection(let w, _):
        // A pooled output depends on θ near the point when any candidate of its window does
        // (conservative: a possible dependence is never hidden).
        var pooled: [Rational] = []
        var pooledLive: [Rational] = []
        for a in 0..<w.rows {
          let window = w.candidates(a)
          var best = window.first!
          for q in window.dropFirst() where h[q] > h[best] { best = q }
          pooled.append(h[best])
          pooledLive.append(window.contains { !live[$0].isZero } ? one : Rational())
        }
        h = pooled
        live = pooledLive
      }
    }
    return out
  }
}
