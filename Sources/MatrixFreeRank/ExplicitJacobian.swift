import CLapack
import Dispatch

/// J (nK × p) modulo P formed once from nK cotangent passes, for sketches that need only J·S
/// (rank H_o): J·S is then one exact product per block of sketch columns instead of a forward
/// tangent pass per sample and direction.
///
/// Row (i, c) of J is the gradient of output c of sample i: the backward pass of the cotangent
/// e_c with the activation branches fixed, run for the K cotangents of a sample at once
/// (`BatchedProducts.cotangents`), through the channel-shared BLAS products of the layers. The
/// entries are stored as `Float`s: centred residues have |x| ≤ P/2 + 8 < 2^24, which a `Float`
/// holds exactly, so J takes 4·nK·p bytes. J·S converts slabs of J back to doubles and multiplies
/// them through BLAS over slabs of at most `delay − 1` parameters, reduced after each slab (every
/// partial sum an integer below 2^53), so the product is the same residue matrix as
/// `BatchedProducts.apply`'s J·V.
///
/// It pays when the forward tangent costs more per direction than a row of J·S does, i.e. when
/// K·p is below the Toeplitz entries of the layers (weight sharing: conv layers), see `pays`.
public struct ExplicitJacobian: Sendable {
  /// nK.
  public let rows: Int
  /// p.
  public let parameterCount: Int
  /// Jᵀ, p × nK row-major (row j: the derivatives of all nK outputs by θ_j), centred residues.
  let transposed: [Float]
  let field: CentredResidues

  /// Bytes J takes.
  public static func bytes(_ products: BatchedProducts) -> Int {
    4 * products.sampleCount * products.outputCount * products.parameterCount
  }

  /// Whether forming J is cheaper than the forward tangents: K·p (one row of J·S per sample and
  /// direction costs 2K·p flops) below the Toeplitz entries of the parametric layers (the forward
  /// tangent of a sample costs ≈ 4 flops each per direction), and every parametric layer has the
  /// channel-shared layout the cotangent pass uses.
  public static func pays(_ products: BatchedProducts) -> Bool {
    var entries = 0
    for stage in products.stages {
      guard case .parametric(let g) = stage else { continue }
      guard g.shared != nil else { return false }
      entries += g.structure.nonzeroCount
    }
    return products.outputCount * products.parameterCount < entries
  }

  /// J of `products` (nil when a parametric layer lacks the channel-shared layout). Samples are
  /// split over `threads`.
  public init?(_ products: BatchedProducts, threads: Int) {
    for stage in products.stages {
      if case .parametric(let g) = stage, g.shared == nil { return nil }
    }
    let n = products.sampleCount, k = products.outputCount, p = products.parameterCount
    field = products.field
    rows = n * k
    parameterCount = p
    let nk = n * k
    var jt = [Float](repeating: 0, count: p * nk)
    let parts = max(1, min(threads, n))
    openblas_set_num_threads(1)
    jt.withUnsafeMutableBufferPointer { buf in
      let out = SendableFloatPointer(base: buf.baseAddress!)
      let body: @Sendable (Int) -> Void = { part in
        let lo = part * n / parts, hi = (part + 1) * n / parts
        var work = BatchedProducts.Workspace(sizes: products.sizes, width: k, scratch: products.scratchCount(width: k))
        let grad = UnsafeMutablePointer<Double>.allocate(capacity: p * k)
        for i in lo..<hi {
          products.cotangents(i, into: grad, work: &work)
          // Column block i·K ..< i·K + K of Jᵀ.
          for j in 0..<p {
            let src = grad + j * k, dst = out.base + j * nk + i * k
            for c in 0..<k { dst[c] = Float(src[c]) }
          }
        }
        grad.deallocate()
        work.release()
      }
      if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    }
    transposed = jt
  }

