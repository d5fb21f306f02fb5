import ResourceLimits
import ConvNet
import InstanceFiles
import Hessian

/// One axis value of a config, e.g. m = 4.
public struct AxisSetting: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// The axis name.
  public let name: String
  /// The value as text.
  public let value: String

  /// A setting.
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }

  /// `name=value`.
  public var description: String { "\(name)=\(value)" }
}

/// One row to compute: a config at one seed.
public struct PlannedRow: Sendable {
  /// Position in the sweep's deterministic order (config-major, then seed).
  public let index: Int
  /// Which config (0-based, expansion order).
  public let configIndex: Int
  /// Which of the config's seeds (0-based).
  public let seedIndex: Int
  /// The axis values of the config.
  public let settings: [AxisSetting]
  /// The network and the instance settings (with this row's seed).
  public let config: NetworkConfig
  /// Number of parameters p.
  public let parameterCount: Int
  /// The identity of the row's result: canonical config + seed + what is computed.
  public let key: String
}

/// Which share of the rows one process computes: rows whose index ≡ `index` (mod `count`).
public struct Shard: Equatable, Sendable, CustomStringConvertible {
  /// 0-based shard number.
  public let index: Int
  /// Number of shards.
  public let count: Int

  /// Shard `index` of `count`.
  public init(index: Int, count: Int) throws(SweepError) {
    guard count >= 1, (0..<count).contains(index) else {
      throw SweepError("shard must be i/N with 0 ≤ i < N, got \(index)/\(count)")
    }
    self.index = index
    self.count = count
  }

  /// Parses `i/N` (0 ≤ i < N).
  public init(parsing text: String) throws(SweepError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
      throw SweepError("--shard must be i/N (e.g. 0/4 … 3/4 for four shards), got '\(text)'")
    }
    try self.init(index: i, count: n)
  }

  /// Whether row `index` belongs to this shard.
  public func contains(_ index: Int) -> Bool { index % count == self.index }

  /// `i/N`.
  public var description: String { "\(index)/\(count)" }
}

/// A checked, expanded sweep: every row with its config and key, built before any work.
public struct SweepPlan: Sendable {
  /// The spec.
  public let spec: SweepSpec
  /// The sweep hash (`spec.hash`).
  public let hash: String
  /// All rows, in order.
  public let rows: [PlannedRow]

  /// The rows of one shard (all rows when nil).
  public func rows(in shard: Shard?) -> [PlannedRow] {
    guard let shard else { return rows }
    return rows.filter { shard.contains($0.index) }
  }
}

/// The identity of a computed row.
public enum RowKey {
  /// `architecture | n=… seed=… range=… den=… targets=… | H_o,H_f,H_L | method primes=…`
  /// (` loss=ce` after the targets for a cross-entropy row; MSE keys are unchanged).
  public static func make(config: NetworkConfig, kinds: [HessianKind], method: RankMethod, primes: Int) -> String {
    let s = config.instance
    // A point read from files is identified by the files' digests too.
    let files = s.files.all.map { " \($0.role)=\($0.reference.sha256.map { String($0.prefix(16)) } ?? $0.reference.path)" }.joined()
    return "\(config.architecture) | n=\(s.samples) seed=\(s.seed) range=\(s.range) den=\(s.maxDenominator) targets=\(s.targets.rawValue)\(files)\(s.loss == .mse ? "" : " loss=\(s.loss.rawValue)") | \(kinds.map(\.symbol).joined(separator: ",")) | \(method.rawValue) primes=\(primes)"
  }
}

extension SweepSpec {
  /// The axis values of every config, in expansion order (groups crossed, first outermost).
  public func expandedSettings() -> [[AxisSetting]] {
    var out: [[AxisSetting]] = [[]]
    for g in groups {
      var next: [[AxisSetting]] = []
      next.reserveCapacity(out.count * g.count)
      for prefix in out {
        for i in 0..<g.count { next.append(prefix + g.settings(at: i)) }
      }
      out = next
    }
    return out
  }

