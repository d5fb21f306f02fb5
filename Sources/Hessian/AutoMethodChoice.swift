import ConvNet
import ExactLinearAlgebra
import Foundation

/// How `auto` chooses between `certified` and `modular` for a small network (p ≤ 600, no
/// certificate asked for): by cost, measured where it can be.
///
/// Times are CPU seconds of the process (all threads), so that the choice does not depend on
/// what else the machine runs. The modular ranks are computed first (they are cheap) and
/// timed: t_mod. Building the exact
/// integer matrices costs at least `exactBuildLowerFactor`·t_mod (0.4–1.1× on the bench networks
/// with the checked 128-bit builder, `CheckedInt128Ring`) when their entries fit it
/// (`fitsInWords`), else `exactBuildFactor`·t_mod (5–20× over big integers, measured at
/// --range 10^6); when even that is over the limit the
/// modular ranks stand without building anything. Otherwise the exact matrices are built
/// and timed: t_build. The proofs are estimated from their sizes:
/// a rank profile modulo one prime per matrix, and for every rank-deficient matrix the work
/// `ExactRank.certify` gives its output-sensitive kernel attempt (a quarter of the primes
/// route's work for Hadamard's bound on the (r+1)-minors, `ExactRank.primeRouteWork`).
/// `certified` is chosen when t_build + proofs ≤ max(`costFactor`·t_mod, `interactiveSeconds`);
/// otherwise the modular ranks stand, and the reason says what a proof would cost.
public struct AutoMethodChoice: Sendable {
  /// `certified` is affordable up to this multiple of the modular ranks' time …
  public static let costFactor = 4.0
  /// … or up to this many seconds in all.
  public static let interactiveSeconds = 0.25
  /// A lower estimate of the exact build's time, as a multiple of t_mod (measured 0.4–1.1×
  /// with the 128-bit builder; see BENCHMARKS.md, issue 16 third pass).
  public static let exactBuildLowerFactor = 0.4
  /// The weight of exact (certified) work against the same work modulo a word prime, for
  /// progress displays: exact build plus proof ≈ 5× the modular ranks on the bench networks.
  public static let exactBuildFactor = 5.0
  /// Estimated word operations (multiply-adds of the blocked kernels) per second.
  public static let workPerSecond = 2e9

  /// The chosen method.
  public let method: RankMethod
  /// One line for the report: the choice and the figures behind it.
  public let reason: String
  /// The exact matrices when `certified` was chosen (built while deciding).
  let exactMatrices: [HessianKind: IntegerMatrix]?
  /// Seconds spent building them.
  let buildSeconds: Double

  /// CPU seconds used by this process so far (all threads).
  public static func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  /// The estimated seconds of proving `rank` for `matrix`: its rank profile, plus the
  /// output-sensitive upper-bound attempt when the rank is below min(rows, cols).
  public static func estimatedProofSeconds(_ matrix: IntegerMatrix, rank r: Int) -> Double {
    let m = matrix.rows, n = matrix.cols
    var work = Double(m) * Double(n) * Double(max(r, 1)) / 8 + Double(m * n)
    if r < min(m, n) {
      let bits = PrimeProductProof.requiredBits(of: matrix, rank: r)
      work += Double(ExactRank.primeRouteWork(rows: m, cols: n, rank: r, requiredBits: bits))
        / Double(ExactRank.outputSensitiveBudgetFraction)
    }
    return work / workPerSecond
  }

  /// Whether the exact matrices fit the checked 128-bit builder, by log2 bounds on their
  /// entries propagated through the same builder (`LogMagnitudeRing`, a pass in doubles):
  /// J and n·H_f below 2^120, JᵀJ's terms (rows·max|J|²) below 2^124.
  static func fitsInWords(_ instance: NetworkInstance, pattern: ActivationPattern) -> Bool {
    guard let builder = try? HessianBuilder(instance: instance, pattern: pattern, ring: LogMagnitudeRing()) else {
      return false
    }
    let jac = builder.jacobian()
    let maxJ = jac.storage.max() ?? -.infinity
    let maxF = builder.functionalScaled().storage.max() ?? -.infinity
    return maxF < 120 && 2 * maxJ + log2(Double(max(1, jac.rows))) < 124
  }

  static func decide(
    _ instance: NetworkInstance, pattern: ActivationPattern, options: HessianRankOptions,
    modular: [HessianRankResult], modularCPUSeconds tMod: Double, progress: (String) -> Void
  ) throws -> AutoMethodChoice {
    let allowed = max(costFactor * tMod, interactiveSeconds)
    func secs(_ x: Double) -> String { x < 0.01 ? "\(Int((x * 1000).rounded())) ms" : "\((x * 100).rounded() / 100) s" }
    let limit = "\(Int(costFactor))× the modular ranks' \(secs(tMod)) and \(secs(interactiveSeconds)) (CPU)"
    // Entries beyond 128 bits (wide ranges, e.g. the default 10^6 on deeper nets) are built
    // over big integers: 5–20× t_mod measured, so the old lower estimate applies there.
    let buildFactor = fitsInWords(instance, pattern: pattern) ? exactBuildLowerFactor : exactBuildFactor
    let buildAtLeast = buildFactor * tMod
    if buildAtLeast > allowed {
      return AutoMethodChoice(
        method: .modular,
        reason: "auto → modular: building the exact matrices alone would take about \(secs(buildAtLeast)) (≥ \(buildFactor)× the modular ranks), above \(limit); --method certified proves the ranks",
        exactMatrices: nil, buildSeconds: 0)
    }
    progress("auto: estimating the cost of a proof")
    let cpuBefore = processCPUSeconds()
    let matrices = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: options.kinds,
                                                  threads: options.threads)
    let tBuild = processCPUSeconds() - cpuBefore
    var proofs = 0.0
    for result in modular {
      guard let m = matrices[result.kind] else { continue }
      proofs += estimatedProofSeconds(m, rank: result.rank)
    }
    let total = tBuild + proofs
    let figures = "exact matrices \(secs(tBuild)) (measured) + proofs ≈ \(secs(proofs)) (estimated)"
    if total <= allowed {
      return AutoMethodChoice(
        method: .certified, reason: "auto → certified: \(figures), within the larger of \(limit)",
        exactMatrices: matrices, buildSeconds: tBuild)
    }
    return AutoMethodChoice(
      method: .modular,
      reason: "auto → modular: a proof would cost about \(secs(total)) (\(figures)), above \(limit); --method certified proves the ranks",
      exactMatrices: nil, buildSeconds: 0)
  }
}
