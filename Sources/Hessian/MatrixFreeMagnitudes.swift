import ConvNet
import Dispatch
import Exact

/// Hadamard bounds for the matrix-free path without any p × p matrix: row 1-norms of |J| and
/// of |n·H_f|, |n·H_L| from one magnitude Hessian-vector product with the all-ones vector.
///
/// Over the log-magnitude ring (log2 bounds of |a + b| ≤ |a| + |b| and |ab|, never saturating,
/// so the wide default range keeps its bound), the forward-over-reverse product
/// of `BatchedProducts` with v = 1 bounds Σ_k |(n·H_f)_jk| for every row j; |J| 1 bounds the
/// row 1-norms of J, and |J|ᵀ(|J| 1) those of JᵀJ. A row's 2-norm is at most its 1-norm, so
/// the product of the r largest bounds any r × r minor (Hadamard).
enum MatrixFreeMagnitudes {
  /// log2 bounds on |det| of r × r minors of J (nK × p), n·H_f and n·H_L, as functions of r;
  /// nil when the instance is not integer.
  struct RowBounds {
    var outer: [Int]?
    /// Rows J_i[c] − J_i[K−1] of the cross-entropy factor C·J (|row| ≤ |J_i[c]| + |J_i[K−1]|).
    var outerDifferences: [Int]?
    var functional: [Int]?
    var loss: [Int]?

    /// Σ of the r largest row bits (descending order stored).
    static func bits(_ rows: [Int]?, minor r: Int) -> Int? {
      guard let rows else { return nil }
      return rows.prefix(r).reduce(0, +)
    }
  }

  /// One thread's share of the pass: the rows of J and C·J of its samples (in sample order) and
  /// its partial sums of the H_f and JᵀJ row bounds.
  struct Part {
    var jRows: [Double] = []
    var differenceRows: [Double] = []
    var hf: [Double]
    var jtj: [Double]
  }

  /// Where the threads leave their parts (each writes its own slot).
  struct Slots: @unchecked Sendable {
    let base: UnsafeMutablePointer<Part?>
  }

