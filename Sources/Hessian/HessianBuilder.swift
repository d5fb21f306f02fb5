import ConvNet
import Exact

/// The three Hessians of the MSE loss, each scaled by n.
public enum HessianKind: String, CaseIterable, Sendable, Codable {
  /// H_o = (1/n) Σ_i J_iᵀ J_i, the outer-product (Gauss–Newton) part.
  case outer
  /// H_f = (1/n) Σ_i Σ_c δ_ic ∇²f_c(x_i), the functional part (δ = residual).
  case functional
  /// H_L = H_o + H_f, the Hessian of the loss.
  case loss

  /// "H_o", "H_f", "H_L".
  public var symbol: String {
    switch self {
    case .outer: return "H_o"
    case .functional: return "H_f"
    case .loss: return "H_L"
    }
  }
}

/// Assembles the Jacobian and the loss Hessians of an exact network instance from the layers'
/// Toeplitz structures, over any scalar ring (Q, Z, a prime field).
///
/// For the MSE loss ℓ = 1/(2n) Σ_i ‖f(x_i) − y_i‖², with G_l the Jacobian of f with respect to
/// layer l's output, h_{l−1} layer l's input and P_{l→m} the map from layer l's output to layer
/// m's input (activation branches fixed at the point):
///
/// * J_i = [G_1 Z_1(h_0), …, G_L Z_L(h_{L−1})], stacked over samples into J (nK × p);
/// * n·H_o = Jᵀ J;
/// * n·H_f has blocks Σ_i Y_m(G_mᵀ δ_i) P_{l→m} Z_l(h_{l−1}) for l < m (mirrored above the
///   diagonal); diagonal blocks are 0 because f is affine in each layer's parameters;
/// * n·H_L = n·H_o + n·H_f.
///
/// Every matrix is returned scaled by n (so integer instances give integer matrices); the
/// scale does not change ranks. `exactHessian` divides by n over Q.
public struct HessianBuilder<R: ScalarRing>: Sendable {
  /// The instance mapped into the ring.
  public let network: RingNetwork<R>

  /// Prepares a builder; the activation pattern comes from the exact forward pass.
  public init(instance: NetworkInstance, pattern: ActivationPattern, ring: R) throws {
    network = try RingNetwork(instance: instance, pattern: pattern, ring: ring)
  }

  @usableFromInline var ring: R { network.ring }
  @usableFromInline var plan: NetworkPlan { network.plan }

  /// The Jacobian J of the outputs with respect to θ, stacked over samples: row i·K + c.
  @inlinable
  public func jacobian() -> ScalarMatrix<R.Element> {
    let k = plan.outputSize, p = plan.parameterCount, n = network.inputs.count
    var jac = ring.zeroMatrix(rows: n * k, cols: p)
    let units = (0..<k).map { c in (0..<k).map { $0 == c ? ring.one : ring.zero } }
    for i in 0..<n {
      let trace = network.forward(sample: i)
      network.backward(sample: i, from: units) { si, rows in
        guard case .parametric(let t, let off, _) = plan.stages[si] else { return }
        let h = trace.stageInputs[si]
        for c in 0..<k {
          let base = (i * k + c) * p + off
          let g = rows[c]
          for a in 0..<t.rows where !ring.isZero(g[a]) {
            for e in t.rowStart[a]..<t.rowStart[a + 1] {
              let j = base + t.parameter[e]
              jac.storage[j] = ring.add(jac.storage[j], ring.multiply(g[a], h[t.column[e]]))
            }
            if t.biasOfRow[a] >= 0 {
              let j = base + t.biasOfRow[a]
              jac.storage[j] = ring.add(jac.storage[j], g[a])
            }
          }
        }
      }
    }
    return jac
  }

  /// The residuals δ_i = f(x_i) − y_i in the ring, one row per sample.
  @inlinable
  public func residuals() -> [[R.Element]] {
    network.inputs.indices.map { i in
      let f = network.forward(sample: i).output
      return zip(f, network.targets[i]).map { ring.subtract($0, $1) }
    }
  }

