import ConvNet
import ResourceLimits
import Exact
import ExactLinearAlgebra
import MatrixFreeRank

/// How exact ranks are computed.
public enum RankMethod: String, CaseIterable, Sendable {
  /// `certified` when a certificate is asked for, or when p ≤ 600 and its estimated cost is
  /// within a small factor of `modular`'s (`AutoMethodChoice`); `modular` otherwise. The
  /// report says why (`HessianRankReport.methodReason`).
  case auto
  /// Build every matrix directly modulo random word-size primes and take the largest rank: a
  /// proved lower bound, equal to the rank over Q unless every prime divides a nonzero minor
  /// (the reported failure bound).
  case modular
  /// The exact integer matrix, a rank profile modulo a prime (rank ≥ r), and rank ≤ r by exact
  /// kernel vectors or by ranks modulo primes past Hadamard's bound (`ExactRank.certify`).
  /// Always proved; produces certificates.
  case certified
  /// Bareiss fraction-free elimination on the exact integer matrix (slow; for cross-checks).
  case bareiss
  /// Ranks of random sketches SᵀHS and J·S from batched Hessian- and Jacobian-vector products
  /// modulo primes, memory O(p·t), never a p × p matrix (`MatrixFreeRanks`): proved lower
  /// bounds, exact up to a printed failure probability; certificates of the lower bound.
  case matrixFree = "matrix-free"
}

/// What to compute and how.
public struct HessianRankOptions: Sendable {
  /// Which Hessians.
  public var kinds: [HessianKind]
  /// The method.
  public var method: RankMethod
  /// How many random primes the modular method uses.
  public var primes: Int
  /// Seed of the primes (independent of the instance seed).
  public var primeSeed: UInt64
  /// Whether proofs (rank certificates) are required.
  public var wantCertificates: Bool
  /// How many threads the eliminations and the BLAS JᵀJ product may use (1 when the caller
  /// runs several computations in parallel, e.g. the rows of a sweep).
  public var threads: Int
  /// The loss (MSE by default; cross-entropy ranks H_o exactly through C·J and H_f, H_L at
  /// random t = e^{1/D} modulo word-size primes, see `CrossEntropyRanks`).
  public var loss: LossFunction = .mse
  /// Matrix-free only: after this long, sketches stop growing and the ranks of the last width
  /// completed are reported — proved lower bounds (`SketchOptions.deadline`). nil: no limit.
  public var timeLimit: Duration? = nil
  /// Matrix-free only: whether H_f and H_L of networks with a head block go through the
  /// head-block reduction (`HeadSchurRank`) instead of sketches where it fits.
  public var headReduction = true
  /// Networks with at most this many parameters may use `certified` under `auto` (by cost).
  public static let autoCertifiedLimit = 600
  /// Networks with at least this many parameters use `matrix-free` under `auto` (measured:
  /// faster than `modular` from here on; see BENCHMARKS.md).
  public static let autoMatrixFreeFrom = 3000

  /// Options with the defaults: all three Hessians, `auto`, two primes.
  public init(kinds: [HessianKind] = HessianKind.allCases, method: RankMethod = .auto, primes: Int = 2,
              primeSeed: UInt64 = 0x4845_5353, wantCertificates: Bool = false,
              threads: Int = ModularElimination.defaultThreads) {
    self.kinds = kinds
    self.method = method
    self.primes = primes
    self.primeSeed = primeSeed
    self.wantCertificates = wantCertificates
    self.threads = max(1, threads)
  }
}

