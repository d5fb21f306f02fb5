import CLapack
import ConvNet
import Dispatch
import Exact

/// Batched Jacobian- and Hessian-vector products of a network instance modulo a prime P < 2^24,
/// for many directions at once, never forming a p × p (or nK × p) matrix.
///
/// For a block V of b directions (p × b) it returns J·V (nK × b, rows i·K + c) and n·H_f·V
/// (p × b), forward-over-reverse through the layers' Toeplitz structures with the activation
/// branches fixed at the point. With ḣ the tangent of a stage input along V and ġ the tangent of
/// the residual-weighted gradient g = G_lᵀδ (δ held fixed, which is what makes it H_f):
///
/// * forward, layer l: ḣ_l = T_l(θ) ḣ_{l−1} + Z_l(h_{l−1}) V_l (J_i V is ḣ at the output);
/// * backward, layer l: (n·H_f V)_l += Z_l(ḣ_{l−1})ᵀ g_l + Z_l(h_{l−1})ᵀ ġ_l and
///   ġ_{l−1} = T_l(θ)ᵀ ġ_l + T_l(V_l)ᵀ g_l, with ġ = 0 at the output.
///
/// n·H_o V = Jᵀ(JV) needs no pass of its own: the sketches use (JV)ᵀ(JV). Every row of b values
/// is carried as centred residues in `Double`s (`CentredResidues`), reduced at least every
/// `delay` products, so every operation is exact integer arithmetic. Samples are split over
/// threads; memory is O((p + Σ stage sizes)·b) per thread.
public struct BatchedProducts: Sendable {
  /// The arithmetic.
  public let field: CentredResidues
  /// p.
  public let parameterCount: Int
  /// K.
  public let outputCount: Int
  /// n.
  public let sampleCount: Int
  /// Σ of the stage input sizes (workspace rows per thread).
  public let workspaceRows: Int
  let stages: [ProductStage]
  /// Input size of every stage, and the output size last.
  let sizes: [Int]
  /// θ, centred.
  let theta: [Double]
  /// values[i][s]: the input of stage s for sample i (centred); the output last.
  let values: [[[Double]]]
  /// gradients[i][s]: G_sᵀ δ_i on the output of parametric stage s (empty for other stages).
  let gradients: [[[Double]]]
  /// masks[i][k][q]: the multiplier of activation stage k at position q for sample i.
  let masks: [[[Double]]]
  /// selected[i][k][a]: the input position output a of max-pooling stage k copies for sample i.
  let selected: [[[Int]]]
  /// residuals[i]: δ_i modulo P (residues), the loss's weights of n·H_f (empty without the backward data).
  public let residuals: [[UInt64]]
  let firstParametric: Int
  /// The loss: δ_i for n·H_f here, and what the sketches do with J·V (`SketchLoss`).
  public let loss: any SketchLoss
  /// Whether forward tangents of conv and dense layers go through BLAS (`SharedWeightLayout`);
  /// false keeps the sparse loops (the tests compare both).
  public var blasForward = true
  /// Whether the backward (n·H_f·V) products of those layers go through BLAS
  /// (`SharedWeightLayout.weightGradient`, `inputGradient`); false keeps the sparse loops.
  public var blasBackward = true

  /// Whether n·H_f·V can be formed (the backward data were built).
  public let supportsHessian: Bool

