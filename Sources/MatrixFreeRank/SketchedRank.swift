import Exact
import ExactLinearAlgebra

/// The three Hessians as the matrix-free path names them (scaled by n; the scale does not
/// change ranks).
public enum SketchTarget: String, CaseIterable, Sendable, Codable {
  /// n·H_o = JᵀJ: its rank is rank(J), taken on J·S.
  case outer
  /// n·H_f, taken on Sᵀ(n·H_f)S.
  case functional
  /// n·H_L = JᵀJ + n·H_f, taken on (JS)ᵀ(JS) + Sᵀ(n·H_f)S.
  case loss
}

/// The rank of one Hessian found by one sketch run, with the minor that proves it is a lower bound.
public struct SketchOutcome: Sendable, Equatable {
  /// Which Hessian.
  public let target: SketchTarget
  /// rank of the sketch modulo `prime`: a proved lower bound on the Hessian's rank over Q.
  public let rank: Int
  /// The prime.
  public let prime: UInt64
  /// The seed of the sketch S.
  public let sketchSeed: UInt64
  /// The sketch widths t tried, in order (the last one is final).
  public let widths: [Int]
  /// Rows of the nonzero minor: indices i·K + c of J·S for H_o, sketch columns otherwise.
  public let pivotRows: [Int]
  /// Columns of the nonzero minor: sketch columns.
  public let pivotCols: [Int]
  /// Whether the rank reached the size of the matrix (then it is the exact rank, proved).
  public let isFull: Bool
  /// Cross-entropy: the residue of t at which π was evaluated modulo `prime` (nil for MSE).
  public var softmaxT: UInt64? = nil
  /// The pivot minor's determinant modulo `prime`, when a certificate was asked for.
  public var minorDeterminant: UInt64? = nil
  /// Whether the run stopped at its deadline (`SketchOptions.deadline`) while this sketch was
  /// still of full rank: `rank` is then a proved lower bound only, with no bound on how far
  /// below the Hessian's rank it is (`sketchFailureBound` is 1).
  public var stoppedAtDeadline = false
  /// Set when the rank came from the head-block reduction (`HeadSchurRank`) instead of a sketch:
  /// then it is rank(n·H mod P) itself, with no sketch and no pivot minor.
  public var reduction: HeadSchurRank.Outcome? = nil

  /// Schwartz–Zippel over the sketch's entries: an upper bound on the probability that the
  /// sketch's rank is below the rank of the Hessian modulo P. A nonzero s × s minor of SᵀHS
  /// (degree 2s in S; s for J·S) exists for s = min(t, rank) because a symmetric matrix over
  /// F_P (P odd) is congruent to a diagonal one; summed over the widths tried.
  public var sketchFailureBound: Double {
    if isFull || reduction != nil { return 0 }
    if stoppedAtDeadline { return 1 }
    let degree = target == .outer ? 1.0 : 2.0
    let p = Double(prime)
    return min(1, widths.reduce(0.0) { $0 + degree * Double(min($1, rank + 1)) / p })
  }
}

/// Options of a sketch run.
public struct SketchOptions: Sendable {
  /// Which Hessians.
  public var targets: [SketchTarget]
  /// The sketch's first width.
  public var initialWidth: Int
  /// Each step adds max(⌈width·(growth − 1)⌉, 1) columns.
  public var growth: Double
  /// Threads for the products and BLAS.
  public var threads: Int
  /// Bytes the run may take; a step that would need more stops the run with `SketchError.memory`.
  public var memoryBudget: Int
  /// The most directions multiplied at once (the workspaces are O((p + Σ stage sizes)·maxBlock)).
  public var maxBlock: Int = 256
  /// Whether runs that need only J·S (H_o) may form J once (`ExplicitJacobian`) where that is
  /// cheaper than the forward tangents and fits the memory budget; false keeps the tangents.
  public var explicitJacobian = true
  /// Whether n·H_f·V is taken on the virtual samples of `ResidualContraction` where it applies
  /// (the same residues); false keeps the per-sample products.
  public var residualContraction = true
  /// When set, the run stops at the first block of directions that would start past it (once
  /// one width has been ranked) and returns the ranks of the last width it completed: proved
  /// lower bounds, marked `stoppedAtDeadline` where that sketch was still of full rank.
  public var deadline: ContinuousClock.Instant? = nil

  /// Defaults: all three, first width 64, growth 1.5.
  public init(targets: [SketchTarget] = SketchTarget.allCases, initialWidth: Int = 64, growth: Double = 1.5,
              threads: Int = 2, memoryBudget: Int = 16 << 30) {
    self.targets = targets
    self.initialWidth = max(1, initialWidth)
    self.growth = max(1.05, growth)
    self.threads = max(1, threads)
    self.memoryBudget = memoryBudget
  }
}