/// The exact rank of one Hessian at the instance, and how sure we are.
public struct HessianRankResult: Sendable {
  /// Which Hessian.
  public let kind: HessianKind
  /// The rank (proved when `isProved`, otherwise a proved lower bound).
  public let rank: Int
  /// The matrix whose rank was taken: "J (nK×p)" for H_o (rank(H_o) = rank(J) over Q), else "n·H (p×p)".
  public let matrix: String
  /// True when the rank is proved exactly (certificate, or full rank modulo a prime).
  public let isProved: Bool
  /// For the modular method: an upper bound on the probability that the rank is below the
  /// rank over Q (nil when not computed).
  public let failureBound: Double?
  /// How it was computed.
  public let method: String
  /// The certificate, for the certified and Bareiss methods.
  public let certificate: RankCertificate?
  /// Wall-clock seconds (building and ranking).
  public let seconds: Double
  /// Schwartz–Zippel: an upper bound on the probability, over the random draw of the instance,
  /// that this point's rank is below the generic rank (nil when the bound does not apply:
  /// piecewise-linear activations, or explicit or fractional values).
  public var genericFailureBound: Rational? = nil
  /// For the matrix-free method: the sketch run whose nonzero minor proves the rank (prime,
  /// sketch seed, pivots), for its certificate.
  public var sketch: SketchOutcome? = nil
  /// For cross-entropy H_f and H_L: the prime, t and nonzero minor that prove the rank's lower
  /// bound, for `CrossEntropyCertificate`.
  public var crossEntropyWitness: CrossEntropyWitness? = nil
}

/// Ranks of H_o, H_f, H_L at one exact instance, with the data rank r and sizes.
public struct HessianRankReport: Sendable {
  /// The instance.
  public let instance: NetworkInstance
  /// Number of parameters p.
  public var p: Int { instance.plan.parameterCount }
  /// Number of samples n.
  public var n: Int { instance.sampleCount }
  /// Number of outputs K.
  public var k: Int { instance.plan.outputSize }
  /// r = rank(Σ_xx) = rank(X), always proved (certificate in `dataRankCertificate`).
  public let dataRank: Int
  /// The certificate of the data rank.
  public let dataRankCertificate: RankCertificate
  /// One result per requested Hessian, in request order.
  public let results: [HessianRankResult]
  /// The method that was used after `auto` was resolved.
  public let method: RankMethod
  /// Why `auto` resolved to `method` (nil when a method was asked for).
  public var methodReason: String? = nil
  /// The loss whose Hessians were ranked.
  public var loss: LossFunction = .mse

  /// The result for one Hessian, if it was requested.
  public func result(_ kind: HessianKind) -> HessianRankResult? { results.first { $0.kind == kind } }
}

/// Errors of the rank pipeline.
public enum HessianRankError: Error, CustomStringConvertible {
  /// The matrices would need more memory than allowed.
  case tooLarge(String)
  /// Every prime tried divides a denominator of the instance.
  case noUsablePrime

  /// One line for the user.
  public var description: String {
    switch self {
    case .tooLarge(let s): return s
    case .noUsablePrime: return "every prime tried divides a denominator of the instance; use smaller denominators"
    }
  }
}

/// Computes exact Hessian ranks of network instances.
public enum HessianRanks {
  /// The memory a run may take, in bytes: `MemoryBudget.bytes` (from the machine's physical
  /// memory, cgroup and address-space limits, or `--memory`).
  public static var memoryBudget: Int { MemoryBudget.bytes }

  /// The process's own footprint before any matrix (runtime, libraries, thread stacks).
  public static let baselineMemory = 64 << 20

  /// The method `compute` runs: `auto` becomes `certified` for p ≤ 600 or when certificates
  /// are asked for (while its matrices fit in `memoryBudget`), `matrix-free` from
  /// `HessianRankOptions.autoMatrixFreeFrom` parameters on (or when the dense matrices would
  /// not fit), `modular` in between; `modular` with certificates becomes `certified`.
  public static func resolvedMethod(_ method: RankMethod, p: Int, jacobianRows rowsJ: Int,
                                    wantCertificates: Bool) -> RankMethod {
    switch method {
    case .auto:
      if wantCertificates || p <= HessianRankOptions.autoCertifiedLimit {
        return exactMemoryEstimate(p: p, rows: rowsJ) <= memoryBudget ? .certified : .matrixFree
      }
      if p >= HessianRankOptions.autoMatrixFreeFrom || modularMemoryEstimate(p: p, rows: rowsJ) > memoryBudget {
        return .matrixFree
      }
      return .modular
    case .modular:
      return wantCertificates ? .certified : .modular
    default:
      return method
    }
  }

  /// `resolvedMethod` for an instance and options.
  public static func resolvedMethod(_ instance: NetworkInstance, options: HessianRankOptions) -> RankMethod {
    resolvedMethod(options.method, p: instance.plan.parameterCount,
                   jacobianRows: instance.sampleCount * instance.plan.outputSize, wantCertificates: options.wantCertificates)
  }