  /// Maps the instance into F_P with its activation pattern and max-pooling selections (from
  /// the exact forward pass); n·H_f is weighted by the residuals of `loss`.
  /// - Parameter hessian: false builds only what J·V needs (no residual gradients, no
  ///   transposed index maps: less time and memory when only H_o is asked for).
  /// - Throws: `NoImageError` when P divides a denominator of the instance.
  /// - Parameter threads: samples of the set-up are split over this many threads (the result
  ///   does not depend on it).
  public init(instance: NetworkInstance, pattern: ActivationPattern, prime: UInt64,
              loss: any SketchLoss = MeanSquaredSketchLoss(), hessian: Bool = true, threads: Int = 1) throws {
    let field = CentredResidues(prime: prime)
    self.field = field
    self.loss = loss
    supportsHessian = hessian
    let pf = PrimeField(unchecked: prime)
    // The point's forward pass in Montgomery form (a multiply without division), read back as residues.
    let mf = MontgomeryField(prime: prime)
    let net = try RingNetwork(instance: instance, pattern: pattern, ring: mf)
    func centred(_ x: UInt64) -> Double { field.centred(mf.residue(x)) }
    let plan = instance.plan
    parameterCount = plan.parameterCount
    outputCount = plan.outputSize
    sampleCount = instance.sampleCount
    theta = net.theta.map(centred)
    var stages: [ProductStage] = []
    var sizes: [Int] = []
    var act = 0, pool = 0
    for (si, s) in plan.stages.enumerated() {
      switch s {
      case .parametric(let t, let off, _):
        stages.append(.parametric(ParametricGathers(t, offset: off, backward: hessian)))
        sizes.append(t.cols)
      case .fixed(let m, _):
        stages.append(.fixed(FixedGathers(m, residues: net.fixedCoefficients(stage: si).map { mf.residue($0) }, field: field)))
        sizes.append(m.cols)
      case .activation(_, let size, _):
        stages.append(.activation(index: act, size: size))
        sizes.append(size)
        act += 1
      case .selection(let w, _):
        stages.append(.selection(index: pool, rows: w.rows))
        sizes.append(w.cols)
        pool += 1
      }
    }
    sizes.append(plan.outputSize)
    self.stages = stages
    self.sizes = sizes
    workspaceRows = sizes.reduce(0, +)
    firstParametric = plan.parametricStageIndices.first ?? 0
    // The point's values, residual gradients and masks, sample by sample; samples are split over
    // `threads` (each sample's slot is written by one thread).
    let n = instance.sampleCount, stageCount = stages.count, activations = act
    let slots = SampleSlots(base: .allocate(capacity: max(1, n)))
    slots.base.initialize(repeating: nil, count: max(1, n))
    defer { slots.base.deinitialize(count: max(1, n)); slots.base.deallocate() }
    // The point's values through BLAS when every parametric stage has the channel-shared layout
    // (the same residues as the Montgomery pass; `pointValues`), else the Montgomery pass.
    let blasValues = stages.allSatisfy { if case .parametric(let g) = $0 { return g.shared != nil } else { return true } }
    let frozenStages = stages, frozenSizes = sizes, centredTheta = theta
    let body: @Sendable (Int) -> Void = { i in
      func centred(_ x: UInt64) -> Double { field.centred(mf.residue(x)) }
      let mask = (0..<activations).map { k in
        let size = pattern.positive[i][k].count
        return (0..<size).map { q in centred(net.mask(k, q, sample: i)) }
      }
      let value = blasValues
        ? Self.pointValues(input: net.inputs[i].map(centred), stages: frozenStages, sizes: frozenSizes,
                           theta: centredTheta, masks: mask, selected: pattern.selected.isEmpty ? [] : pattern.selected[i],
                           field: field)
        : net.forward(sample: i).stageInputs.map { $0.map(centred) }
      var g: [[Double]] = []
      var delta: [UInt64] = []
      if hessian {
        delta = loss.residual(sample: i, output: value[value.count - 1].map { field.residue($0) },
                                  target: net.targets[i].map { mf.residue($0) }, field: pf)
        g = [[Double]](repeating: [], count: stageCount)
        net.backward(sample: i, from: [delta.map { mf.fromResidue($0) }]) { si, rows in g[si] = rows[0].map(centred) }
      }
      slots.base[i] = (value, g, mask, delta)
    }
    if threads <= 1 || n <= 1 {
      for i in 0..<n { body(i) }
    } else {
      DispatchQueue.concurrentPerform(iterations: n, execute: body)
    }
    values = (0..<n).map { slots.base[$0]!.values }
    gradients = hessian ? (0..<n).map { slots.base[$0]!.gradients } : []
    residuals = hessian ? (0..<n).map { slots.base[$0]!.residuals } : []
    masks = (0..<n).map { slots.base[$0]!.masks }
    selected = pattern.selected
  }