/// Errors of a sketch run.
public enum SketchError: Error, CustomStringConvertible {
  /// The next width would need more memory than allowed.
  case memory(needed: Int, budget: Int, width: Int, ranksSoFar: String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .memory(let needed, let budget, let width, let ranks):
      return "the matrix-free method needs about \(needed >> 20) MiB at sketch width \(width) (budget \(budget >> 20) MiB); ranks so far (proved lower bounds): \(ranks)"
    }
  }
}

/// Matrix-free ranks of n·H_o, n·H_f and n·H_L modulo one prime: rank(SᵀHS) for a random
/// p × t sketch S over F_P, t grown until every sketch is rank-deficient.
///
/// rank(SᵀHS) ≤ rank(H mod P) ≤ rank(H over Q) always (a nonzero minor of SᵀHS is one of the
/// product of integer matrices with H), and once t > rank(H mod P) the sketch is rank-deficient;
/// it equals rank(H mod P) unless a Schwartz–Zippel event of probability ≤
/// `SketchOutcome.sketchFailureBound` occurred. New columns only cost their own products: the
/// Gram blocks of earlier columns are kept. Memory O((p + nK)·t + t²), never O(p²).
public enum SketchedRank {
  /// Bytes a run of final width t needs: J·S, the Gram matrices and their elimination copies,
  /// and for the newest block of `block` columns S, H_f·S and the per-thread workspaces.
  public static func memoryEstimate(p: Int, jacobianRows: Int, workspaceRows: Int, width t: Int, block: Int,
                                    threads: Int, hessian: Bool) -> Int {
    let stored = 2 * jacobianRows * t  // J·S and its residue copy for the elimination
    // Two Gram matrices as Floats (t² doubles together), and while one is eliminated its residue
    // copy and the elimination's own (2t² doubles); growing one (a Float copy of ≤ t²/2 doubles)
    // happens outside the elimination.
    let grams = (hessian ? 3 : 0) * t * t
    // The new block of S, an old one regenerated, H_f·S of the block, and per thread its
    // accumulator and the tangent workspace.
    let work = (hessian ? 3 : 1) * p * block + threads * ((hessian ? p : 0) + workspaceRows) * block
    // The BLAS im2col buffers of a thread: at most 2^20 doubles forward, two blocks of 2^22 backward.
    let scratch = threads * (hessian ? 1 << 23 : 1 << 20)
    return 8 * (stored + grams + work + scratch)
  }

