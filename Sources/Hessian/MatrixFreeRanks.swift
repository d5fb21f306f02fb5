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

  static func ranks(_ instance: NetworkInstance, pattern: ActivationPattern, options: HessianRankOptions,
                    progress: (String) -> Void) throws -> [HessianRankResult] {
    let p = instance.plan.parameterCount, rowsJ = instance.sampleCount * instance.plan.outputSize
    var sketchOptions = SketchOptions(targets: options.kinds.map(target), initialWidth: initialWidth,
                                      threads: options.threads, memoryBudget: HessianRanks.memoryBudget)
    sketchOptions.growth = 1.5
    var best: [HessianKind: SketchOutcome] = [:]
    var failure: [HessianKind: Double] = [:]
    var seconds: [HessianKind: Double] = [:]
    var clock = Stopwatch()
    progress("Hadamard bounds (magnitudes, matrix-free)")
    let rowBounds = MatrixFreeMagnitudes.rowBounds(instance, pattern: pattern)
    var used = 0
    var start: Int? = nil
    for prime in SketchPrimes.draw(count: options.primes + 16, seed: options.primeSeed) where used < options.primes {
      let products: BatchedProducts
      do {
        products = try BatchedProducts(instance: instance, pattern: pattern, prime: prime)
      } catch is NoImageError {
        continue  // the prime divides a denominator of the instance
      }
      let seed = options.primeSeed &+ 0x5345_4544 &+ UInt64(used)  // "SEED"
      used += 1
      let outcomes: [SketchOutcome]
      do {
        outcomes = try SketchedRank.run(products, seed: seed, options: sketchOptions, startWidth: start) {
          progress("run \(used)/\(options.primes): \($0)")
        }
      } catch let e as SketchError {
        throw HessianRankError.tooLarge(e.description)
      }
      let lap = clock.lap() / Double(max(1, options.kinds.count))
      for (kind, o) in zip(options.kinds, outcomes) {
        seconds[kind, default: 0] += lap
        if o.rank > best[kind]?.rank ?? -1 { best[kind] = o }
        // This run fails only if its prime divides a nonzero maximal-rank minor (at most
        // bits/23 of the primes ≥ 2^23 do, bits from Hadamard's bound on the full matrix) or its
        // sketch falls short (Schwartz–Zippel); runs draw prime and sketch independently.
        let bits = MatrixFreeMagnitudes.RowBounds.bits(kind == .outer ? rowBounds.outer : kind == .functional ? rowBounds.functional : rowBounds.loss,
                                                        minor: kind == .outer ? min(rowsJ, p) : p)
        let primePart = bits.map { min(1, Double($0 / 23) / Double(CentredResidues.primeCountLowerBound)) } ?? 1
        let run = o.isFull ? 0 : min(1, primePart + o.sketchFailureBound)
        failure[kind] = (failure[kind] ?? 1) * run
      }
      start = min(p, (outcomes.map(\.rank).max() ?? 0) + 1)
      if outcomes.allSatisfy(\.isFull) { break }
    }
    guard used > 0 else { throw HessianRankError.noUsablePrime }
    return options.kinds.map { kind in
      let o = best[kind]!
      let bound = o.isFull ? 0 : failure[kind] ?? 1
      var r = HessianRankResult(
        kind: kind, rank: o.rank,
        matrix: kind == .outer ? "J·S (\(rowsJ)×\(o.widths.last ?? 0))" : "SᵀnHS (\(o.widths.last ?? 0)²)",
        isProved: o.isFull, failureBound: bound,
        method: "sketches SᵀHS, J·S from batched Hessian/Jacobian-vector products modulo \(used) prime(s) in [2^23, 2^24), widths \(o.widths.map(String.init).joined(separator: "→"))",
        certificate: nil, seconds: seconds[kind] ?? 0)
      r.sketch = o
      return r
    }
  }
}