  /// The input of every stage at the point and the output last (centred residues), from the
  /// sample's input: conv and dense layers as bias + W·im2col(h) through BLAS
  /// (`SharedWeightLayout.addWeightProduct` with one column) where a layer has the shared layout,
  /// else its Toeplitz rows (reduced every delay − 1 products); fixed maps, activation masks and
  /// max-pooling selections as in the tangent pass. The same residues as `RingNetwork.forward`
  /// modulo P.
  static func pointValues(input: [Double], stages: [ProductStage], sizes: [Int], theta: [Double], masks: [[Double]],
                          selected: [[Int]], field f: CentredResidues) -> [[Double]] {
    var out: [[Double]] = [input]
    out.reserveCapacity(stages.count + 1)
    let delay = f.delay
    var h = input
    for (s, stage) in stages.enumerated() {
      var next = [Double](repeating: 0, count: sizes[s + 1])
      switch stage {
      case .parametric(let g) where g.shared == nil:
        let t = g.structure, off = g.offset
        for a in 0..<t.rows {
          var acc = t.biasOfRow[a] >= 0 ? theta[off + t.biasOfRow[a]] : 0, pending = 1
          for e in t.rowStart[a]..<t.rowStart[a + 1] {
            acc += theta[off + t.parameter[e]] * h[t.column[e]]
            pending += 1
            if pending >= delay - 1 { acc = f.reduce(acc); pending = 0 }
          }
          next[a] = f.reduce(acc)
        }
      case .parametric(let g):
        let layout = g.shared!, t = g.structure, off = g.offset
        for a in 0..<t.rows where t.biasOfRow[a] >= 0 { next[a] = theta[off + t.biasOfRow[a]] }
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, layout.width * layout.positionBlock(width: 1)))
        next.withUnsafeMutableBufferPointer { nb in
          h.withUnsafeBufferPointer { hb in
            theta.withUnsafeBufferPointer { th in
              layout.addWeightProduct(nb.baseAddress!, xin: hb.baseAddress!, theta: th.baseAddress! + off, width: 1, field: f,
                                      scratch: scratch)
            }
          }
        }
        scratch.deallocate()
      case .fixed(let m):
        h.withUnsafeBufferPointer { hb in
          next.withUnsafeMutableBufferPointer { nb in
            gather(count: m.rows, start: m.rowStart, index: m.column, coefficient: m.coefficient, hb.baseAddress!,
                   into: nb.baseAddress!, width: 1, field: f)
          }
        }
      case .activation(let k, let size):
        let mk = masks[k]
        for q in 0..<size { next[q] = mk[q] == 1 ? h[q] : mk[q] == 0 ? 0 : f.reduce(mk[q] * h[q]) }
      case .selection(let k, let rows):
        let chosen = selected[k]
        for a in 0..<rows { next[a] = h[chosen[a]] }
      }
      out.append(next)
      h = next
    }
    return out
  }

  /// J·V and, when `hessian`, n·H_f·V for a block V of `width` directions (p × width,
  /// row-major, centred residues). Returns (nK × width, p × width or empty), centred.
  public func apply(_ v: [Double], width b: Int, hessian: Bool, threads: Int) -> (jv: [Double], hv: [Double]) {
    precondition(v.count == parameterCount * b)
    precondition(!hessian || supportsHessian, "n·H_f·V asked of products built without the backward data")
    let n = sampleCount, k = outputCount, p = parameterCount
    var jv = [Double](repeating: 0, count: n * k * b)
    let parts = max(1, min(threads, n))
    // Samples are split over threads; each thread's BLAS calls stay single-threaded.
    openblas_set_num_threads(Int32(parts == 1 ? max(1, threads) : 1))
    defer { openblas_set_num_threads(1) }
    let scratch = blasForward || (hessian && blasBackward) ? scratchCount(width: b) : 0
    let hvCount = hessian ? p * b : 0
    let hvParts = UnsafeMutablePointer<Double>.allocate(capacity: max(1, parts * hvCount))
    hvParts.initialize(repeating: 0, count: max(1, parts * hvCount))
    defer { hvParts.deallocate() }
    let shared = SendablePointer(base: hvParts)
    v.withUnsafeBufferPointer { vb in
      jv.withUnsafeMutableBufferPointer { jb in
        let vp = SendableConstPointer(base: vb.baseAddress!), jp = SendablePointer(base: jb.baseAddress!)
        let body: @Sendable (Int) -> Void = { part in
          let lo = part * n / parts, hi = (part + 1) * n / parts
          var work = Workspace(sizes: self.sizes, width: b, scratch: scratch)
          for i in lo..<hi {
            self.sample(i, v: vp.base, width: b, jv: jp.base + i * k * b,
                        hv: hessian ? shared.base + part * hvCount : nil, work: &work)
          }
          // The BLAS backward leaves weight rows unreduced between samples (`Workspace.pending`).
          if hessian { self.field.reduce(shared.base + part * hvCount, hvCount) }
          work.release()
        }
        if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
      }
    }
    guard hessian else { return (jv, []) }
    var hv = [Double](repeating: 0, count: hvCount)
    hv.withUnsafeMutableBufferPointer { hb in
      for part in 0..<parts { field.add(hb.baseAddress!, hvParts + part * hvCount, hvCount) }
      field.reduce(hb.baseAddress!, hvCount)
    }
    return (jv, hv)
  }

  /// Per-thread buffers: the tangent of every stage input, and two backward buffers.
  struct Workspace {
    var x: [UnsafeMutablePointer<Double>]
    var y0: UnsafeMutablePointer<Double>
    var y1: UnsafeMutablePointer<Double>
    var zero: [Bool]
    /// The BLAS path's im2col buffers.
    var scratch: UnsafeMutablePointer<Double>
    /// Per stage: products added onto its weight rows of n·H_f·V since they were last reduced.
    var pending: [Int]

    init(sizes: [Int], width b: Int, scratch count: Int) {
      x = sizes.map { UnsafeMutablePointer<Double>.allocate(capacity: max(1, $0 * b)) }
      let m = max(1, (sizes.max() ?? 1) * b)
      y0 = .allocate(capacity: m)
      y1 = .allocate(capacity: m)
      zero = [Bool](repeating: true, count: sizes.count)
      pending = [Int](repeating: 0, count: sizes.count)
      scratch = .allocate(capacity: max(1, count))
    }

    func release() {
      for p in x { p.deallocate() }
      y0.deallocate()
      y1.deallocate()
      scratch.deallocate()
    }
  }

  /// Doubles of BLAS scratch one thread needs for blocks of b directions.
  func scratchCount(width b: Int) -> Int {
    stages.reduce(0) { m, s in
      if case .parametric(let g) = s, let layout = g.shared { return max(m, layout.scratchCount(width: b, delay: field.delay)) }
      return m
    }
  }

  /// One sample: forward tangents, J_i V into `jv`, and (with `hv`) n·H_f V accumulated there.
  func sample(_ i: Int, v: UnsafePointer<Double>, width b: Int, jv: UnsafeMutablePointer<Double>,
              hv: UnsafeMutablePointer<Double>?, work: inout Workspace) {
    let f = field, delay = field.delay
    let vals = values[i]
    var zero = true
    // Forward: the tangent of every stage input.
    for (s, stage) in stages.enumerated() {
      work.zero[s] = zero
      let xin = work.x[s], xout = work.x[s + 1]
      switch stage {
      case .parametric(let g) where blasForward && g.shared != nil:
        let t = g.structure, off = g.offset
        for a in 0..<t.rows {
          if t.biasOfRow[a] >= 0 {
            (xout + a * b).update(from: v + (off + t.biasOfRow[a]) * b, count: b)
          } else {
            (xout + a * b).update(repeating: 0, count: b)
          }
        }
        theta.withUnsafeBufferPointer { th in
          g.shared!.forward(xout, xin: zero ? nil : UnsafePointer(xin), h: vals[s], theta: th.baseAddress! + off,
                            v: v + off * b, width: b, field: f, scratch: work.scratch)
        }
        zero = false
      case .parametric(let g):
        let t = g.structure, off = g.offset, h = vals[s]
        for a in 0..<t.rows {
          let acc = xout + a * b
          acc.update(repeating: 0, count: b)
          var pending = 0
          if t.biasOfRow[a] >= 0 {
            f.add(acc, v + (off + t.biasOfRow[a]) * b, b)
            pending += 1
          }
          for e in t.rowStart[a]..<t.rowStart[a + 1] {
            let j = off + t.parameter[e], c = t.column[e]
            if !zero {
              let w = theta[j]
              if w != 0 { f.axpy(acc, w, xin + c * b, b); pending += 1 }
            }
            let hc = h[c]
            if hc != 0 { f.axpy(acc, hc, v + j * b, b); pending += 1 }
            if pending >= delay - 1 { f.reduce(acc, b); pending = 0 }
          }
          if pending > 0 { f.reduce(acc, b) }
        }
        zero = false
      case .fixed(let m):
        if zero { continue }
        fixedProduct(m, xin, into: xout, width: b)
      case .activation(let k, let size):
        if zero { continue }
        let mk = masks[i][k]
        for q in 0..<size {
          let c = mk[q]
          if c == 1 {
            (xout + q * b).update(from: xin + q * b, count: b)
          } else if c == 0 {
            (xout + q * b).update(repeating: 0, count: b)
          } else {
            f.scaled(xout + q * b, c, xin + q * b, b)
          }
        }
      case .selection(let k, let rows):
        if zero { continue }
        let chosen = selected[i][k]
        for a in 0..<rows { (xout + a * b).update(from: xin + chosen[a] * b, count: b) }
      }
    }
    jv.update(from: work.x[stages.count], count: outputCount * b)
    guard let hv else { return }
    // Backward: ġ from the output (0 there: δ is held fixed for H_f) towards the first layer.
    var y = work.y0, spare = work.y1
    var yZero = true
    for s in stages.indices.reversed() {
      switch stages[s] {
      case .parametric(let g) where blasBackward && g.shared != nil:
        let layout = g.shared!, t = g.structure, off = g.offset, xZero = work.zero[s]
        layout.weightGradient(hv + off * b, pending: &work.pending[s], xin: xZero ? nil : UnsafePointer(work.x[s]),
                              g: gradients[i][s], h: vals[s], y: yZero ? nil : UnsafePointer(y), width: b, field: f,
                              scratch: work.scratch)
        if !yZero { biasGradient(g, hv: hv, y: y, width: b) }
        if s == firstParametric { return }
        theta.withUnsafeBufferPointer { th in
          layout.inputGradient(spare, inputSize: t.cols, y: yZero ? nil : UnsafePointer(y), g: gradients[i][s],
                               theta: th.baseAddress! + off, v: v + off * b, width: b, field: f, scratch: work.scratch)
        }
        swap(&y, &spare)
        yZero = false
      case .parametric(let g):
        let t = g.structure, off = g.offset, h = vals[s], gout = gradients[i][s]
        let xin = work.x[s], xZero = work.zero[s]
        // (n·H_f V)_l += Z_l(ḣ_{l−1})ᵀ g_l + Z_l(h_{l−1})ᵀ ġ_l, by parameter.
        if !(xZero && yZero) {
          for j in 0..<t.weightCount {
            let acc = hv + (off + j) * b
            var pending = 0
            for e in g.parStart[j]..<g.parStart[j + 1] {
              let a = g.parRow[e], c = g.parColumn[e]
              if !xZero {
                let ga = gout[a]
                if ga != 0 { f.axpy(acc, ga, xin + c * b, b); pending += 1 }
              }
              if !yZero {
                let hc = h[c]
                if hc != 0 { f.axpy(acc, hc, y + a * b, b); pending += 1 }
              }
              if pending >= delay - 1 { f.reduce(acc, b); pending = 0 }
            }
            if pending > 0 { f.reduce(acc, b) }
          }
          if !yZero { biasGradient(g, hv: hv, y: y, width: b) }
        }
        if s == firstParametric { return }
        // ġ_{l−1} = T_l(θ)ᵀ ġ_l + T_l(V_l)ᵀ g_l, by input column.
        for c in 0..<t.cols {
          let acc = spare + c * b
          acc.update(repeating: 0, count: b)
          var pending = 0
          for e in g.colStart[c]..<g.colStart[c + 1] {
            let a = g.colRow[e], j = off + g.colParameter[e]
            if !yZero {
              let w = theta[j]
              if w != 0 { f.axpy(acc, w, y + a * b, b); pending += 1 }
            }
            let ga = gout[a]
            if ga != 0 { f.axpy(acc, ga, v + j * b, b); pending += 1 }
            if pending >= delay - 1 { f.reduce(acc, b); pending = 0 }
          }
          if pending > 0 { f.reduce(acc, b) }
        }
        swap(&y, &spare)
        yZero = false
      case .fixed(let m):
        if yZero { continue }
        transposedFixed(m, y, into: spare, width: b)
        swap(&y, &spare)
      case .activation(let k, let size):
        if yZero { continue }
        applyMask(masks[i][k], y, size: size, width: b)
      case .selection(let k, let rows):
        if yZero { continue }
        transposedSelection(selected[i][k], rows: rows, inputs: sizes[s], y, into: spare, width: b)
        swap(&y, &spare)
      }
    }
  }
}

