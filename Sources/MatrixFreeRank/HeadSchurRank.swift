import CLapack
import ConvNet
import Exact
import ExactLinearAlgebra

/// The exact ranks modulo P of n·H_f and n·H_L by a congruence (Schur) reduction onto the
/// parameters outside the head block (proofs/head-block-reduction.md), for networks whose last
/// hidden parametric layer L reaches a dense head through fixed maps only (`HeadBlock`).
///
/// Order θ as (u, w): w the weights of L and of the head ("big"), u every other parameter
/// ("small", m of them: the earlier layers and the biases). Then
/// n·H_f = [[A, C], [Cᵀ, M]] with M = [[0, N], [Nᵀ, 0]] block diagonal over the head block's
/// groups, and, with R the unit vectors of the rows and columns of nonsingular pivot minors
/// N_g[R_g, C_g], K a basis of ker M and Z a basis of {z : zᵀCK = 0},
///
///   rank n·H_f = rank M + 2·rank(CK) + rank(Zᵀ(A − C R (RᵀMR)⁻¹ Rᵀ Cᵀ)Z)   (over F_P).
///
/// rank M = 2 Σ_g rank N_g, K and (RᵀMR)⁻¹ come group by group from N_g, and everything else
/// lives in m dimensions: the work is m Hessian-vector products along unit directions (A and
/// C) and products with m rows, instead of sketches of width ≈ rank. n·H_L is n·H_f + JᵀΛJ
/// (Λ = blockdiag(A_i), `SketchLoss.curvature`), and rank n·H_L = rank [[n·H_f, (ΛJ)ᵀ],
/// [ΛJ, −Λ]] − rank Λ: the same reduction with the nK rows of ΛJ joining the small part.
///
/// The result is rank(n·H mod P) itself — no sketch, nothing random — so it is a proved lower
/// bound on the rank over Q and equal to it unless P divides every maximal minor.
public enum HeadSchurRank {
  /// The split of θ and the block structure.
  public struct Plan: Sendable {
    let block: HeadBlock
    /// θ-indices of the small part, increasing.
    public let small: [Int]
    /// The proved lower bound 2·Σ_g rank N_g is computed by the run; here the sizes.
    public var bigCount: Int { block.groups.reduce(0) { $0 + $1.head.count + $1.layer.count } }
  }

  /// The ranks of one run and the parts they are made of.
  public struct Outcome: Sendable, Equatable {
    /// `.functional` or `.loss`.
    public let target: SketchTarget
    /// rank(n·H mod P).
    public let rank: Int
    /// rank M = 2 Σ_g rank N_g.
    public let blockRank: Int
    /// rank(CK) (with the rows of ΛJ for n·H_L).
    public let coupling: Int
    /// rank of the reduced matrix on the left kernel of CK.
    public let reduced: Int
    /// m (plus nK for n·H_L).
    public let smallCount: Int
    /// rank Λ, subtracted for n·H_L (0 for n·H_f).
    public let curvatureRank: Int
  }

  /// The plan for `products`, or nil when the network lacks a head block or the products carry
  /// no residuals.
  public static func plan(_ products: BatchedProducts) -> Plan? {
    guard let block = HeadBlock(products) else { return nil }
    var isBig = [Bool](repeating: false, count: products.parameterCount)
    for g in block.groups {
      for j in g.head { isBig[j] = true }
      for j in g.layer { isBig[j] = true }
    }
    return Plan(block: block, small: (0..<products.parameterCount).filter { !isBig[$0] })
  }

  /// m, the parameters outside the head block of `plan`, or nil when it has none (structure
  /// only, before any instance value is known).
  public static func smallParameterCount(_ plan: NetworkPlan) -> Int? { HeadBlock.smallParameterCount(plan) }