  /// Bytes the path of `method` needs before any rank is known: the dense matrices, or for
  /// matrix-free its first sketch (each wider sketch is checked again before it is built).
  /// `workspaceRows`: Σ of the stage input sizes plus K (`NetworkPlan.tangentRows`).
  public static func memoryEstimate(method: RankMethod, p: Int, jacobianRows rowsJ: Int, workspaceRows: Int,
                                    kinds: [HessianKind], threads: Int) -> Int {
    switch method {
    case .modular, .auto: return modularMemoryEstimate(p: p, rows: rowsJ)
    case .certified, .bareiss: return exactMemoryEstimate(p: p, rows: rowsJ)
    case .matrixFree:
      return MatrixFreeRanks.memoryEstimate(p: p, jacobianRows: rowsJ, workspaceRows: workspaceRows, kinds: kinds,
                                            width: min(p, MatrixFreeRanks.initialWidth), threads: threads)
    }
  }

  /// `memoryEstimate` for an instance.
  public static func memoryEstimate(_ instance: NetworkInstance, method: RankMethod, options: HessianRankOptions) -> Int {
    memoryEstimate(method: method, p: instance.plan.parameterCount,
                   jacobianRows: instance.sampleCount * instance.plan.outputSize,
                   workspaceRows: MatrixFreeRanks.workspaceRows(instance.plan.architecture), kinds: options.kinds,
                   threads: options.threads)
  }

  /// Bytes needed by the modular path: the p × p matrices (n·H_f, n·H_L, the elimination copy
  /// and the Gram product's workspace) and the Jacobian with its reduced copies. Calibrated on
  /// measured peaks (BENCHMARKS.md, "Memory: estimate and peak").
  public static func modularMemoryEstimate(p: Int, rows jacobianRows: Int) -> Int {
    saturating(8, saturating(4, p, p) &+ saturating(3, jacobianRows, p)) &+ baselineMemory
  }

  /// Bytes needed by the exact path: GMP integers of about `bits` bits for p × p entries.
  public static func exactMemoryEstimate(p: Int, rows jacobianRows: Int, bits: Int = 128) -> Int {
    saturating(16 + bits / 8 + 16, saturating(2, p, p) &+ saturating(1, jacobianRows, p)) &+ baselineMemory
  }

  /// a·b·c, or Int.max / 4 when it overflows (so sums of estimates never wrap).
  static func saturating(_ a: Int, _ b: Int, _ c: Int = 1) -> Int {
    let ab = a.multipliedReportingOverflow(by: b)
    guard !ab.overflow else { return Int.max / 4 }
    let abc = ab.partialValue.multipliedReportingOverflow(by: c)
    return abc.overflow || abc.partialValue > Int.max / 4 ? Int.max / 4 : abc.partialValue
  }