  /// Runs the sketch for `products` (one prime) with sketch seed `seed`.
  /// - Parameter startWidth: the first width (e.g. one more than a rank already found).
  public static func run(_ products: BatchedProducts, seed: UInt64, options: SketchOptions, startWidth: Int? = nil,
                         progress: (String) -> Void = { _ in }) throws -> [SketchOutcome] {
    let field = products.field
    let pf = PrimeField(unchecked: field.prime)
    let p = products.parameterCount, rowsJ = products.sampleCount * products.outputCount
    let n = products.sampleCount, k = products.outputCount, loss = products.loss
    let rowsOuter = n * loss.outerRowsPerSample(outputs: k)
    let wanted = Set(options.targets)
    let hessian = wanted.contains(.functional) || wanted.contains(.loss)
    // J·S is kept as blocks (nK × b); S is regenerated from its seed when an older block meets a
    // new one, and H_f·S is only needed for the newest block (Sᵀ(H_f S_new) covers all pairs).
    var jBlocks: [[Double]] = [], widthsOfBlocks: [Int] = [], blockStarts: [Int] = []
    var gramF = GrowingGram(), gramO = GrowingGram()  // t × t, centred, as Floats
    var regenerated: [Double] = []  // an older block of S, regenerated in place (one buffer for the run)
    var t = 0
    var widths: [Int] = []
    var results: [SketchTarget: (rank: Int, rows: [Int], cols: [Int])] = [:]
    var planned = min(p, max(1, startWidth ?? options.initialWidth))
    let plan = ProductPlan(products, targets: wanted, options: options, firstWidth: planned, progress: progress)
    var stopped = false
    while true {
      if let deadline = options.deadline, !widths.isEmpty, ContinuousClock.now >= deadline {
        progress("time limit: keeping the ranks of width \(widths.last!)")
        stopped = true
        break
      }
      // Columns are multiplied in blocks of at most `maxBlock` (bounded workspace); ranks are
      // taken once the planned width is reached.
      let target = min(planned, t + options.maxBlock)
      let b = target - t
      let needed = memoryEstimate(p: p, jacobianRows: rowsJ, workspaceRows: products.workspaceRows, width: planned,
                                  block: b, threads: options.threads, hessian: hessian)
        + (plan.jacobian == nil ? 0 : ExplicitJacobian.bytes(products))
      guard needed <= options.memoryBudget else {
        let so = options.targets.map { "\($0.rawValue) ≥ \(results[$0]?.rank ?? 0)" }.joined(separator: ", ")
        throw SketchError.memory(needed: needed, budget: options.memoryBudget, width: target, ranksSoFar: so)
      }
      progress("sketch width \(target) (mod \(field.prime)): products for \(b) new direction(s)")
      let s = SketchGram.block(Array(t..<target), seed: seed, rows: p, field: field)
      let (jv, hv) = plan.apply(s, width: b, threads: options.threads)
      jBlocks.append(jv)
      widthsOfBlocks.append(b)
      blockStarts.append(t)
      // Extend the Gram matrices by the new rows and columns.
      progress("sketch width \(target): Gram blocks")
      func grow(_ m: inout GrowingGram, left: (Int) -> [Double], right: [Double], rows: Int) {
        // Room for the whole planned width at once: blocks up to it copy nothing.
        m.reserve(planned)
        m.resize(target)
        var offset = 0
        for (k, bk) in widthsOfBlocks.enumerated() {
          // Block (k, new) and, by symmetry, (new, k).
          let blk = SketchGram.transposeProduct(left(k), right, rows: rows, ca: bk, cb: b,
                                                field: field, threads: options.threads)
          for r in 0..<bk { for c in 0..<b { m[offset + r, t + c] = blk[r * b + c] } }
          if k < widthsOfBlocks.count - 1 {
            for r in 0..<bk { for c in 0..<b { m[t + c, offset + r] = blk[r * b + c] } }
          }
          offset += bk
        }
      }
      if hessian {
        let last = widthsOfBlocks.count - 1
        grow(&gramF, left: { k in
          if k == last { return s }
          SketchGram.fill(&regenerated, Array(blockStarts[k]..<(blockStarts[k] + widthsOfBlocks[k])), seed: seed, rows: p, field: field)
          return regenerated
        }, right: hv, rows: p)
        if wanted.contains(.loss) {
          // Sᵀ(n·H_o)S = (J·S)ᵀ A (J·S), A = diag(A_i) symmetric.
          let ajv = loss.curvature(jv, samples: n, outputs: k, width: b, field: field)
          grow(&gramO, left: { jBlocks[$0] }, right: ajv, rows: rowsJ)
        }
      }
      t = target
      if t < planned { continue }
      widths.append(t)
      progress("sketch width \(t): ranks")
      var allDeficient = true
      for kind in options.targets {
        let m: ModularMatrix
        switch kind {
        case .outer:
          var mm = ModularMatrix(rows: rowsOuter, cols: t, field: pf)
          mm.withUnsafeMutableBufferPointer { buf in
            var col = 0
            for (q, bk) in widthsOfBlocks.enumerated() {
              let blk = loss.outerFactor(jBlocks[q], samples: n, outputs: k, width: bk, field: field)
              for r in 0..<rowsOuter { for c in 0..<bk { buf[r * t + col + c] = field.residue(blk[r * bk + c]) } }
              col += bk
            }
          }
          results[kind] = profile(mm, threads: options.threads)
          continue
        case .functional:
          m = gramF.residues(field: field, plus: nil)
        case .loss:
          m = gramF.residues(field: field, plus: gramO)
        }
        results[kind] = profile(m, threads: options.threads)
      }
      for kind in options.targets where results[kind]!.rank >= t { allDeficient = false }
      if allDeficient || t >= p { break }
      planned = min(p, t + max(1, Int((Double(t) * (options.growth - 1)).rounded(.up))))
    }
    return options.targets.map { kind in
      let r = results[kind]!
      let full = kind == .outer ? min(rowsOuter, p) : p
      var o = SketchOutcome(target: kind, rank: r.rank, prime: field.prime, sketchSeed: seed, widths: widths,
                            pivotRows: r.rows, pivotCols: r.cols, isFull: r.rank == full)
      o.stoppedAtDeadline = stopped && r.rank < full && r.rank >= widths.last!
      return o
    }
  }

  static func profile(_ m: ModularMatrix, threads: Int) -> (rank: Int, rows: [Int], cols: [Int]) {
    let r = m.rankProfile(threads: threads)
    return (r.rank, r.pivotRows, r.pivotCols)
  }
}

