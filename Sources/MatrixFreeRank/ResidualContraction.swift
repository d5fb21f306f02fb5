import Exact

/// n·H_f·V on a few "virtual samples" instead of the n real ones: residual contraction.
///
/// With the activation branches and max-pooling selections fixed at the point (which is how every
/// Hessian of this tool is taken), sample i's network is f̂_i(x; θ) = A_i(θ)·x + c_i(θ): conv and
/// dense layers, average pooling and fixed maps are linear in their input for fixed θ, biases add
/// a term that does not depend on x, and a fixed branch multiplies by a constant. When all samples
/// have the same branches and selections (no piecewise stage — ReLU, leaky ReLU, max pooling — or
/// identical patterns), f̂_i = f̂ for every i, with polynomial entries A_k(θ), c_k(θ).
///
/// **Identity.** Let δ_i ∈ F_P^K be the loss's residual at sample i, X_k = Σ_i δ_ik x_i and
/// ρ_k = Σ_i δ_ik (mod P). Then, as polynomials in θ over F_P, for each output k:
///
///     Σ_i δ_ik f̂_k(x_i) = A_k X_k + ρ_k c_k
///                       = f̂_k(X_k)                       if the net has no bias (c ≡ 0),
///                       = ρ_k · f̂_k(ρ_k⁻¹ X_k)            if ρ_k ≢ 0,
///                       = f̂_k(X_k) − f̂_k(0)              if ρ_k ≡ 0,
///
/// each line by substituting f̂_k(x) = A_k x + c_k (for the second, ρ_k(A_k ρ_k⁻¹X_k + c_k)).
/// Taking ∇²_θ of both sides (a linear operation on polynomials, valid over F_P):
///
///     n·H_f = Σ_i Σ_k δ_ik ∇²f̂_k(x_i) = Σ_{virtual (x̃, u)} ∇²(uᵀ f̂)(x̃),
///
/// with one virtual sample (x̃, u) per output k: (X_k, e_k), (ρ_k⁻¹X_k, ρ_k e_k), or the two
/// samples (X_k, e_k) and (0, −e_k); outputs whose term vanishes identically (X_k = 0 and
/// no bias or ρ_k ≡ 0) get none. ∇²(uᵀf̂)(x̃)·V is exactly what `BatchedProducts` computes for a
/// sample with input x̃ and residual u (forward-over-reverse with u held fixed), so the
/// contracted products are the same residues as the per-sample n·H_f·V — at most 2K
/// forward-over-reverse passes instead of n. J·V (for H_o, H_L) still needs the real samples.
///
/// The inputs x̃ are residues modulo P, not points of the instance: they only ever enter the
/// arithmetic modulo P, where the identity holds.
public struct ResidualContraction: Sendable {
  /// Why the per-sample products are used instead.
  public enum Fallback: Error, CustomStringConvertible, Equatable {
    /// The products were built without residuals (no n·H_f).
    case noResiduals
    /// Samples differ in their activation branches or max-pooling selections.
    case patternsDiffer
    /// The contraction would not take fewer passes than the samples.
    case notFewer(virtual: Int, samples: Int)

    /// One line for progress.
    public var description: String {
      switch self {
      case .noResiduals: return "no residuals (n·H_f not asked)"
      case .patternsDiffer: return "the samples' activation branches or max-pooling selections differ (the net is not one affine map of its input)"
      case .notFewer(let v, let n): return "\(v) virtual samples are not fewer than the \(n) samples"
      }
    }
  }

  /// The products of the virtual samples (their J·V is not the network's and is not used).
  let virtual: BatchedProducts

  /// The number of forward-over-reverse passes an n·H_f·V block costs (≤ 2K).
  public var virtualSampleCount: Int { virtual.sampleCount }

