import ConvNet
import Exact
import ExactLinearAlgebra
import MatrixFreeRank

/// The matrix-free method of `HessianRanks`: ranks of random sketches SᵀHS (and J·S) built from
/// batched Jacobian- and Hessian-vector products modulo primes in [2^23, 2^24); memory
/// O((p + nK)·t), never a p × p matrix (see `SketchedRank`).
///
/// Each of `options.primes` runs draws its own prime and sketch; a later run starts at one more
/// than the largest rank found. The largest rank over the runs is a proved lower bound (a
/// nonzero minor, recorded in `SketchCertificate`); it is the exact rank unless, in every run,
/// the prime divides all maximal minors (Hadamard's bound over the ≥ 500,000 primes of the range)
/// or the sketch fell short (Schwartz–Zippel over its entries).
public enum MatrixFreeRanks {
  static func target(_ kind: HessianKind) -> SketchTarget {
    switch kind {
    case .outer: return .outer
    case .functional: return .functional
    case .loss: return .loss
    }
  }

  /// Bytes a run of sketch width t takes (checked before the work).
  static func memoryEstimate(p: Int, jacobianRows: Int, workspaceRows: Int, kinds: [HessianKind], width t: Int,
                             threads: Int) -> Int {
    let hessian = kinds.contains(.functional) || kinds.contains(.loss)
    return SketchedRank.memoryEstimate(p: p, jacobianRows: jacobianRows, workspaceRows: workspaceRows, width: t,
                                       block: min(t, SketchOptions().maxBlock), threads: threads, hessian: hessian)
  }

  /// Σ of the stage input sizes plus K: the rows of one thread's tangent workspace per direction.
  public static func workspaceRows(_ architecture: Architecture) -> Int {
    guard let infos = try? architecture.layerInfos() else { return 0 }
    return infos.reduce(0) { $0 + $1.input.count } + architecture.outputCount
  }

  /// The first sketch width of the first run.
  static let initialWidth = 64

  /// The loss side of one run modulo `prime`: MSE, or cross-entropy at π evaluated at a random
  /// t ∈ [1, P) (nil when P divides a target's denominator or no usable t was found).
  static func sketchLoss(_ loss: LossFunction, softmax: SoftmaxExponents?, targets: [[Rational]]?, prime: UInt64,
                         seed: UInt64) -> (loss: any SketchLoss, t: UInt64?)? {
    guard loss == .crossEntropy, let softmax, let targets else { return (MeanSquaredSketchLoss(), nil) }
    var rng = SeededRandom(seed: seed ^ prime ^ 0x5443_45)  // "TCE"
    for _ in 0..<64 {
      let t = rng.next(in: 1...(prime - 1))
      if let l = crossEntropyLoss(softmax: softmax, targets: targets, prime: prime, t: t) { return (l, t) }
    }
    return nil
  }

  /// Cross-entropy's sketch loss with π evaluated at t modulo `prime` (nil when P divides a
  /// target's denominator or π's denominator vanishes at t).
  public static func crossEntropyLoss(softmax: SoftmaxExponents, targets: [[Rational]], prime: UInt64,
                                      t: UInt64) -> CrossEntropySketchLoss? {
    let pf = PrimeField(unchecked: prime)
    guard t >= 1, t < prime, let y = try? targets.map({ try $0.map { try pf.element($0) } }),
          let pi = softmax.probabilities(at: t, prime: pf) else { return nil }
    return CrossEntropySketchLoss(probabilities: pi, targets: y)
  }