extension SketchedRank {
  /// The determinant modulo P of the minor M[rows, cols] of the sketch matrix of `target`
  /// (F·J·S for H_o with F the loss's factor, Sᵀ(n·H)S otherwise), recomputed from the sketch
  /// seed: only the sketch columns the minor touches are regenerated and multiplied. Nonzero
  /// proves rank(H over Q) ≥ rows.count. Indices must be in range (rows of F·J·S for H_o).
  /// For H_o the columns come from J formed once (`ExplicitJacobian`) where that pays and J
  /// (4·nK·p bytes) fits in `memoryBudget` beside the columns; for H_f and H_L, n·H_f·S on the
  /// virtual samples of `ResidualContraction` where it applies (unless `contract` is false) and
  /// J·S as `ProductPlan` chooses: the same residues either way.
  public static func minorDeterminant(_ products: BatchedProducts, seed: UInt64, target: SketchTarget,
                                      rows: [Int], cols: [Int], threads: Int = 2,
                                      memoryBudget: Int = 16 << 30, contract: Bool = true) -> UInt64 {
    let field = products.field
    let pf = PrimeField(unchecked: field.prime)
    let p = products.parameterCount, rowsJ = products.sampleCount * products.outputCount
    let n = products.sampleCount, k = products.outputCount, loss = products.loss
    let r = rows.count
    precondition(cols.count == r)
    var minor = ModularMatrix(rows: r, cols: r, field: pf)
    if target == .outer {
      let s = SketchGram.block(cols, seed: seed, rows: p, field: field)
      let fits = ExplicitJacobian.bytes(products) + 8 * (2 * p * r + 2 * rowsJ * r) <= memoryBudget
      let formed = fits && ExplicitJacobian.pays(products) ? ExplicitJacobian(products, threads: threads) : nil
      let jv = formed?.times(s, width: r, threads: threads) ?? products.apply(s, width: r, hessian: false, threads: threads).jv
      let fjv = loss.outerFactor(jv, samples: n, outputs: k, width: r, field: field)
      minor.withUnsafeMutableBufferPointer { buf in
        for (a, row) in rows.enumerated() { for c in 0..<r { buf[a * r + c] = field.residue(fjv[row * r + c]) } }
      }
    } else {
      let used = Array(Set(rows).union(cols)).sorted()
      let position = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
      let u = used.count
      let s = SketchGram.block(used, seed: seed, rows: p, field: field)
      var options = SketchOptions(targets: [target], initialWidth: u, threads: threads, memoryBudget: memoryBudget)
      options.residualContraction = contract
      let (jv, hv) = ProductPlan(products, targets: [target], options: options, firstWidth: u).apply(s, width: u, threads: threads)
      let mf = SketchGram.transposeProduct(s, hv, rows: p, ca: u, cb: u, field: field, threads: threads)
      let mo = target == .loss
        ? SketchGram.transposeProduct(jv, loss.curvature(jv, samples: n, outputs: k, width: u, field: field), rows: rowsJ,
                                      ca: u, cb: u, field: field, threads: threads) : nil
      minor.withUnsafeMutableBufferPointer { buf in
        for (a, row) in rows.enumerated() {
          for (c, col) in cols.enumerated() {
            let k = position[row]! * u + position[col]!
            buf[a * r + c] = field.residue(mf[k] + (mo?[k] ?? 0))
          }
        }
      }
    }
    return minor.determinant(threads: threads)
  }
}

/// How one sketch run (or minor) obtains J·S and n·H_f·S for a block S: J formed once
/// (`ExplicitJacobian`) or forward tangents for J·S; the virtual samples of `ResidualContraction`
/// or the per-sample products for n·H_f·S. Every choice gives the same residues.
///
/// * H_o alone: J is formed when that pays and J (4·nK·p bytes) fits beside the run's widest step
///   (rank ≤ nK, so t ≤ nK + 1).
/// * H_f/H_L with the contraction: J·S no longer rides along the per-sample H_f pass, so J is
///   formed when H_o or H_L needs J·S, it pays, and J fits beside the first step at width
///   max(first, nK + 1); H_f alone needs no J·S at all.
/// * Without the contraction, the per-sample pass yields J·S and n·H_f·S together.
struct ProductPlan {
  let products: BatchedProducts
  let jacobian: ExplicitJacobian?
  let contraction: ResidualContraction?
  let needsJ: Bool
  let hessian: Bool

