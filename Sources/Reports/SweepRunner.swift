import ConvNet
import ExactLinearAlgebra
import Foundation
import Hessian
import Synchronization

/// A row that could not be computed.
public struct RowFailure: Error, Sendable {
  /// The row's index in the sweep.
  public let index: Int
  /// Its config, e.g. `1x12 conv(2,k=3) dense(2), n = 100, seed 1`.
  public let config: String
  /// What went wrong.
  public let message: String
}

/// Where a run stands, for progress lines.
public struct SweepProgress: Sendable {
  /// Rows finished (computed now or taken from the rows file).
  public let done: Int
  /// Rows of this run (the shard's rows).
  public let total: Int
  /// Seconds since the run started.
  public let elapsed: Double
  /// Estimated seconds until the end (nil before the first computed row).
  public let remaining: Double?
}

/// The rows of a run and how they were obtained.
public struct SweepOutcome: Sendable {
  /// The finished rows of the run (its shard), in sweep order.
  public let rows: [TableRow]
  /// Rows computed in this run.
  public let computed: Int
  /// Rows taken from the rows file.
  public let reused: Int
  /// Rows that could not be computed.
  public let failures: [RowFailure]
  /// Rows the run was asked for.
  public let planned: Int
}

/// Computes the rows of a sweep, in parallel, appending each finished row to a journal.
public struct SweepRunner: Sendable {
  /// The expanded sweep.
  public let plan: SweepPlan
  /// The annotators whose columns every row gets.
  public let annotators: [any RowAnnotator]

  /// A runner.
  public init(plan: SweepPlan, annotators: [any RowAnnotator]) {
    self.plan = plan
    self.annotators = annotators
  }

  /// The annotations of one row (an annotator that throws gives one column with the error).
  public func annotations(for context: RowContext) -> [Annotation] {
    annotators.flatMap { a -> [Annotation] in
      do {
        return try a.annotate(context)
      } catch {
        return [.notApplicable(a.id, nil, column: a.id, why: "error: \(error)")]
      }
    }
  }

  /// Computes one row: the exact instance, the ranks, the annotations.
  /// - Parameter threads: threads for the eliminations inside the row.
  public func compute(_ row: PlannedRow, threads: Int) throws -> TableRow {
    let clock = ContinuousClock()
    let start = clock.now
    let spec = plan.spec
    let instance = try NetworkInstance(architecture: row.config.architecture, settings: row.config.instance)
    var options = HessianRankOptions(kinds: spec.kinds, method: spec.method, primes: spec.primes, threads: threads)
    options.loss = row.config.instance.loss
    let report = try HessianRanks.compute(instance, options: options)
    let ranks = report.results.map { RankEntry(kind: $0.kind, rank: $0.rank, proved: $0.isProved) }
    let seconds = (clock.now - start).seconds
    let context = RowContext(
      config: row.config, p: report.p, n: report.n, k: report.k, dataRank: report.dataRank,
      ranks: Dictionary(uniqueKeysWithValues: ranks.map { ($0.kind, $0.rank) }),
      proved: Dictionary(uniqueKeysWithValues: ranks.map { ($0.kind, $0.proved) }), instance: { instance })
    return TableRow(
      key: row.key, sweep: plan.hash, index: row.index, total: plan.rows.count, configIndex: row.configIndex,
      seedIndex: row.seedIndex, settings: row.settings, config: row.config, p: report.p, n: report.n, k: report.k,
      dataRank: report.dataRank, method: report.method.rawValue, ranks: ranks, annotations: annotations(for: context),
      seconds: seconds, sweepName: spec.name, plotAxis: spec.plotAxis)
  }

  /// A row from an earlier run (found by key), placed in this sweep: index, settings and the
  /// sweep hash updated, annotations recomputed when it came from a different sweep.
  func adopt(_ old: TableRow, as row: PlannedRow) -> (row: TableRow, changed: Bool) {
    var r = old
    r.index = row.index
    r.total = plan.rows.count
    r.configIndex = row.configIndex
    r.seedIndex = row.seedIndex
    r.settings = row.settings
    r.sweep = plan.hash
    // Rows read back keep only the settings; a point from files needs the values read again.
    if !row.config.instance.files.isEmpty { r.config = row.config }
    r.sweepName = plan.spec.name
    r.plotAxis = plan.spec.plotAxis
    if old.sweep != plan.hash { r.annotations = annotations(for: r.context) }
    return (r, r != old)
  }