  /// - Parameter logits: the exact network outputs (for cross-entropy's softmax exponents).
  static func ranks(_ instance: NetworkInstance, pattern: ActivationPattern, logits: [[Rational]],
                    options: HessianRankOptions, progress: (String) -> Void) throws -> [HessianRankResult] {
    let p = instance.plan.parameterCount, k = instance.plan.outputSize
    let ce = options.loss == .crossEntropy
    let rowsJ = instance.sampleCount * options.loss.outerRowsPerSample(outputs: k)
    let softmax = ce ? SoftmaxExponents(logits: logits) : nil
    let ceTargets = ce ? try CrossEntropyTargets.targets(instance) : nil
    // Cross-entropy: degrees in t of the cleared entries of n·H_f and n·H_L (proofs/cross-entropy.md).
    let degreeF = softmax.map { Double($0.degreeSum.description) ?? .infinity } ?? 0
    var sketchOptions = SketchOptions(targets: options.kinds.map(target), initialWidth: initialWidth,
                                      threads: options.threads, memoryBudget: HessianRanks.memoryBudget)
    sketchOptions.growth = 1.5
    sketchOptions.deadline = options.timeLimit.map { ContinuousClock.now + $0 }
    var stoppedAtDeadline = false
    var best: [HessianKind: SketchOutcome] = [:]
    var failure: [HessianKind: Double] = [:]
    var seconds: [HessianKind: Double] = [:]
    var clock = Stopwatch()
    let hessian = options.kinds.contains(.functional) || options.kinds.contains(.loss)
    // The Hadamard bounds enter only the failure bound of a rank below full, so the magnitude
    // pass runs only once a run ends with such a rank (a full rank is proved and needs none).
    var rowBounds: MatrixFreeMagnitudes.RowBounds? = nil
    var used = 0
    var start: Int? = nil
    var useReduction = false
    for prime in SketchPrimes.draw(count: options.primes + 16, seed: options.primeSeed) where used < options.primes {
      let products: BatchedProducts
      guard let (loss, t) = sketchLoss(options.loss, softmax: softmax, targets: ceTargets, prime: prime, seed: options.primeSeed) else {
        continue
      }
      do {
        products = try BatchedProducts(instance: instance, pattern: pattern, prime: prime, loss: loss, hessian: hessian,
                                       threads: options.threads)
      } catch is NoImageError {
        continue  // the prime divides a denominator of the instance
      }
      if used == 0 && hessian && options.headReduction {
        useReduction = reductionFits(products, instance: instance, options: options, sketchOptions: sketchOptions,
                                     progress: progress)
      }
      if used == 0 && hessian && !useReduction {
        // Before any sketch: a width the sketches must pass, proved (HeadBlockBound), checked
        // against the memory budget so that a run that cannot end is refused before the work.
        // Every width below it gives a full-rank sketch, so the first sketch starts there —
        // unless a time limit is set: then widths grow from the first one, so that the limit
        // finds ranked sketches to report.
        if let width = try requiredSketchWidth(products, options: options, sketchOptions: sketchOptions, rowsOuter: rowsJ,
                                                  progress: progress), width > initialWidth, options.timeLimit == nil {
          start = min(p, width)
        }
      }
      let seed = options.primeSeed &+ 0x5345_4544 &+ UInt64(used)  // "SEED"
      used += 1
      var outcomes: [SketchOutcome]
      do {
        if useReduction {
          outcomes = try reducedRun(products, seed: seed, options: options, sketchOptions: sketchOptions, start: start) {
            progress("run \(used)/\(options.primes): \($0)")
          }
        } else {
          outcomes = try SketchedRank.run(products, seed: seed, options: sketchOptions, startWidth: start) {
            progress("run \(used)/\(options.primes): \($0)")
          }
        }
      } catch let e as SketchError {
        throw HessianRankError.tooLarge(e.description)
      }
      for (j, kind) in options.kinds.enumerated() {
        outcomes[j].softmaxT = kind == .outer ? nil : t
        // A certificate records the pivot minor's value: `check` recomputes it, so a changed t,
        // seed, prime, pivot or instance is caught even where its minor would be nonzero too.
        if options.wantCertificates && outcomes[j].reduction == nil && outcomes[j].rank > best[kind]?.rank ?? -1 {
          let o = outcomes[j]
          progress("run \(used)/\(options.primes): certificate minor of \(kind.symbol)")
          outcomes[j].minorDeterminant = o.rank == 0 ? 1
            : SketchedRank.minorDeterminant(products, seed: o.sketchSeed, target: target(kind), rows: o.pivotRows,
                                            cols: o.pivotCols, threads: options.threads,
                                            memoryBudget: HessianRanks.memoryBudget)
        }
      }
      let needsBounds = zip(options.kinds, outcomes).contains { kind, o in !o.isFull && !o.stoppedAtDeadline && !(ce && kind != .outer) }
      if needsBounds && rowBounds == nil {
        progress("Hadamard bounds (magnitudes, matrix-free)")
        rowBounds = MatrixFreeMagnitudes.rowBounds(instance, pattern: pattern, hessian: hessian && !ce,
                                                   threads: options.threads)
      }
      let lap = clock.lap() / Double(max(1, options.kinds.count))
      for (kind, o) in zip(options.kinds, outcomes) {
        seconds[kind, default: 0] += lap
        if o.rank > best[kind]?.rank ?? -1 { best[kind] = o }
        // This run fails only if its prime divides a nonzero maximal-rank minor (at most
        // bits/23 of the primes ≥ 2^23 do, bits from Hadamard's bound on the full matrix) or its
        // sketch falls short (Schwartz–Zippel); runs draw prime and sketch independently.
        let rows = kind == .outer ? (ce ? rowBounds?.outerDifferences : rowBounds?.outer)
          : kind == .functional ? rowBounds?.functional : rowBounds?.loss
        let bits = MatrixFreeMagnitudes.RowBounds.bits(rows, minor: kind == .outer ? min(rowsJ, p) : p)
        var primePart = bits.map { min(1, Double($0 / 23) / Double(CentredResidues.primeCountLowerBound)) } ?? 1
        if ce && kind != .outer {
          // Schwartz–Zippel in t: the cleared minor has degree ≤ r·Δ in t (Δ = Σd_i for H_f,
          // 2Σd_i for H_L), t uniform among the ≥ P − 1 − Σd_i usable values. The prime's
          // share (it divides the minor's content) is not bounded, as on the dense path.
          let delta = kind == .functional ? degreeF : 2 * degreeF
          let usable = Double(prime - 1) - degreeF
          primePart = usable > 0 ? min(1, Double(o.rank + 1) * delta / usable) : 1
        }
        let run = o.isFull ? 0 : min(1, primePart + o.sketchFailureBound)
        failure[kind] = (failure[kind] ?? 1) * run
      }
      start = min(p, (outcomes.filter { $0.reduction == nil }.map(\.rank).max() ?? 0) + 1)  // the sketches' own ranks
      if outcomes.contains(where: \.stoppedAtDeadline) { stoppedAtDeadline = true }
      if outcomes.allSatisfy(\.isFull) { break }
      if let d = sketchOptions.deadline, ContinuousClock.now >= d { break }  // no further (prime, sketch) runs
    }
    guard used > 0 else { throw HessianRankError.noUsablePrime }
    return options.kinds.map { kind in
      let o = best[kind]!
      let bound = o.isFull ? 0 : failure[kind] ?? 1
      let outerName = ce ? "C·J·S" : "J·S"
      let ceNote = !ce ? "" : kind == .outer
        ? "; cross-entropy: H_o on C·J (proofs/cross-entropy.md)"
        : "; cross-entropy at a random t for t = e^(1/\(softmax!.denominator)), a proved lower bound\(bound >= 1 ? " (the Schwartz–Zippel bound in t is vacuous here)" : ", exact unless a minor vanishes at (S, t) or every prime divides its content (not bounded)")"
      if let red = o.reduction {
        var r = HessianRankResult(
          kind: kind, rank: o.rank, matrix: "reduction, m=\(red.smallCount)",
          isProved: o.isFull, failureBound: bound,
          method: "head-block reduction modulo \(used) prime(s) in [2^23, 2^24) (proofs/head-block-reduction.md): rank = rank M + 2·rank CK + reduced\(red.curvatureRank > 0 ? " − rank Λ" : "") = \(red.blockRank) + 2·\(red.coupling) + \(red.reduced)\(red.curvatureRank > 0 ? " − \(red.curvatureRank)" : "")" + ceNote,
          certificate: nil, seconds: seconds[kind] ?? 0)
        r.sketch = o
        return r
      }
      var r = HessianRankResult(
        kind: kind, rank: o.rank,
        matrix: kind == .outer ? "\(outerName) (\(rowsJ)×\(o.widths.last ?? 0))" : "SᵀnHS (\(o.widths.last ?? 0)²)",
        isProved: o.isFull, failureBound: bound,
        method: "sketches SᵀHS, \(outerName) from batched Hessian/Jacobian-vector products modulo \(used) prime(s) in [2^23, 2^24), widths \(o.widths.map(String.init).joined(separator: "→"))" + ceNote
          + (stoppedAtDeadline ? "; stopped at the time limit (a sketch still of full rank gives a proved lower bound only)" : ""),
        certificate: nil, seconds: seconds[kind] ?? 0)
      r.sketch = o
      return r
    }
  }