  /// J·V (nK × b, centred) for V (p × b row-major, centred); parameter rows split over `threads`.
  public func times(_ v: [Double], width b: Int, threads: Int) -> [Double] {
    precondition(v.count == parameterCount * b)
    let nk = rows, p = parameterCount, f = field
    let slab = max(1, field.delay - 1)
    let parts = max(1, min(threads, (p + slab - 1) / slab))
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: max(1, parts * nk * b))
    partial.initialize(repeating: 0, count: max(1, parts * nk * b))
    defer { partial.deallocate() }
    let acc = SendablePointer(base: partial)
    openblas_set_num_threads(1)
    transposed.withUnsafeBufferPointer { jb in
      v.withUnsafeBufferPointer { vb in
        let jp = SendableConstFloatPointer(base: jb.baseAddress!), vp = SendableConstPointer(base: vb.baseAddress!)
        let body: @Sendable (Int) -> Void = { part in
          // Whole slabs per thread.
          let slabs = (p + slab - 1) / slab
          let lo = min(p, part * slabs / parts * slab), hi = min(p, (part + 1) * slabs / parts * slab)
          let c = acc.base + part * nk * b
          let chunk = slab * 16
          let rowsD = UnsafeMutablePointer<Double>.allocate(capacity: chunk * nk)
          var r0 = lo
          while r0 < hi {
            let rr = min(chunk, hi - r0)
            let src = jp.base + r0 * nk
            for e in 0..<(rr * nk) { rowsD[e] = Double(src[e]) }
            var s0 = 0
            while s0 < rr {
              let kk = min(slab, rr - s0)
              cblas_dgemm(101, 112, 111, Int32(nk), Int32(b), Int32(kk), 1, rowsD + s0 * nk, Int32(nk),
                          vp.base + (r0 + s0) * b, Int32(b), 1, c, Int32(b))
              f.reduce(c, nk * b)
              s0 += kk
            }
            r0 += rr
          }
          rowsD.deallocate()
        }
        if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
      }
    }
    var out = [Double](repeating: 0, count: nk * b)
    out.withUnsafeMutableBufferPointer { ob in
      for part in 0..<parts { f.add(ob.baseAddress!, partial + part * nk * b, nk * b) }
      f.reduce(ob.baseAddress!, nk * b)
    }
    return out
  }
}

extension BatchedProducts {
  /// Jᵢᵀ (p × K, row-major, reduced) of sample i: the backward pass of the K output cotangents
  /// e_c at once (ġ ← I_K at the output; weight rows Z(h)ᵀ ġ, bias rows Σ ġ over their rows,
  /// ġ ← T(θ)ᵀ ġ through conv and dense layers, the transposed gathers elsewhere). Every
  /// parametric layer must have the channel-shared layout.
  func cotangents(_ i: Int, into out: UnsafeMutablePointer<Double>, work: inout Workspace) {
    let b = outputCount, f = field, delay = field.delay
    let vals = values[i]
    out.update(repeating: 0, count: parameterCount * b)
    var y = work.y0, spare = work.y1
    y.update(repeating: 0, count: b * b)
    for c in 0..<b { y[c * b + c] = 1 }
    for s in stages.indices.reversed() {
      switch stages[s] {
      case .parametric(let g):
        let layout = g.shared!, t = g.structure, off = g.offset
        var pending = 0
        layout.weightGradient(out + off * b, pending: &pending, xin: nil, g: [], h: vals[s], y: UnsafePointer(y),
                              width: b, field: f, scratch: work.scratch)
        f.reduce(out + off * b, t.weightCount * b)
        if t.biasCount > 0 {
          var added = [Int](repeating: 0, count: t.biasCount)
          for a in 0..<t.rows where t.biasOfRow[a] >= 0 {
            let local = t.biasOfRow[a], bias = local - t.weightCount
            f.add(out + (off + local) * b, y + a * b, b)
            added[bias] += 1
            if added[bias] >= delay - 1 { f.reduce(out + (off + local) * b, b); added[bias] = 0 }
          }
          f.reduce(out + (off + t.weightCount) * b, t.biasCount * b)
        }
        if s == firstParametric { return }
        theta.withUnsafeBufferPointer { th in
          layout.inputGradient(spare, inputSize: t.cols, y: UnsafePointer(y), g: [], theta: th.baseAddress! + off,
                               v: nil, width: b, field: f, scratch: work.scratch)
        }
        swap(&y, &spare)
      case .fixed(let m):
        transposedFixed(m, y, into: spare, width: b)
        swap(&y, &spare)
      case .activation(let k, let size):
        applyMask(masks[i][k], y, size: size, width: b)
      case .selection(let k, let rows):
        transposedSelection(selected[i][k], rows: rows, inputs: sizes[s], y, into: spare, width: b)
        swap(&y, &spare)
      }
    }
  }
}

/// A `Float` buffer the threads write in disjoint places.
struct SendableFloatPointer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
}

/// A read-only `Float` buffer shared by the threads.
struct SendableConstFloatPointer: @unchecked Sendable {
  let base: UnsafePointer<Float>
}