  /// The contraction of `products`' n·H_f, or why it does not apply.
  public static func make(_ products: BatchedProducts) -> Result<ResidualContraction, Fallback> {
    let n = products.sampleCount, k = products.outputCount
    guard products.supportsHessian, products.residuals.count == n, n > 0 else { return .failure(.noResiduals) }
    for i in 1..<max(1, n) {
      guard products.masks[i] == products.masks[0] else { return .failure(.patternsDiffer) }
      if !products.selected.isEmpty { guard products.selected[i] == products.selected[0] else { return .failure(.patternsDiffer) } }
    }
    let field = products.field, pf = PrimeField(unchecked: field.prime)
    let hasBias = products.stages.contains { if case .parametric(let g) = $0 { return g.structure.biasCount > 0 } else { return false } }
    let inputs = products.values[0][0].count
    let residueInputs = products.values.map { $0[0].map { field.residue($0) } }
    var virtualInputs: [[UInt64]] = [], cotangents: [[UInt64]] = []
    func unit(_ c: Int, _ value: UInt64) -> [UInt64] {
      var u = [UInt64](repeating: 0, count: k)
      u[c] = value
      return u
    }
    for c in 0..<k {
      var x = [UInt64](repeating: 0, count: inputs)
      var rho: UInt64 = 0
      for i in 0..<n {
        let d = products.residuals[i][c]
        rho = pf.add(rho, d)
        guard d != 0 else { continue }
        let xi = residueInputs[i]
        for q in 0..<inputs where xi[q] != 0 { x[q] = pf.add(x[q], pf.multiply(d, xi[q])) }
      }
      let zero = x.allSatisfy { $0 == 0 }
      if !hasBias {
        if !zero { virtualInputs.append(x); cotangents.append(unit(c, 1)) }
      } else if let inv = pf.inverse(rho) {
        virtualInputs.append(x.map { pf.multiply($0, inv) })
        cotangents.append(unit(c, rho))
      } else if !zero {
        virtualInputs.append(x)
        cotangents.append(unit(c, 1))
        virtualInputs.append([UInt64](repeating: 0, count: inputs))
        cotangents.append(unit(c, pf.negate(1)))
      }
    }
    guard virtualInputs.count < n else { return .failure(.notFewer(virtual: virtualInputs.count, samples: n)) }
    let masks = products.masks[0], selected = products.selected.isEmpty ? [] : products.selected[0]
    var values: [[[Double]]] = [], gradients: [[[Double]]] = []
    for (x, u) in zip(virtualInputs, cotangents) {
      values.append(BatchedProducts.pointValues(input: x.map { field.centred($0) }, stages: products.stages,
                                                sizes: products.sizes, theta: products.theta, masks: masks,
                                                selected: selected, field: field))
      gradients.append(products.stageCotangents(u.map { field.centred($0) }, masks: masks, selected: selected))
    }
    let count = virtualInputs.count
    return .success(ResidualContraction(virtual: BatchedProducts(
      contracting: products, values: values, gradients: gradients, residuals: cotangents,
      masks: [[[Double]]](repeating: masks, count: count),
      selected: selected.isEmpty ? [] : [[[Int]]](repeating: selected, count: count))))
  }

  /// n·H_f·V (p × b, centred) for V (p × b row-major, centred): the same residues as
  /// `BatchedProducts.apply(v, width: b, hessian: true, threads:).hv` of the real samples.
  public func hessianTimes(_ v: [Double], width b: Int, threads: Int) -> [Double] {
    virtual.apply(v, width: b, hessian: true, threads: threads).hv
  }
}

extension BatchedProducts {
  /// Products whose samples are the given points (virtual samples of `ResidualContraction`):
  /// the network, prime and loss of `base`, with their stage values, residual gradients,
  /// residuals, masks and selections.
  init(contracting base: BatchedProducts, values: [[[Double]]], gradients: [[[Double]]], residuals: [[UInt64]],
       masks: [[[Double]]], selected: [[[Int]]]) {
    field = base.field
    parameterCount = base.parameterCount
    outputCount = base.outputCount
    sampleCount = values.count
    workspaceRows = base.workspaceRows
    stages = base.stages
    sizes = base.sizes
    theta = base.theta
    self.values = values
    self.gradients = gradients
    self.masks = masks
    self.selected = selected
    self.residuals = residuals
    firstParametric = base.firstParametric
    loss = base.loss
    supportsHessian = true
    blasForward = base.blasForward
    blasBackward = base.blasBackward
  }

  /// G_sᵀu on the output of every parametric stage (empty for other stages), for a residual u
  /// (K values, centred) at the output: the backward pass of one cotangent with the given
  /// branches and selections, down to the first parametric stage; each sum reduced at least
  /// every delay − 1 products. The same residues as `RingNetwork.backward` from u.
  func stageCotangents(_ u: [Double], masks: [[Double]], selected: [[Int]]) -> [[Double]] {
    let f = field, delay = field.delay
    var out = [[Double]](repeating: [], count: stages.count)
    var y = u
    for s in stages.indices.reversed() {
      switch stages[s] {
      case .parametric(let g):
        out[s] = y
        if s == firstParametric { return out }
        let t = g.structure, off = g.offset
        var next = [Double](repeating: 0, count: t.cols)
        for c in 0..<t.cols {
          var acc = 0.0, pending = 0
          for e in g.colStart[c]..<g.colStart[c + 1] {
            acc += theta[off + g.colParameter[e]] * y[g.colRow[e]]
            pending += 1
            if pending >= delay - 1 { acc = f.reduce(acc); pending = 0 }
          }
          next[c] = f.reduce(acc)
        }
        y = next
      case .fixed(let m):
        // The transposed steps of the batched backward pass, at width 1.
        var next = [Double](repeating: 0, count: m.cols)
        y.withUnsafeBufferPointer { yb in
          next.withUnsafeMutableBufferPointer { nb in transposedFixed(m, yb.baseAddress!, into: nb.baseAddress!, width: 1) }
        }
        y = next
      case .activation(let k, let size):
        y.withUnsafeMutableBufferPointer { applyMask(masks[k], $0.baseAddress!, size: size, width: 1) }
      case .selection(let k, let rows):
        var next = [Double](repeating: 0, count: sizes[s])
        y.withUnsafeBufferPointer { yb in
          next.withUnsafeMutableBufferPointer { nb in
            transposedSelection(selected[k], rows: rows, inputs: sizes[s], yb.baseAddress!, into: nb.baseAddress!, width: 1)
          }
        }
        y = next
      }
    }
    return out
  }
}