  /// The reduction's small coordinates (m, plus nK when H_L is asked) when the network ends in a
  /// head block, H_f or H_L is asked and that is below p/2 — where `reductionFits` will take the
  /// reduction (memory permitting); nil otherwise. Structure only.
  public static func reductionSmallCount(_ instance: NetworkInstance, kinds: [HessianKind]) -> Int? {
    guard kinds.contains(.functional) || kinds.contains(.loss),
          let m = HeadSchurRank.smallParameterCount(instance.plan) else { return nil }
    let rows = m + (kinds.contains(.loss) ? instance.sampleCount * instance.plan.outputSize : 0)
    return 2 * rows < instance.plan.parameterCount ? rows : nil
  }

  /// Whether the head-block reduction (`HeadSchurRank`) takes H_f and H_L: the network has a
  /// head block, the small part (plus nK rows for H_L) is below half of p — the sketches would
  /// need a width past the head block's rank, the reduction only that many products — and its
  /// memory fits the budget.
  static func reductionFits(_ products: BatchedProducts, instance: NetworkInstance, options: HessianRankOptions,
                            sketchOptions: SketchOptions, progress: (String) -> Void) -> Bool {
    guard let plan = HeadSchurRank.plan(products) else { return false }
    let loss = options.kinds.contains(.loss)
    guard reductionSmallCount(instance, kinds: options.kinds) != nil else {
      progress("head-block reduction: not used (\(plan.small.count) parameters outside the head block\(loss ? " plus nK rows" : ""), not below half of p = \(products.parameterCount))")
      return false
    }
    let needed = HeadSchurRank.memoryEstimate(plan, products: products, loss: loss, threads: sketchOptions.threads)
    guard needed <= sketchOptions.memoryBudget else {
      progress("head-block reduction: not used (needs about \(needed >> 20) MiB, budget \(sketchOptions.memoryBudget >> 20) MiB)")
      return false
    }
    progress("head-block reduction: \(plan.small.count) small parameters, \(plan.bigCount) in the head block, about \(needed >> 20) MiB")
    return true
  }