  init(_ products: BatchedProducts, targets: Set<SketchTarget>, options: SketchOptions, firstWidth: Int,
       progress: (String) -> Void = { _ in }) {
    self.products = products
    let p = products.parameterCount, rowsJ = products.sampleCount * products.outputCount
    hessian = targets.contains(.functional) || targets.contains(.loss)
    needsJ = targets.contains(.outer) || targets.contains(.loss)
    var contraction: ResidualContraction? = nil
    if hessian && options.residualContraction {
      switch ResidualContraction.make(products) {
      case .success(let c):
        progress("n·H_f products on \(c.virtualSampleCount) virtual sample(s) instead of \(products.sampleCount) (residual contraction)")
        contraction = c
      case .failure(let why):
        progress("n·H_f products per sample: \(why)")
      }
    } else if hessian {
      progress("n·H_f products per sample (residual contraction off)")
    }
    self.contraction = contraction
    var jacobian: ExplicitJacobian? = nil
    if options.explicitJacobian && needsJ && (!hessian || contraction != nil) && ExplicitJacobian.pays(products) {
      let widest = min(p, max(hessian ? firstWidth : 0, rowsJ + 1))
      let needed = ExplicitJacobian.bytes(products)
        + SketchedRank.memoryEstimate(p: p, jacobianRows: rowsJ, workspaceRows: products.workspaceRows, width: widest,
                                      block: min(widest, options.maxBlock), threads: options.threads, hessian: hessian)
      if needed <= options.memoryBudget {
        progress("forming J (\(rowsJ) × \(p)) from \(rowsJ) cotangent passes")
        jacobian = ExplicitJacobian(products, threads: options.threads)
      }
    }
    self.jacobian = jacobian
  }

  /// (J·S or empty when no target needs it, n·H_f·S or empty when no H_f/H_L target).
  func apply(_ s: [Double], width b: Int, threads: Int) -> (jv: [Double], hv: [Double]) {
    guard hessian else {
      return (jacobian?.times(s, width: b, threads: threads) ?? products.apply(s, width: b, hessian: false, threads: threads).jv, [])
    }
    guard let contraction else { return products.apply(s, width: b, hessian: true, threads: threads) }
    let jv = !needsJ ? [] : jacobian?.times(s, width: b, threads: threads)
      ?? products.apply(s, width: b, hessian: false, threads: threads).jv
    return (jv, contraction.hessianTimes(s, width: b, threads: threads))
  }
}

/// A t × t matrix of centred residues (a sketch's Gram matrix) grown by rows and columns, stored
/// as `Float`s — centred residues have |x| ≤ P/2 + 8 < 2^24, which a `Float` holds exactly — in a
/// buffer of `capacity`² entries (leading dimension `capacity`), so that growing within the
/// capacity copies nothing: 4·capacity² bytes instead of 8·t² per copy.
struct GrowingGram {
  /// t.
  private(set) var size = 0
  private(set) var capacity = 0
  private var storage: [Float] = []

  /// Makes room for an n × n matrix (copies the entries once when n exceeds the capacity).
  mutating func reserve(_ n: Int) {
    guard n > capacity else { return }
    var grown = [Float](repeating: 0, count: n * n)
    for r in 0..<size { for c in 0..<size { grown[r * n + c] = storage[r * capacity + c] } }
    storage = grown
    capacity = n
  }

  /// Sets t = n (≤ capacity); new rows and columns must then be written.
  mutating func resize(_ n: Int) {
    precondition(n <= capacity && n >= size)
    size = n
  }

  /// Entry (r, c), a centred residue (written exactly, read back as a `Double`).
  subscript(r: Int, c: Int) -> Double {
    get { Double(storage[r * capacity + c]) }
    set {
      precondition(abs(newValue) < 16_777_216 && newValue == newValue.rounded(), "not a centred residue")
      storage[r * capacity + c] = Float(newValue)
    }
  }

  /// The matrix (plus `other`, entry by entry) as residues modulo P.
  func residues(field: CentredResidues, plus other: GrowingGram?) -> ModularMatrix {
    let t = size
    var m = ModularMatrix(rows: t, cols: t, field: PrimeField(unchecked: field.prime))
    m.withUnsafeMutableBufferPointer { buf in
      for r in 0..<t {
        let row = r * capacity
        if let other {
          let otherRow = r * other.capacity
          for c in 0..<t { buf[r * t + c] = field.residue(Double(storage[row + c]) + Double(other.storage[otherRow + c])) }
        } else {
          for c in 0..<t { buf[r * t + c] = field.residue(Double(storage[row + c])) }
        }
      }
    }
    return m
  }
}