  /// Exact ranks of the requested Hessians at `instance`.
  /// - Parameter progress: called with a short message before each phase.
  public static func compute(_ instance: NetworkInstance, options: HessianRankOptions = HessianRankOptions(),
                             progress: (String) -> Void = { _ in }) throws -> HessianRankReport {
    let p = instance.plan.parameterCount
    var method = options.method
    var reason: String?
    // `auto` with p ≤ the limit and no certificate asked for is resolved by cost, after the
    // modular ranks have been measured (`AutoMethodChoice`); the rest is decided here.
    var byCost = false
    if method == .auto {
      let rowsJ = instance.sampleCount * instance.plan.outputSize
      let resolved = resolvedMethod(instance, options: options)
      if options.wantCertificates {
        method = resolved
        reason = "auto → \(resolved.rawValue): a certificate was asked for"
      } else if resolved == .matrixFree {
        method = .matrixFree
        reason = p >= HessianRankOptions.autoMatrixFreeFrom
          ? "auto → matrix-free: p = \(p) ≥ \(HessianRankOptions.autoMatrixFreeFrom), where batched products beat dense p × p matrices"
          : "auto → matrix-free: the dense matrices would need \(MemoryBudget.describe(modularMemoryEstimate(p: p, rows: rowsJ))), over the memory budget"
      } else if p > HessianRankOptions.autoCertifiedLimit, options.headReduction,
                let rows = MatrixFreeRanks.reductionSmallCount(instance, kinds: options.kinds) {
        // Measured (BENCHMARKS.md, stop 25): 3–8× faster than the dense modular ranks at p ≈ 1650–2900.
        method = .matrixFree
        reason = "auto → matrix-free: p = \(p) > \(HessianRankOptions.autoCertifiedLimit) and the network ends in a head block: H_f and H_L by the head-block reduction on \(rows) small coordinates, faster than dense p × p matrices"
      } else if p > HessianRankOptions.autoCertifiedLimit {
        method = .modular
        reason = "auto → modular: p = \(p) > \(HessianRankOptions.autoCertifiedLimit) (use --method certified for a proof)"
      } else if options.loss == .crossEntropy {
        // The cost-based choice measures MSE matrices; cross-entropy's exact path is C·J only.
        method = .certified
        reason = "auto → certified: p = \(p) ≤ \(HessianRankOptions.autoCertifiedLimit) (cross-entropy: H_o proved on C·J)"
      } else {
        method = .modular  // for the memory estimate; the exact matrices of p ≤ 600 are small
        byCost = true
      }
    }
    if options.wantCertificates && method == .modular { method = .certified }
    let needed = min(memoryEstimate(instance, method: method, options: options)
      &+ NetworkInstance.memoryEstimate(plan: instance.plan, samples: instance.sampleCount), Int.max / 2)
    guard needed <= memoryBudget else {
      throw HessianRankError.tooLarge("the \(method.rawValue) method needs about \(MemoryBudget.describe(needed)) for p = \(p), n = \(instance.sampleCount); the memory budget is \(MemoryBudget.describe(memoryBudget)) (\(MemoryBudget.source)); use fewer parameters or samples\(method == .matrixFree ? "" : ", or --method matrix-free"), or set --memory")
    }
    if options.loss == .crossEntropy {
      guard instance.plan.outputSize >= 2 else { throw LossError("cross-entropy needs at least 2 outputs (the last layer dense(K) with K ≥ 2)") }
    }
    // MSE needs only the pattern (residuals are taken in each ring): none is computed for a
    // network without piecewise stages. Cross-entropy needs the exact logits.
    let pattern: ActivationPattern, logits: [[Rational]]
    if options.loss == .mse {
      if instance.hasPiecewiseStages { progress("exact forward pass (n = \(instance.sampleCount))") }
      (pattern, logits) = (try instance.activationPatternOnly(), [])
    } else {
      progress("exact forward pass (n = \(instance.sampleCount))")
      (pattern, logits) = try instance.activationPattern()
    }
    progress("data rank")
    let dataCert = ExactRank.certify(IntegerMatrix(rationalRows: instance.dataMatrix.nestedRows), seed: options.primeSeed,
                                       threads: options.threads)
    var results: [HessianRankResult]
    // The dense paths rank cross-entropy's H_o (C·J) like MSE's J and leave H_f, H_L to
    // `CrossEntropyRanks`; the matrix-free path takes the loss through its `SketchLoss`.
    let denseCrossEntropy = options.loss == .crossEntropy && method != .matrixFree
    var shared = options
    if denseCrossEntropy { shared.kinds = options.kinds.filter { $0 == .outer } }
    switch method {
    case _ where shared.kinds.isEmpty:
      results = []
    case .modular, .auto:
      let cpuBefore = AutoMethodChoice.processCPUSeconds()
      results = try modularRanks(instance, pattern: pattern, options: shared, progress: progress)
      if byCost {
        let choice = try AutoMethodChoice.decide(
          instance, pattern: pattern, options: options, modular: results,
          modularCPUSeconds: AutoMethodChoice.processCPUSeconds() - cpuBefore, progress: progress)
        method = choice.method
        reason = choice.reason
        if let exact = choice.exactMatrices {
          results = exactRanks(matrices: exact, buildSeconds: choice.buildSeconds, kinds: options.kinds, bareiss: false,
                               seed: options.primeSeed, threads: options.threads, progress: progress)
        }
      }
    case .matrixFree:
      results = try MatrixFreeRanks.ranks(instance, pattern: pattern, logits: logits, options: options, progress: progress)
    case .certified, .bareiss:
      results = try exactRanks(instance, pattern: pattern, kinds: shared.kinds, bareiss: method == .bareiss,
                               seed: options.primeSeed, threads: options.threads, loss: options.loss, progress: progress)
    }
    if denseCrossEntropy {
      let ce = try CrossEntropyRanks.ranks(instance, pattern: pattern, outputs: logits, kinds: options.kinds,
                                           options: options, progress: progress)
      results = options.kinds.compactMap { kind in (results + ce).first { $0.kind == kind } }
    }
    let withBounds = results.map { r -> HessianRankResult in
      var r = r
      r.genericFailureBound = options.loss == .mse ? schwartzZippelBound(instance, kind: r.kind, rank: r.rank) : nil
      return r
    }
    var report = HessianRankReport(instance: instance, dataRank: dataCert.rank, dataRankCertificate: dataCert,
                                   results: withBounds, method: method, methodReason: reason)
    report.loss = options.loss
    return report
  }