extension BatchedProducts {
  /// ḣ ← M ḣ through a fixed linear map, by output row.
  func fixedProduct(_ m: FixedGathers, _ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, width b: Int) {
    Self.gather(count: m.rows, start: m.rowStart, index: m.column, coefficient: m.coefficient, x, into: out, width: b,
                field: field)
  }

  /// ġ ← Mᵀ ġ through a fixed linear map, by input column.
  func transposedFixed(_ m: FixedGathers, _ y: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, width b: Int) {
    Self.gather(count: m.cols, start: m.colStart, index: m.colRow, coefficient: m.colCoefficient, y, into: out, width: b,
                field: field)
  }

  /// Row a of `out` (b values) = Σ_e coefficient[e]·row index[e] of `x` over e in
  /// start[a]..<start[a+1], for a < count: one sparse map in CSR order, reduced every
  /// delay − 1 products and at the end.
  static func gather(count: Int, start: [Int], index: [Int], coefficient: [Double], _ x: UnsafePointer<Double>,
                     into out: UnsafeMutablePointer<Double>, width b: Int, field f: CentredResidues) {
    let delay = f.delay
    for a in 0..<count {
      let acc = out + a * b
      acc.update(repeating: 0, count: b)
      var pending = 0
      for e in start[a]..<start[a + 1] {
        f.axpy(acc, coefficient[e], x + index[e] * b, b)
        pending += 1
        if pending >= delay - 1 { f.reduce(acc, b); pending = 0 }
      }
      if pending > 0 { f.reduce(acc, b) }
    }
  }

