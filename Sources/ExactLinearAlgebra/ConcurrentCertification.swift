import Dispatch
import Synchronization

/// Proved ranks of several independent matrices (the exact Hessians of one network) side by
/// side: each `ExactRank.certify` runs whole on its own thread, the matrices taken largest
/// first by as many workers as there are threads.
///
/// Each proof is mostly sequential work (p-adic lifting steps, GMP arithmetic between
/// products), so one proof per core wastes less than splitting every product of one proof
/// over the cores. The certificates are the ones `certify` returns on any number of threads
/// (its answer does not depend on them): only the time changes.
public enum ConcurrentCertification {
  /// Matrices with more entries than this are certified one after another (each over every
  /// thread): side by side, the working memory of two large proofs would add up.
  public static let maxEntries = 1 << 20

  /// The certificates of `matrices` (in their order) with each one's wall-clock seconds, or
  /// nil when side-by-side proofs do not apply (fewer than 2 threads or 2 matrices, or a
  /// matrix above `maxEntries`): the caller then certifies one after another.
  /// - Parameter progress: one message when the proofs start (the proofs themselves report
  ///   nothing: messages from several threads would interleave).
  public static func certify(
    matrices: [IntegerMatrix], seed: UInt64, threads: Int, progress: (String) -> Void
  ) -> [(certificate: RankCertificate, seconds: Double)]? {
    guard threads >= 2, matrices.count >= 2, matrices.allSatisfy({ $0.rows * $0.cols <= maxEntries }) else {
      return nil
    }
    let workers = min(threads, matrices.count)
    let perWorker = max(1, threads / workers)
    // Largest estimated work first (ties in the given order), so that the last proof to
    // start is a small one.
    let work = matrices.map { m in
      Double(m.rows) * Double(m.cols) * Double(min(m.rows, m.cols)) * Double(max(1, m.maxEntryBits))
    }
    let order = matrices.indices.sorted { work[$0] != work[$1] ? work[$0] > work[$1] : $0 < $1 }
    progress("certifying \(matrices.count) ranks, \(workers) side by side")
    let next = Atomic<Int>(0)
    let done = Mutex<[Int: (certificate: RankCertificate, seconds: Double)]>([:])
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while true {
        let t = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if t >= order.count { return }
        let i = order[t]
        let start = ContinuousClock.now
        let cert = ExactRank.certify(matrices[i], seed: seed, threads: perWorker)
        let d = ContinuousClock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        done.withLock { $0[i] = (cert, seconds) }
      }
    }
    let results = done.withLock { $0 }
    return matrices.indices.map { results[$0]! }
  }
}