  /// The Schwartz–Zippel bound N·deg/(2B+1) on the chance that a random instance's rank is
  /// below the generic rank, for networks that are polynomial in (θ, X, Y).
  ///
  /// Every entry of J is a polynomial of degree ≤ L (L parametric layers; f is multilinear in
  /// the layers' parameters and affine in x), every entry of n·H_o, n·H_f, n·H_L of degree
  /// ≤ 2L. A nonsingular generic-rank minor is a nonzero polynomial of degree ≤ N·deg with
  /// N = min(rows, cols); with every variable uniform on the 2B+1 integers of [−B, B] it
  /// vanishes with probability ≤ N·deg/(2B+1). Where it does not vanish, the point's rank
  /// equals the generic rank (which is the maximum over all points). A `rank` already at
  /// min(rows, p) — the largest any point can have — is the generic rank: the bound is 0.
  public static func schwartzZippelBound(_ instance: NetworkInstance, kind: HessianKind, rank: Int? = nil) -> Rational? {
    let s = instance.settings
    guard s.maxDenominator == 1, s.weights == nil, s.inputs == nil, s.targetValues == nil, s.targets == .random else { return nil }
    for stage in instance.plan.stages {
      if case .activation = stage { return nil }
      if case .selection = stage { return nil }
    }
    let layers = instance.plan.parametricStageIndices.count
    let p = instance.plan.parameterCount
    let rows = kind == .outer ? instance.sampleCount * instance.plan.outputSize : p
    let degree = kind == .outer ? layers : 2 * layers
    if let rank, rank >= min(rows, p) { return Rational(0) }
    return Rational(min(rows, p) * degree, 2 * s.range + 1)
  }

  // MARK: Modular