  /// ġ ← D ġ in place for an activation's diagonal mask (0 clears, 1 keeps, else scales).
  func applyMask(_ mask: [Double], _ y: UnsafeMutablePointer<Double>, size: Int, width b: Int) {
    for q in 0..<size {
      let c = mask[q]
      if c == 0 {
        (y + q * b).update(repeating: 0, count: b)
      } else if c != 1 {
        field.scaled(y + q * b, c, y + q * b, b)
      }
    }
  }

  /// The transposed max-pool selection: each input gathers the outputs that copy it
  /// (overlapping windows can choose one input several times; sums of reduced values, reduced after).
  func transposedSelection(_ chosen: [Int], rows: Int, inputs: Int, _ y: UnsafePointer<Double>,
                           into out: UnsafeMutablePointer<Double>, width b: Int) {
    out.update(repeating: 0, count: inputs * b)
    for a in 0..<rows { field.add(out + chosen[a] * b, y + a * b, b) }
    field.reduce(out, inputs * b)
  }
}

extension BatchedProducts {
  /// The bias rows of n·H_f·V: each bias gathers ġ over the rows it feeds (reduced after).
  func biasGradient(_ g: ParametricGathers, hv: UnsafeMutablePointer<Double>, y: UnsafePointer<Double>, width b: Int) {
    let t = g.structure, f = field, delay = field.delay
    for bias in 0..<t.biasCount {
      let acc = hv + (g.offset + t.weightCount + bias) * b
      var pending = 0
      for e in g.biasStart[bias]..<g.biasStart[bias + 1] {
        f.add(acc, y + g.biasRow[e] * b, b)
        pending += 1
        if pending >= delay - 1 { f.reduce(acc, b); pending = 0 }
      }
      if pending > 0 { f.reduce(acc, b) }
    }
  }
}

/// The set-up's per-sample results (values, residual gradients, masks); each slot written by one thread.
struct SampleSlots: @unchecked Sendable {
  let base: UnsafeMutablePointer<(values: [[Double]], gradients: [[Double]], masks: [[Double]], residuals: [UInt64])?>
}

/// Pointers that cross into `concurrentPerform`; each thread writes disjoint rows.
struct SendablePointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
}

/// A read-only pointer shared by the threads.
struct SendableConstPointer: @unchecked Sendable {
  let base: UnsafePointer<Double>
}