  /// Expands and checks every config before any work: the template renders, the architecture
  /// parses and is valid, the instance settings are valid, the matrices fit in memory, and no
  /// two rows are the same computation.
  /// - Throws: `SweepError` naming the config (its number and axis values) and the problem.
  public func plan() throws(SweepError) -> SweepPlan {
    var rows: [PlannedRow] = []
    var keys: [String: Int] = [:]
    let placeholders = Set(template.placeholders)
    for (c, settings) in expandedSettings().enumerated() {
      let label = "config \(c)" + (settings.isEmpty ? "" : " (\(settings.map(\.description).joined(separator: ", ")))")
      var values: [String: String] = [:]
      var instance = base
      for s in settings {
        if placeholders.contains(s.name) { values[s.name] = s.value }
        if SweepSpec.instanceAxes.contains(s.name) {
          try SweepSpec.apply(s.name, value: s.value, to: &instance, context: label)
        }
      }
      let text: String
      do {
        text = try template.render(values)
      } catch {
        throw SweepError("\(label): \(error.message)")
      }
      let architecture: Architecture
      let p: Int
      do {
        architecture = try Architecture(parsing: text)
        p = try architecture.parameterCount()
      } catch {
        throw SweepError("\(label): invalid architecture: \(error)")
      }
      if rangeFollowsArchitecture { instance.range = InstanceSettings.defaultRange(for: architecture) }
      let rowsJ = instance.samples.multipliedReportingOverflow(by: architecture.outputCount)
      let resolved = HessianRanks.resolvedMethod(method, p: p, jacobianRows: rowsJ.partialValue, wantCertificates: false)
      var needed = rowsJ.overflow ? Int.max
        : HessianRanks.memoryEstimate(method: resolved, p: p, jacobianRows: rowsJ.partialValue,
                                      workspaceRows: MatrixFreeRanks.workspaceRows(architecture), kinds: kinds, threads: 1)
      if let plan = try? NetworkPlan(architecture) {
        needed = min(needed &+ NetworkInstance.memoryEstimate(plan: plan, samples: instance.samples), Int.max / 2)
      }
      guard needed <= HessianRanks.memoryBudget else {
        throw SweepError("\(label): \(architecture) with n = \(instance.samples) needs about \(MemoryBudget.describe(needed)) with the \(resolved.rawValue) method; the memory budget is \(MemoryBudget.describe(HessianRanks.memoryBudget)) (\(MemoryBudget.source)); use smaller sizes\(resolved == .matrixFree ? "" : " or \"method\": \"matrix-free\""), or set --memory")
      }
      for (si, seed) in seeds.seeds(base: instance.seed).enumerated() {
        var settingsWithSeed = instance
        settingsWithSeed.seed = seed
        if !settingsWithSeed.files.isEmpty {
          // A fixed dataset: the first `samples` rows of the files.
          settingsWithSeed.files.rowLimit = settingsWithSeed.samples
          do {
            settingsWithSeed = try InstanceFiles.resolve(settingsWithSeed, architecture: architecture)
          } catch {
            throw SweepError("\(label): \(error.description)")
          }
        }
        let config = NetworkConfig(architecture: architecture, instance: settingsWithSeed)
        do {
          try config.validate()
        } catch {
          throw SweepError("\(label): \(error.message)")
        }
        let key = RowKey.make(config: config, kinds: kinds, method: method, primes: primes)
        if let other = keys[key] {
          throw SweepError("\(label) at seed \(seed) is the same computation as row \(other) (\(config.architecture), n = \(settingsWithSeed.samples)); remove the duplicate axis values or overlapping seeds")
        }
        keys[key] = rows.count
        rows.append(PlannedRow(index: rows.count, configIndex: c, seedIndex: si, settings: settings, config: config,
                               parameterCount: p, key: key))
      }
    }
    return SweepPlan(spec: self, hash: hash, rows: rows)
  }
}