  static func modularRanks(_ instance: NetworkInstance, pattern: ActivationPattern, options: HessianRankOptions,
                           progress: (String) -> Void) throws -> [HessianRankResult] {
    let wanted = Set(options.kinds)
    var best: [HessianKind: (rank: Int, prime: UInt64)] = [:]
    var seconds: [HessianKind: Double] = [:]
    var full: [HessianKind: Int] = [:]
    var usedPrimes = 0
    let candidates = ModularRank.randomPrimes(count: options.primes + 16, seed: options.primeSeed)
    for prime in candidates where usedPrimes < options.primes {
      let field = MontgomeryField(prime: prime)
      let builder: HessianBuilder<MontgomeryField>
      do {
        builder = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
      } catch is NoImageError {
        continue  // the prime divides a denominator of the instance
      }
      usedPrimes += 1
      progress("modulo prime \(usedPrimes)/\(options.primes) (\(prime))")
      let pf = PrimeField(unchecked: prime)
      var clock = Stopwatch()
      let jac = builder.jacobian()
      let jacSeconds = clock.lap()
      func record(_ kind: HessianKind, _ m: ScalarMatrix<UInt64>, extra: Double, montgomery: Bool = true) {
        let r = modularMatrix(m, field: montgomery ? field : nil, prime: pf).rank(threads: options.threads)
        if r > best[kind]?.rank ?? -1 { best[kind] = (r, prime) }
        seconds[kind, default: 0] += clock.lap() + extra
        full[kind] = min(m.rows, m.cols)
      }
      if wanted.contains(.outer) {
        record(.outer, options.loss.outerFactor(jac, outputs: instance.plan.outputSize, ring: field), extra: jacSeconds)
      }
      var hf: ScalarMatrix<UInt64>?
      if wanted.contains(.functional) || wanted.contains(.loss) {
        progress("  building n·H_f")
        hf = builder.functionalScaled()
        if wanted.contains(.functional), let hf { record(.functional, hf, extra: 0) }
      }
      if wanted.contains(.loss), let hf {
        progress("  building n·H_L = JᵀJ + n·H_f")
        record(.loss, lossMatrix(jacobian: jac, functional: hf, field: field, threads: options.threads), extra: jacSeconds,
               montgomery: false)
      }
    }
    guard usedPrimes > 0 else { throw HessianRankError.noUsablePrime }
    progress("failure bound (Hadamard)")
    let bits = ModularFailureBound.hadamardBits(instance, pattern: pattern, kinds: wanted)
    return options.kinds.map { kind in
      let b = best[kind] ?? (0, 0)
      let isFull = b.rank == full[kind]
      // C·J's entries are differences of J's: its Hadamard bound is not the one computed for J.
      let bound: Double? = isFull ? 0 : (options.loss == .mse ? bits[kind].map { ModularRank.failureBound(hadamardBits: $0, primes: usedPrimes) } : nil)
      return HessianRankResult(
        kind: kind, rank: b.rank,
        matrix: kind == .outer ? options.loss.outerMatrixName(samples: instance.sampleCount, outputs: instance.plan.outputSize, parameters: instance.plan.parameterCount) : "n·H (\(instance.plan.parameterCount)×\(instance.plan.parameterCount))",
        isProved: isFull || bound == 0, failureBound: bound,
        method: "max rank modulo \(usedPrimes) random prime(s) in [2^24, 2^25)",
        certificate: nil, seconds: seconds[kind] ?? 0)
    }
  }

  /// n·H_L = JᵀJ + n·H_f as residues in [0, p), from J and n·H_f in Montgomery form (the Gram
  /// product through BLAS on exact integer-valued doubles, see `GramProduct`; `threads` BLAS threads).
  public static func lossMatrix(jacobian: ScalarMatrix<UInt64>, functional hf: ScalarMatrix<UInt64>,
                                field: MontgomeryField, threads: Int = 2) -> ScalarMatrix<UInt64> {
    let pf = PrimeField(unchecked: field.p)
    var hl = ScalarMatrix(rows: hf.rows, cols: hf.cols, storage: GramProduct.gram(jacobian, field: field, threads: threads))
    for i in hl.storage.indices { hl.storage[i] = pf.add(hl.storage[i], field.residue(hf.storage[i])) }
    return hl
  }

  /// A `ModularMatrix` of residues in [0, p), converting from Montgomery forms when `field`
  /// is given.
  public static func modularMatrix(_ m: ScalarMatrix<UInt64>, field: MontgomeryField?, prime: PrimeField) -> ModularMatrix {
    var out = ModularMatrix(rows: m.rows, cols: m.cols, field: prime)
    out.withUnsafeMutableBufferPointer { buf in
      if let field {
        for i in m.storage.indices { buf[i] = field.residue(m.storage[i]) }
      } else {
        for i in m.storage.indices { buf[i] = m.storage[i] }
      }
    }
    return out
  }

  // MARK: Exact