  /// Bytes a run takes: C (m' rows over the big part, as `Float`s), the m' × m' matrices, a block
  /// of unit directions and its products, and J for n·H_L.
  public static func memoryEstimate(_ plan: Plan, products: BatchedProducts, loss: Bool, threads: Int, block maxBlock: Int = 256) -> Int {
    let p = products.parameterCount, nk = products.sampleCount * products.outputCount
    let block = directionBlock(p: p, small: plan.small.count, threads: threads, maxBlock: maxBlock)
    let rows = plan.small.count + (loss ? nk : 0)
    let widest = plan.block.groups.map { $0.head.count + $0.layer.count }.max() ?? 0
    let c = 4 * rows * plan.bigCount
    let square = 8 * 6 * rows * rows
    let groupWork = 8 * 4 * rows * widest + 8 * 2 * rows * 1024 + 8 * rows * rows
    let directions = 8 * (3 + threads) * p * min(block, max(1, plan.small.count)) + 8 * threads * products.workspaceRows * block
    let jacobian = loss ? 4 * nk * p + 8 * 2 * nk * min(p, block) : 0
    return c + square + groupWork + directions + jacobian
  }

  /// Unit directions multiplied at once: at most `maxBlock`, and few enough that the block, its
  /// products and the per-thread accumulators ((3 + threads)·p·b doubles) stay near 1 GiB.
  static func directionBlock(p: Int, small m: Int, threads: Int, maxBlock: Int) -> Int {
    max(1, min(maxBlock, m, max(8, (1 << 30) / (8 * (3 + threads) * max(1, p)))))
  }