  /// The bounds; without `hessian` only those of J and C·J (the H_f pass is skipped). Samples are
  /// split over `threads` (the bounds are sums over samples; any order of the log-sums bounds them).
  static func rowBounds(_ instance: NetworkInstance, pattern: ActivationPattern, hessian: Bool = true,
                        threads: Int = 1) -> RowBounds {
    let ring = LogMagnitudeRing()
    guard let net = try? RingNetwork(instance: instance, pattern: pattern, ring: ring) else { return RowBounds() }
    let n = instance.sampleCount
    let parts = max(1, min(threads, n))
    let slots = Slots(base: .allocate(capacity: parts))
    slots.base.initialize(repeating: nil, count: parts)
    defer { slots.base.deinitialize(count: parts); slots.base.deallocate() }
    let body: @Sendable (Int) -> Void = { part in
      slots.base[part] = accumulate(instance, net: net, pattern: pattern, samples: (part * n / parts)..<((part + 1) * n / parts),
                                    hessian: hessian)
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    var total = slots.base[0]!
    for part in 1..<parts {
      let other = slots.base[part]!
      total.jRows += other.jRows
      total.differenceRows += other.differenceRows
      for j in total.hf.indices {
        total.hf[j] = ring.add(total.hf[j], other.hf[j])
        total.jtj[j] = ring.add(total.jtj[j], other.jtj[j])
      }
    }
    let (jRows, differenceRows, hf, jtj) = (total.jRows, total.differenceRows, total.hf, total.jtj)
    // Whole bits above each log2 bound (0 for a zero row); nil if a bound is not finite.
    func bits(_ v: [Double]) -> [Int]? {
      if v.contains(where: { $0.isNaN || $0 == .infinity || $0 > 1e15 }) { return nil }
      return v.map { ring.isZero($0) ? 0 : max(0, Int($0.rounded(.up))) }.sorted(by: >)
    }
    let loss = zip(hf, jtj).map { ring.add($0, $1) }
    guard hessian else { return RowBounds(outer: bits(jRows), outerDifferences: bits(differenceRows)) }
    return RowBounds(outer: bits(jRows), outerDifferences: bits(differenceRows), functional: bits(hf), loss: bits(loss))
  }

  /// The magnitude products of `samples`.
  static func accumulate(_ instance: NetworkInstance, net: RingNetwork<LogMagnitudeRing>, pattern: ActivationPattern,
                         samples: Range<Int>, hessian: Bool) -> Part {
    let ring = LogMagnitudeRing()
    let plan = instance.plan
    let p = plan.parameterCount, k = plan.outputSize
    var jRows: [Double] = [], differenceRows: [Double] = []
    var hf = [Double](repeating: ring.zero, count: p)
    var jtj = [Double](repeating: ring.zero, count: p)
    let stages = plan.stages
    for i in samples {
      let trace = net.forward(sample: i)
      // Forward tangent along v = 1.
      var tangents: [[Double]] = []
      var x = [Double](repeating: ring.zero, count: trace.stageInputs[0].count)
      var act = 0, pool = 0
      for (si, s) in stages.enumerated() {
        tangents.append(x)
        let h = trace.stageInputs[si]
        switch s {
        case .parametric(let t, let off, _):
          let th = net.theta[off..<(off + t.parameterCount)]
          var out = t.apply(theta: th, to: x, in: ring)
          for a in 0..<t.rows {
            var z = t.biasOfRow[a] >= 0 ? ring.one : ring.zero
            for e in t.rowStart[a]..<t.rowStart[a + 1] { z = ring.add(z, h[t.column[e]]) }
            out[a] = ring.add(out[a], z)
          }
          x = out
        case .fixed(let m, _):
          x = m.apply(net.fixedCoefficients(stage: si), to: x, in: ring)
        case .activation:
          x = x.indices.map { ring.multiply(x[$0], net.mask(act, $0, sample: i)) }
          act += 1
        case .selection:
          let chosen = pattern.selected[i][pool]
          x = chosen.map { x[$0] }
          pool += 1
        }
      }
      jRows.append(contentsOf: x)
      if k >= 2 { differenceRows.append(contentsOf: x.dropLast().map { ring.add($0, x[k - 1]) }) }
      guard hessian else { continue }
      // |J_i|ᵀ (|J_i| 1) and the H_f row sums.
      let delta = zip(trace.output, net.targets[i]).map { ring.add($0, $1) }
      var gAt = [[Double]](repeating: [], count: stages.count)
      net.backward(sample: i, from: [delta, x]) { si, rows in gAt[si] = rows[0] + rows[1] }
      var y = [Double](repeating: ring.zero, count: k)
      act = stages.reduce(0) { if case .activation = $1 { return $0 + 1 } else { return $0 } }
      pool = stages.reduce(0) { if case .selection = $1 { return $0 + 1 } else { return $0 } }
      for si in stages.indices.reversed() {
        let h = trace.stageInputs[si], xin = tangents[si]
        switch stages[si] {
        case .parametric(let t, let off, _):
          let gd = Array(gAt[si][0..<t.rows]), gj = Array(gAt[si][t.rows...])
          for a in 0..<t.rows {
            for e in t.rowStart[a]..<t.rowStart[a + 1] {
              let j = off + t.parameter[e], c = t.column[e]
              hf[j] = ring.add(hf[j], ring.add(ring.multiply(gd[a], xin[c]), ring.multiply(h[c], y[a])))
              jtj[j] = ring.add(jtj[j], ring.multiply(gj[a], h[c]))
            }
            if t.biasOfRow[a] >= 0 {
              let j = off + t.biasOfRow[a]
              hf[j] = ring.add(hf[j], y[a])
              jtj[j] = ring.add(jtj[j], gj[a])
            }
          }
          let th = net.theta[off..<(off + t.parameterCount)]
          var ny = t.applyTransposed(theta: th, to: y, in: ring)
          for a in 0..<t.rows where !ring.isZero(gd[a]) {
            for e in t.rowStart[a]..<t.rowStart[a + 1] { ny[t.column[e]] = ring.add(ny[t.column[e]], gd[a]) }
          }
          y = ny
        case .fixed(let m, _):
          y = m.applyTransposed(net.fixedCoefficients(stage: si), to: y, in: ring)
        case .activation:
          act -= 1
          let a = act
          y = y.indices.map { ring.multiply(y[$0], net.mask(a, $0, sample: i)) }
        case .selection(let w, _):
          pool -= 1
          let chosen = pattern.selected[i][pool]
          var ny = [Double](repeating: ring.zero, count: w.cols)
          for (a, c) in chosen.enumerated() { ny[c] = ring.add(ny[c], y[a]) }
          y = ny
        }
      }
    }
    return Part(jRows: jRows, differenceRows: differenceRows, hf: hf, jtj: jtj)
  }
}