  /// The exact integer matrices (J and n·H_f, n·H_L as needed), rows scaled to Z.
  ///
  /// Integer instances are built over Z (no fractions to normalise) and n·H_L = JᵀJ + n·H_f
  /// takes the Gram product in machine words when it fits (`IntegerMatrix.gram`); other
  /// instances are built over Q and their rows scaled by the lcm of their denominators.
  /// With `loss` = cross-entropy only `.outer` is built, as the stacked C·J_i (`LossFunction.outerFactor`).
  public static func exactMatrices(_ instance: NetworkInstance, pattern: ActivationPattern,
                                   kinds: [HessianKind], threads: Int = ModularElimination.defaultThreads,
                                   loss: LossFunction = .mse)
    throws -> [HessianKind: IntegerMatrix]
  {
    if loss == .crossEntropy {
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let cj = loss.outerFactor(builder.jacobian(), outputs: instance.plan.outputSize, ring: RationalRing())
      return kinds.contains(.outer) ? [.outer: IntegerMatrix(rationalRows: cj.nestedRows)] : [:]
    }
    let wanted = Set(kinds)
    if let words = try? exactMatricesInWords(instance, pattern: pattern, wanted: wanted, threads: threads) {
      return words
    }
    if let builder = try? HessianBuilder(instance: instance, pattern: pattern, ring: IntegerRing()) {
      var out: [HessianKind: IntegerMatrix] = [:]
      var jac: IntegerMatrix?
      if wanted.contains(.outer) || wanted.contains(.loss) { jac = IntegerMatrix(builder.jacobian().nestedRows) }
      if wanted.contains(.outer) { out[.outer] = jac }
      if wanted.contains(.functional) || wanted.contains(.loss) {
        let hf = IntegerMatrix(builder.functionalScaled().nestedRows)
        if wanted.contains(.functional) { out[.functional] = hf }
        if wanted.contains(.loss), let jac { out[.loss] = jac.gram(threads: threads).adding(hf) }
      }
      return out
    }
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    var out: [HessianKind: IntegerMatrix] = [:]
    var jac: ScalarMatrix<Rational>?
    if wanted.contains(.outer) || wanted.contains(.loss) { jac = builder.jacobian() }
    if wanted.contains(.outer), let jac { out[.outer] = IntegerMatrix(rationalRows: jac.nestedRows) }
    if wanted.contains(.functional) || wanted.contains(.loss) {
      let hf = builder.functionalScaled()
      if wanted.contains(.functional) { out[.functional] = IntegerMatrix(rationalRows: hf.nestedRows) }
      if wanted.contains(.loss), let jac {
        let hl = RationalRing().sum(rationalGram(jac, threads: threads), hf)
        out[.loss] = IntegerMatrix(rationalRows: hl.nestedRows)
      }
    }
    return out
  }