  /// Runs the rows of `shard` (all rows when nil) on `jobs` parallel workers. Rows whose key is
  /// already in the journal are not computed again; every computed row is appended to the
  /// journal as soon as it is finished.
  /// - Parameter progress: called (serially) after every finished row.
  /// - Throws: `SweepError` only when the journal cannot be written (rows already appended
  ///   stay); failures of single rows are reported in the outcome.
  public func run(jobs: Int, shard: Shard? = nil, journal: RowJournal? = nil,
                  progress: (@Sendable (SweepProgress) -> Void)? = nil) throws(SweepError) -> SweepOutcome {
    let planned = plan.rows(in: shard)
    let clock = ContinuousClock()
    let start = clock.now
    var finished: [Int: TableRow] = [:]
    var todo: [PlannedRow] = []
    var existing: [String: TableRow] = [:]
    for row in journal?.existing.latestByKey ?? [] { existing[row.key] = row }
    for row in planned {
      if let old = existing[row.key] {
        let (adopted, changed) = adopt(old, as: row)
        if changed, let journal { try journal.append(adopted) }
        finished[row.index] = adopted
      } else {
        todo.append(row)
      }
    }
    let reused = finished.count
    progress?(SweepProgress(done: reused, total: planned.count, elapsed: (clock.now - start).seconds, remaining: nil))

    struct State {
      var next = 0
      var results: [Int: TableRow] = [:]
      var failures: [RowFailure] = []
      var fatal: SweepError?
      var computed = 0
      /// Estimated cost (p³ per row: the elimination of a p×p matrix) of the rows finished so far.
      var costDone = 0.0
    }
    let state = Mutex(State())
    let workers = max(1, min(jobs, todo.count))
    let threads = max(1, ModularElimination.defaultThreads / workers)
    let total = planned.count
    let work = todo
    // Rows differ in size by orders of magnitude: the time left is estimated from the cost done
    // and the cost left, each row weighted by p³, not from a count of rows.
    let cost: @Sendable (PlannedRow) -> Double = { row in pow(Double(max(1, row.parameterCount)), 3) }
    let workCost = work.reduce(0) { $0 + cost($1) }
    let runner = self
    if !work.isEmpty {
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
          let taken: PlannedRow? = state.withLock { s in
            guard s.fatal == nil, s.next < work.count else { return nil }
            defer { s.next += 1 }
            return work[s.next]
          }
          guard let row = taken else { return }
          let outcome: Result<TableRow, RowFailure>
          do {
            outcome = .success(try runner.compute(row, threads: threads))
          } catch {
            let s = row.config.instance
            outcome = .failure(RowFailure(index: row.index, config: "\(row.config.architecture), n = \(s.samples), seed \(s.seed)",
                                          message: "\(error)"))
          }
          state.withLock { s in
            s.costDone += cost(row)
            switch outcome {
            case .success(let r):
              do throws(SweepError) {
                try journal?.append(r)
                s.results[r.index] = r
                s.computed += 1
              } catch {
                s.fatal = error
              }
            case .failure(let f): s.failures.append(f)
            }
            if let progress {
              let elapsed = (clock.now - start).seconds
              let done = reused + s.results.count + s.failures.count
              let remaining = s.costDone > 0 ? elapsed * max(0, workCost - s.costDone) / s.costDone : nil
              progress(SweepProgress(done: done, total: total, elapsed: elapsed, remaining: remaining))
            }
          }
        }
      }
    }
    let final = state.withLock { $0 }
    if let fatal = final.fatal { throw fatal }
    for (i, r) in final.results { finished[i] = r }
    let rows = planned.compactMap { finished[$0.index] }
    return SweepOutcome(rows: rows, computed: final.computed, reused: reused,
                        failures: final.failures.sorted { $0.index < $1.index }, planned: planned.count)
  }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}