  /// Runs the reduction for the targets asked (`.functional`, `.loss`; others are ignored).
  public static func run(_ products: BatchedProducts, plan: Plan, targets: [SketchTarget], options: SketchOptions,
                         progress: (String) -> Void = { _ in }) -> [Outcome] {
    let field = products.field, threads = options.threads
    let wantF = targets.contains(.functional), wantL = targets.contains(.loss)
    guard wantF || wantL else { return [] }
    let p = products.parameterCount, n = products.sampleCount, k = products.outputCount, nk = n * k
    let small = plan.small, m = small.count
    let rows = m + (wantL ? nk : 0)
    let groups = plan.block.groups
    // Where θ_j lives: small index, or (group, column) with the head's rows first.
    var smallIndex = [Int](repeating: -1, count: p)
    for (s, j) in small.enumerated() { smallIndex[j] = s }
    var groupOf = [Int](repeating: -1, count: p), columnOf = [Int](repeating: -1, count: p)
    for (g, group) in groups.enumerated() {
      for (c, j) in group.head.enumerated() { groupOf[j] = g; columnOf[j] = c }
      for (c, j) in group.layer.enumerated() { groupOf[j] = g; columnOf[j] = group.head.count + c }
    }
    let widths = groups.map { $0.head.count + $0.layer.count }
    // C by group (rows × width, Float: centred residues are exact in a Float) and the small block A'.
    var c = widths.map { [Float](repeating: 0, count: rows * $0) }
    var a = [Double](repeating: 0, count: rows * rows)

    // 1. n·H_f along the unit directions of the small part: A and C.
    var productOptions = options
    productOptions.explicitJacobian = false
    let productPlan = ProductPlan(products, targets: [.functional], options: productOptions, firstWidth: 0, progress: progress)
    let blockWidth = directionBlock(p: p, small: m, threads: threads, maxBlock: options.maxBlock)
    var clock = ContinuousClock.now
    var s0 = 0
    while s0 < m {
      let b = min(blockWidth, m - s0)
      var v = [Double](repeating: 0, count: p * b)
      for s in 0..<b { v[small[s0 + s] * b + s] = 1 }
      let hv = productPlan.apply(v, width: b, threads: threads).hv
      v = []
      for s in 0..<b {
        for (r, j) in small.enumerated() { a[r * rows + s0 + s] = hv[j * b + s] }
      }
      for j in 0..<p where groupOf[j] >= 0 {
        let g = groupOf[j], col = columnOf[j], w = widths[g]
        for s in 0..<b { c[g][(s0 + s) * w + col] = Float(hv[j * b + s]) }
      }
      s0 += b
      if ContinuousClock.now - clock > .seconds(2) || s0 == m {
        progress("head-block reduction: n·H_f on \(s0)/\(m) unit directions of the small part")
        clock = ContinuousClock.now
      }
    }

    // 2. n·H_L: the rows of ΛJ, and −Λ.
    var curvatureRank = 0
    if wantL {
      progress("head-block reduction: forming J (\(nk) × \(p)) and ΛJ")
      let jt = ExplicitJacobian(products, threads: threads)
      var j0 = 0
      let chunk = 256
      while j0 < p {
        let b = min(chunk, p - j0)
        var jv: [Double]
        if let jt {
          jv = [Double](repeating: 0, count: nk * b)
          for q in 0..<b { for r in 0..<nk { jv[r * b + q] = Double(jt.transposed[(j0 + q) * nk + r]) } }
        } else {
          var v = [Double](repeating: 0, count: p * b)
          for q in 0..<b { v[(j0 + q) * b + q] = 1 }
          jv = products.apply(v, width: b, hessian: false, threads: threads).jv
        }
        let lam = products.loss.curvature(jv, samples: n, outputs: k, width: b, field: field)
        for q in 0..<b {
          let j = j0 + q
          if smallIndex[j] >= 0 {
            let s = smallIndex[j]
            for r in 0..<nk {
              a[(m + r) * rows + s] = lam[r * b + q]
              a[s * rows + m + r] = lam[r * b + q]
            }
          } else if groupOf[j] >= 0 {
            let g = groupOf[j], col = columnOf[j], w = widths[g]
            for r in 0..<nk { c[g][(m + r) * w + col] = Float(lam[r * b + q]) }
          }
        }
        j0 += b
      }
      var identity = [Double](repeating: 0, count: nk * nk)
      for r in 0..<nk { identity[r * nk + r] = 1 }
      let lambda = products.loss.curvature(identity, samples: n, outputs: k, width: nk, field: field)
      for r in 0..<nk { for q in 0..<nk { a[(m + r) * rows + m + q] = field.reduce(-lambda[r * nk + q]) } }
      curvatureRank = lambda.withUnsafeBufferPointer {
        ResidueAlgebra.residues($0.baseAddress!, rows: nk, cols: nk, ld: nk, field: field).rank(threads: threads)
      }
    }

    // 3. Group by group: rank N_g, the columns C·K of the kernel of M, and Q = C R (RᵀMR)⁻¹ RᵀCᵀ.
    var echelonF = ColumnSpaceEchelon(rows: m, field: field)
    var echelonL = ColumnSpaceEchelon(rows: rows, field: field)
    var q = [Double](repeating: 0, count: rows * rows)
    // Q = Σ_g S_g + S_gᵀ with S_g = (C_v[:, C_g] N_RC⁻¹)(C_W[:, R_g])ᵀ: the factors of several
    // groups are stacked (transposed, r_g rows each) and multiplied at once, k ≈ 1024.
    var leftT: [Double] = [], rightT: [Double] = []
    var stacked = 0
    func flushQ() {
      guard stacked > 0 else { return }
      let sMatrix = ResidueAlgebra.product(leftT, rightT, m: rows, k: stacked, n: rows, transA: true, field: field, threads: threads)
      for i in 0..<rows {
        for j in 0..<rows { q[i * rows + j] = field.reduce(q[i * rows + j] + sMatrix[i * rows + j] + sMatrix[j * rows + i]) }
      }
      leftT.removeAll(keepingCapacity: true)
      rightT.removeAll(keepingCapacity: true)
      stacked = 0
    }
    var blockRank = 0
    clock = ContinuousClock.now
    for (g, group) in groups.enumerated() {
      let hg = group.head.count, ng = group.layer.count, w = widths[g]
      guard w > 0 else { continue }
      let cg = c[g].map(Double.init)
      c[g] = []
      let nMatrix = plan.block.block(g)
      let profile = hg > 0 && ng > 0 ? nMatrix.rankProfile(threads: threads) : (rank: 0, pivotRows: [], pivotCols: [])
      let r = profile.rank
      blockRank += 2 * r
      let pivotRows = profile.pivotRows, pivotCols = profile.pivotCols
      let freeRows = Array(Set(0..<hg).subtracting(pivotRows)).sorted()
      let freeCols = Array(Set(0..<ng).subtracting(pivotCols)).sorted()
      let nEntries = nMatrix.entries
      func entry(_ i: Int, _ j: Int) -> Double { field.centred(nEntries[i * ng + j]) }
      // C_h[:, R] (rows × r) and C_l[:, C] (rows × r).
      func columns(_ idx: [Int], offset: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * idx.count)
        for row in 0..<rows { for (t, j) in idx.enumerated() { out[row * idx.count + t] = cg[row * w + offset + j] } }
        return out
      }
      // The kernel columns D = [C_h Y, C_l X] (rows × (hg + ng − 2r)).
      let kernelCount = freeRows.count + freeCols.count
      var d = [Double](repeating: 0, count: rows * kernelCount)
      for row in 0..<rows {
        for (t, i) in freeRows.enumerated() { d[row * kernelCount + t] = cg[row * w + i] }
        for (t, j) in freeCols.enumerated() { d[row * kernelCount + freeRows.count + t] = cg[row * w + hg + j] }
      }
      if r > 0 {
        var square = [Double](repeating: 0, count: r * r)
        for (i, pr) in pivotRows.enumerated() { for (j, pc) in pivotCols.enumerated() { square[i * r + j] = entry(pr, pc) } }
        guard let inv = ResidueAlgebra.inverse(square, n: r, field: field) else { preconditionFailure("a rank profile's minor is singular") }
        let ch = columns(pivotRows, offset: 0), cl = columns(pivotCols, offset: hg)
        d.withUnsafeMutableBufferPointer { db in
          if !freeRows.isEmpty {
            // y_i = e_i − E_R N_RC⁻ᵀ N[i, C]ᵀ: C_h Y = C_h[:, free] − C_h[:, R]·(N_RC⁻ᵀ N[free, C]ᵀ).
            var nt = [Double](repeating: 0, count: r * freeRows.count)
            for (t, i) in freeRows.enumerated() { for (j, pc) in pivotCols.enumerated() { nt[j * freeRows.count + t] = entry(i, pc) } }
            let trow = ResidueAlgebra.product(inv, nt, m: r, k: r, n: freeRows.count, transA: true, field: field, threads: threads)
            ch.withUnsafeBufferPointer { chb in
              trow.withUnsafeBufferPointer { tb in
                ResidueAlgebra.multiply(m: rows, n: freeRows.count, k: r, sign: -1, a: chb.baseAddress!, lda: r,
                                        b: tb.baseAddress!, ldb: freeRows.count, c: db.baseAddress!, ldc: kernelCount,
                                        accumulate: true, field: field, threads: threads)
              }
            }
          }
          if !freeCols.isEmpty {
            // x_j = e_j − E_C N_RC⁻¹ N[R, j]: C_l X = C_l[:, free] − C_l[:, C]·(N_RC⁻¹ N[R, free]).
            var nr = [Double](repeating: 0, count: r * freeCols.count)
            for (i, pr) in pivotRows.enumerated() { for (t, j) in freeCols.enumerated() { nr[i * freeCols.count + t] = entry(pr, j) } }
            let tcol = ResidueAlgebra.product(inv, nr, m: r, k: r, n: freeCols.count, field: field, threads: threads)
            cl.withUnsafeBufferPointer { clb in
              tcol.withUnsafeBufferPointer { tb in
                ResidueAlgebra.multiply(m: rows, n: freeCols.count, k: r, sign: -1, a: clb.baseAddress!, lda: r,
                                        b: tb.baseAddress!, ldb: freeCols.count, c: db.baseAddress! + freeRows.count,
                                        ldc: kernelCount, accumulate: true, field: field, threads: threads)
              }
            }
          }
        }
        // S_g's factors: (C_l[:, C] N_RC⁻¹)ᵀ = N_RC⁻ᵀ C_l[:, C]ᵀ and C_h[:, R]ᵀ, r rows each.
        if stacked > 0 && stacked + r > 1024 { flushQ() }
        leftT += ResidueAlgebra.product(inv, cl, m: r, k: r, n: rows, transA: true, transB: true, field: field, threads: threads)
        for t in 0..<r { for row in 0..<rows { rightT.append(ch[row * r + t]) } }
        stacked += r
      }
      // The kernel columns join the column spaces of CK (n·H_f: the first m rows).
      d.withUnsafeBufferPointer { db in
        var t = 0
        while t < kernelCount {
          let cols = min(256, kernelCount - t)
          if wantF { echelonF.add(db.baseAddress! + t, cols: cols, ld: kernelCount, threads: threads) }
          if wantL { echelonL.add(db.baseAddress! + t, cols: cols, ld: kernelCount, threads: threads) }
          t += cols
        }
      }
      if ContinuousClock.now - clock > .seconds(2) || g == groups.count - 1 {
        progress("head-block reduction: block \(g + 1)/\(groups.count), rank M so far \(blockRank), rank CK so far \(wantF ? echelonF.dimension : echelonL.dimension)")
        clock = ContinuousClock.now
      }
    }