  /// n·H_f: the functional Hessian scaled by n (p × p, symmetric).
  ///
  /// - Parameter residuals: the per-sample output gradients n·∂ℓ/∂f(x_i) of the loss; nil for
  ///   MSE's δ_i = f(x_i) − y_i (cross-entropy passes π_i − y_i, see `LossFunction`).
  @inlinable
  public func functionalScaled(residuals: [[R.Element]]? = nil) -> ScalarMatrix<R.Element> {
    let p = plan.parameterCount
    var hf = ring.zeroMatrix(rows: p, cols: p)
    let stages = plan.stages
    let paramStages = plan.parametricStageIndices
    guard paramStages.count >= 2 else { return hf }
    for i in network.inputs.indices {
      let trace = network.forward(sample: i)
      let delta = residuals?[i] ?? zip(trace.output, network.targets[i]).map { ring.subtract($0, $1) }
      var gAt = [[R.Element]](repeating: [], count: stages.count)
      network.backward(sample: i, from: [delta]) { si, rows in gAt[si] = rows[0] }
      var act = 0, pool = 0
      var activationIndexOfStage = [Int](repeating: -1, count: stages.count)
      var selectionIndexOfStage = [Int](repeating: -1, count: stages.count)
      for (si, s) in stages.enumerated() {
        if case .activation = s {
          activationIndexOfStage[si] = act
          act += 1
        }
        if case .selection = s {
          selectionIndexOfStage[si] = pool
          pool += 1
        }
      }
      // For each layer l, push B = Z_l(h_{l-1}) forward; at each later layer m add Y_m(g_m) B.
      for sl in paramStages.dropLast() {
        guard case .parametric(let tl, let offL, _) = stages[sl] else { continue }
        let pl = tl.parameterCount
        var b = tl.patchMatrix(input: trace.stageInputs[sl], in: ring)
        for sm in (sl + 1)..<stages.count {
          switch stages[sm] {
          case .parametric(let tm, let offM, _):
            let g = gAt[sm]
            for a in 0..<tm.rows where !ring.isZero(g[a]) {
              for e in tm.rowStart[a]..<tm.rowStart[a + 1] {
                let row = (offM + tm.parameter[e]) * p + offL
                let src = tm.column[e] * pl
                for j in 0..<pl {
                  let x = b.storage[src + j]
                  if ring.isZero(x) { continue }
                  hf.storage[row + j] = ring.add(hf.storage[row + j], ring.multiply(g[a], x))
                }
              }
            }
            if sm == paramStages.last { break }
            var nb = ring.zeroMatrix(rows: tm.rows, cols: pl)
            for a in 0..<tm.rows {
              for e in tm.rowStart[a]..<tm.rowStart[a + 1] {
                let w = network.theta[offM + tm.parameter[e]]
                if ring.isZero(w) { continue }
                let src = tm.column[e] * pl, dst = a * pl
                for j in 0..<pl {
                  nb.storage[dst + j] = ring.add(nb.storage[dst + j], ring.multiply(w, b.storage[src + j]))
                }
              }
            }
            b = nb
          case .fixed(let m, _):
            let coeffs = network.fixedCoefficients(stage: sm)
            var nb = ring.zeroMatrix(rows: m.rows, cols: pl)
            for a in 0..<m.rows {
              for e in m.rowStart[a]..<m.rowStart[a + 1] {
                let src = m.column[e] * pl, dst = a * pl
                for j in 0..<pl {
                  nb.storage[dst + j] = ring.add(nb.storage[dst + j], ring.multiply(coeffs[e], b.storage[src + j]))
                }
              }
            }
            b = nb
          case .activation:
            let s = activationIndexOfStage[sm]
            for q in 0..<b.rows {
              let f = network.mask(s, q, sample: i)
              for j in 0..<pl { b.storage[q * pl + j] = ring.multiply(b.storage[q * pl + j], f) }
            }
          case .selection(let w, _):
            let chosen = network.pattern.selected[i][selectionIndexOfStage[sm]]
            var nb = ring.zeroMatrix(rows: w.rows, cols: pl)
            for (a, q) in chosen.enumerated() {
              for j in 0..<pl { nb.storage[a * pl + j] = b.storage[q * pl + j] }
            }
            b = nb
          }
          if sm == paramStages.last { break }
        }
      }
    }
    // Blocks were written below the diagonal only (row in layer m, column in layer l < m).
    for a in 0..<p {
      for c in 0..<a { hf.storage[c * p + a] = hf.storage[a * p + c] }
    }
    return hf
  }

  /// n·H_o = JᵀJ for a Jacobian from `jacobian()`.
  @inlinable
  public func outerScaled(jacobian jac: ScalarMatrix<R.Element>) -> ScalarMatrix<R.Element> {
    let p = jac.cols
    var ho = ring.zeroMatrix(rows: p, cols: p)
    for r in 0..<jac.rows {
      let rowBase = r * p
      for a in 0..<p {
        let x = jac.storage[rowBase + a]
        if ring.isZero(x) { continue }
        let dst = a * p
        for c in a..<p {
          ho.storage[dst + c] = ring.add(ho.storage[dst + c], ring.multiply(x, jac.storage[rowBase + c]))
        }
      }
    }
    for a in 0..<p {
      for c in 0..<a { ho.storage[a * p + c] = ho.storage[c * p + a] }
    }
    return ho
  }

  /// n·H for the requested kind.
  @inlinable
  public func scaled(_ kind: HessianKind) -> ScalarMatrix<R.Element> {
    switch kind {
    case .outer: return outerScaled(jacobian: jacobian())
    case .functional: return functionalScaled()
    case .loss: return ring.sum(outerScaled(jacobian: jacobian()), functionalScaled())
    }
  }
}

extension HessianBuilder where R == RationalRing {
  /// The exact Hessian H (not scaled): n·H divided by n over Q.
  public func exactHessian(_ kind: HessianKind) -> ScalarMatrix<Rational> {
    let inv = Rational(1, network.inputs.count)
    return scaled(kind).map { $0 * inv }
  }
}