  /// `exactMatrices` of an integer instance built in checked 128-bit words
  /// (`CheckedInt128Ring`): nil when the instance is not integral or some value overflowed
  /// (the caller then builds over Z in big integers). Exact whenever it returns.
  static func exactMatricesInWords(_ instance: NetworkInstance, pattern: ActivationPattern,
                                   wanted: Set<HessianKind>, threads: Int) throws -> [HessianKind: IntegerMatrix]? {
    let ring = CheckedInt128Ring()
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: ring)
    func integer(_ m: ScalarMatrix<Int128>) -> IntegerMatrix {
      IntegerMatrix(rows: m.rows, cols: m.cols, int128Entries: m.storage)
    }
    var out: [HessianKind: IntegerMatrix] = [:]
    var jac: IntegerMatrix?
    if wanted.contains(.outer) || wanted.contains(.loss) {
      let j = builder.jacobian()
      if ring.overflowed { return nil }
      jac = integer(j)
    }
    if wanted.contains(.outer) { out[.outer] = jac }
    if wanted.contains(.functional) || wanted.contains(.loss) {
      let f = builder.functionalScaled()
      if ring.overflowed { return nil }
      let hf = integer(f)
      if wanted.contains(.functional) { out[.functional] = hf }
      if wanted.contains(.loss), let jac { out[.loss] = jac.gram(threads: threads).adding(hf) }
    }
    return out
  }

  /// n·H of the requested kind over Q (n·H_o = JᵀJ through `rationalGram`).
  public static func exactScaledHessian(_ instance: NetworkInstance, pattern: ActivationPattern, kind: HessianKind,
                                        threads: Int = ModularElimination.defaultThreads) throws -> ScalarMatrix<Rational> {
    let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
    switch kind {
    case .outer: return rationalGram(builder.jacobian(), threads: threads)
    case .functional: return builder.functionalScaled()
    case .loss: return RationalRing().sum(rationalGram(builder.jacobian(), threads: threads), builder.functionalScaled())
    }
  }

  /// JᵀJ over Q through one common denominator d of J: (dJ)ᵀ(dJ) / d², the product taken
  /// over Z (`IntegerMatrix.gram`: machine words when it fits) instead of in fractions.
  public static func rationalGram(_ jac: ScalarMatrix<Rational>, threads: Int = ModularElimination.defaultThreads)
    -> ScalarMatrix<Rational>
  {
    var d = BigInt(1)
    for q in jac.storage where !q.isInteger { d = BigInt.lcm(d, q.denominator) }
    let scaled = IntegerMatrix(rows: jac.rows, cols: jac.cols)
    for i in 0..<jac.rows {
      for j in 0..<jac.cols {
        let q = jac.storage[i * jac.cols + j]
        (q.numerator * d.dividedExactly(by: q.denominator)).copy(into: scaled.entry(i, j))
      }
    }
    let g = scaled.gram(threads: threads)
    let d2 = d * d
    let p = jac.cols
    var storage: [Rational] = []
    storage.reserveCapacity(p * p)
    for a in 0..<p {
      for c in 0..<p {
        let x = g[a, c]
        // d² ≠ 0: d is a product of denominators.
        storage.append(d2 == BigInt(1) ? Rational(x) : (try? Rational(x, d2)) ?? Rational(x))
      }
    }
    return ScalarMatrix(rows: p, cols: p, storage: storage)
  }

  static func exactRanks(_ instance: NetworkInstance, pattern: ActivationPattern, kinds: [HessianKind], bareiss: Bool,
                         seed: UInt64, threads: Int = ModularElimination.defaultThreads, loss: LossFunction = .mse,
                         progress: (String) -> Void) throws -> [HessianRankResult] {
    var clock = Stopwatch()
    progress("building exact matrices")
    let matrices = try exactMatrices(instance, pattern: pattern, kinds: kinds, threads: threads, loss: loss)
    return exactRanks(matrices: matrices, buildSeconds: clock.lap(), kinds: kinds, bareiss: bareiss, seed: seed,
                      threads: threads, loss: loss, progress: progress)
  }

  /// Proved ranks of exact matrices already built (in `buildSeconds`, shared out over the kinds).
  static func exactRanks(matrices: [HessianKind: IntegerMatrix], buildSeconds totalBuild: Double, kinds: [HessianKind],
                         bareiss: Bool, seed: UInt64, threads: Int, loss: LossFunction = .mse,
                         progress: (String) -> Void) -> [HessianRankResult] {
    var clock = Stopwatch()
    let buildSeconds = totalBuild / Double(max(1, kinds.count))
    func result(_ kind: HessianKind, _ cert: RankCertificate, seconds: Double) -> HessianRankResult {
      let m = matrices[kind]!
      return HessianRankResult(
        kind: kind, rank: cert.rank,
        matrix: kind == .outer ? (loss == .mse ? "J" : "C·J") + " (\(m.rows)×\(m.cols))" : "n·H (\(m.rows)×\(m.cols))",
        isProved: cert.provesExactRank, failureBound: 0,
        method: bareiss ? "Bareiss on the exact integer matrix" : (cert.method ?? "modular profile + exact upper bound"),
        certificate: cert, seconds: seconds + buildSeconds)
    }
    if !bareiss, let side = ConcurrentCertification.certify(matrices: kinds.map { matrices[$0]! }, seed: seed,
                                                           threads: threads, progress: progress) {
      return zip(kinds, side).map { result($0, $1.certificate, seconds: $1.seconds) }
    }
    return kinds.map { kind in
      let m = matrices[kind]!
      progress("certifying rank of \(kind.symbol)")
      let cert = bareiss
        ? ExactRank.certifyByBareiss(m, threads: threads)
        : ExactRank.certify(m, seed: seed, threads: threads) { progress("certifying rank of \(kind.symbol): \($0)") }
      return result(kind, cert, seconds: clock.lap())
    }
  }
}

/// Wall-clock laps for the timings the reports show (not used by any exact computation).
struct Stopwatch {
  private var last = ContinuousClock.now
  /// Seconds since the previous lap (or creation).
  mutating func lap() -> Double {
    let now = ContinuousClock.now
    let d = now - last
    last = now
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