  /// One prime's ranks with the head-block reduction for H_f and H_L and a sketch for H_o.
  static func reducedRun(_ products: BatchedProducts, seed: UInt64, options: HessianRankOptions, sketchOptions: SketchOptions,
                         start: Int?, progress: (String) -> Void) throws -> [SketchOutcome] {
    var outer: SketchOutcome? = nil
    if options.kinds.contains(.outer) {
      var o = sketchOptions
      o.targets = [.outer]
      outer = try SketchedRank.run(products, seed: seed, options: o, startWidth: start, progress: progress).first
    }
    guard let plan = HeadSchurRank.plan(products) else { preconditionFailure("the head block depends on the structure only") }
    let reduced = HeadSchurRank.run(products, plan: plan, targets: options.kinds.filter { $0 != .outer }.map(target),
                                    options: sketchOptions, progress: progress)
    return options.kinds.map { kind in
      if kind == .outer { return outer! }
      let r = reduced.first { $0.target == target(kind) }!
      return SketchOutcome(reduction: r, prime: products.field.prime, parameterCount: products.parameterCount)
    }
  }

  /// The sketch width the Hessians asked must reach, one more than the head block's proved lower
  /// bound on their rank (proofs/deep-cnn-bounds.md, Proposition 2′), or nil without a bound.
  /// Throws `tooLarge` when that width's memory exceeds the budget; the message gives the proved
  /// lower bounds.
  static func requiredSketchWidth(_ products: BatchedProducts, options: HessianRankOptions, sketchOptions: SketchOptions,
                                     rowsOuter: Int, progress: (String) -> Void) throws -> Int? {
    progress("head block: a proved lower bound on rank H_f")
    guard let functional = HeadBlockBound.functionalLowerBound(products, threads: options.threads), functional > 0 else {
      progress("head block: no bound for this network")
      return nil
    }
    progress("head block: rank H_f ≥ \(functional) (proved)")
    // rank H_L ≥ rank H_f − rank H_o, and rank H_o ≤ its number of rows.
    let loss = max(0, functional - rowsOuter)
    let width = (options.kinds.contains(.functional) ? functional : loss) + 1
    guard width > 1 else { return nil }
    let p = products.parameterCount
    let needed = SketchedRank.memoryEstimate(p: p, jacobianRows: products.sampleCount * products.outputCount,
                                             workspaceRows: products.workspaceRows, width: min(p, width),
                                             block: min(min(p, width), sketchOptions.maxBlock), threads: sketchOptions.threads,
                                             hessian: true)
    guard needed > sketchOptions.memoryBudget else { return width }
    var bounds: [String] = []
    if options.kinds.contains(.functional) { bounds.append("H_f ≥ \(functional)") }
    if options.kinds.contains(.loss) { bounds.append("H_L ≥ \(loss)") }
    throw HessianRankError.tooLarge(
      "the matrix-free sketches would have to pass width \(width - 1), needing about \(needed >> 20) MiB (budget \(sketchOptions.memoryBudget >> 20) MiB): proved lower bounds at this point \(bounds.joined(separator: ", ")) (the head's block, proofs/deep-cnn-bounds.md Proposition 2′); H_o alone: --hessian outer")
  }
}