    flushQ()

    // 4. The reduced matrix Zᵀ(A − Q)Z on the left kernel of CK.
    func reducedRank(_ echelon: ColumnSpaceEchelon, size: Int) -> Int {
      let z = echelon.leftKernel()
      let f = size - echelon.dimension
      guard f > 0 else { return 0 }
      var e = [Double](repeating: 0, count: size * size)
      for i in 0..<size { for j in 0..<size { e[i * size + j] = field.reduce(a[i * rows + j] - q[i * rows + j]) } }
      let ez = ResidueAlgebra.product(e, z, m: size, k: size, n: f, transB: true, field: field, threads: threads)
      let g = ResidueAlgebra.product(z, ez, m: f, k: size, n: f, field: field, threads: threads)
      return g.withUnsafeBufferPointer { ResidueAlgebra.residues($0.baseAddress!, rows: f, cols: f, ld: f, field: field).rank(threads: threads) }
    }
    var out: [Outcome] = []
    for target in targets {
      switch target {
      case .functional:
        let s = reducedRank(echelonF, size: m)
        out.append(Outcome(target: .functional, rank: blockRank + 2 * echelonF.dimension + s, blockRank: blockRank,
                           coupling: echelonF.dimension, reduced: s, smallCount: m, curvatureRank: 0))
      case .loss:
        let s = reducedRank(echelonL, size: rows)
        out.append(Outcome(target: .loss, rank: blockRank + 2 * echelonL.dimension + s - curvatureRank, blockRank: blockRank,
                           coupling: echelonL.dimension, reduced: s, smallCount: rows, curvatureRank: curvatureRank))
      case .outer:
        continue
      }
    }
    progress("head-block reduction modulo \(field.prime): " + out.map { o in
      "rank \(o.target == .functional ? "n·H_f" : "n·H_L") = \(o.blockRank) + 2·\(o.coupling) + \(o.reduced)"
        + (o.curvatureRank > 0 ? " − \(o.curvatureRank)" : "") + " = \(o.rank)"
    }.joined(separator: ", "))
    return out
  }
}

extension SketchOutcome {
  /// The outcome of a head-block reduction modulo `prime` (no sketch: seed 0, no widths or pivots).
  public init(reduction: HeadSchurRank.Outcome, prime: UInt64, parameterCount p: Int) {
    self.init(target: reduction.target, rank: reduction.rank, prime: prime, sketchSeed: 0, widths: [], pivotRows: [],
              pivotCols: [], isFull: reduction.rank == p)
    self.reduction = reduction
  }
}
