import Foundation

/// How many CPUs this process may actually run on: the smaller of its affinity mask
/// (the kernel's `Cpus_allowed_list`, set by `sched_setaffinity`, `taskset`, Slurm's task/affinity and cpusets set) and its cgroup
/// CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, rounded
/// up), and inside a Slurm job its CPU allocation (`slurmAllocation`), never more than the
/// processor count. Thread pools are sized from this, so a Slurm task given 4 cores of a 64-core
/// node starts 4 threads, not 64 — also on clusters whose task plugin does not pin tasks.
public enum AvailableCPUs {
  /// The count for this process (computed once).
  public static let count: Int = compute()

  static func compute() -> Int {
    let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)
    var limit = processors
    if let n = affinityCount() { limit = min(limit, n) }
    if let q = cgroupQuota() { limit = min(limit, q) }
    if let s = slurmAllocation(ProcessInfo.processInfo.environment) { limit = min(limit, s) }
    return max(1, limit)
  }

  /// The CPUs Slurm allocated to this task, from its environment: `SLURM_CPUS_PER_TASK` (set by
  /// `--cpus-per-task`), else `SLURM_CPUS_ON_NODE` (the job's CPUs on this node; 1 by default)
  /// — nil outside a Slurm job (no `SLURM_JOB_ID`) or when neither is a positive integer.
  /// Clusters whose task plugin neither pins tasks nor sets a cgroup quota (`TaskPlugin=task/none`)
  /// leave the whole node in the affinity mask; without this, every task of an array sharing
  /// a node would start one thread per core.
  public static func slurmAllocation(_ environment: [String: String]) -> Int? {
    guard environment["SLURM_JOB_ID"] != nil else { return nil }
    for name in ["SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"] {
      if let text = environment[name], let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 { return n }
    }
    return nil
  }

  /// The number of CPUs in this process's affinity mask, from the kernel's
  /// `Cpus_allowed_list` in `/proc/self/status` (nil when it cannot be read).
  public static func affinityCount() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
      return cpuListCount(String(line.dropFirst("Cpus_allowed_list:".count)))
    }
    return nil
  }

  /// The number of CPUs in a kernel CPU list such as "0-3,8,10-11" (7); nil when malformed.
  public static func cpuListCount(_ text: String) -> Int? {
    var total = 0
    for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
      let ends = part.split(separator: "-", omittingEmptySubsequences: false)
      guard let a = Int(ends[0]) else { return nil }
      if ends.count == 1 { total += 1; continue }
      guard ends.count == 2, let b = Int(ends[1]), b >= a else { return nil }
      total += b - a + 1
    }
    return total > 0 ? total : nil
  }

  /// The CPU quota of this process's cgroup, rounded up (nil without a quota).
  static func cgroupQuota() -> Int? {
    guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
    var quotas: [Int] = []
    for (path, isV2) in cgroupPaths(membership) {
      var dir = path
      // A limit on any ancestor applies too: walk up to the root of the hierarchy.
      while true {
        let base = isV2 ? "/sys/fs/cgroup" + dir : "/sys/fs/cgroup/cpu" + dir
        if isV2 {
          if let text = try? String(contentsOfFile: base + "/cpu.max", encoding: .utf8), let q = quotaV2(text) { quotas.append(q) }
        } else if let quota = try? String(contentsOfFile: base + "/cpu.cfs_quota_us", encoding: .utf8),
                  let period = try? String(contentsOfFile: base + "/cpu.cfs_period_us", encoding: .utf8),
                  let q = quotaV1(quota: quota, period: period) {
          quotas.append(q)
        }
        if dir == "/" || dir.isEmpty { break }
        dir = (dir as NSString).deletingLastPathComponent
      }
    }
    return quotas.min()
  }

  /// The cgroup paths of `/proc/self/cgroup`: the v2 entry (`0::/path`) and the v1 cpu
  /// controller's (`N:cpu,cpuacct:/path`), each with whether it is v2.
  static func cgroupPaths(_ membership: String) -> [(path: String, isV2: Bool)] {
    var out: [(String, Bool)] = []
    for line in membership.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3 else { continue }
      if parts[0] == "0" && parts[1].isEmpty { out.append((String(parts[2]), true)) }
      else if parts[1].split(separator: ",").contains("cpu") { out.append((String(parts[2]), false)) }
    }
    return out
  }

  /// CPUs allowed by a cgroup v2 `cpu.max` ("200000 100000" → 2, "150000 100000" → 2,
  /// "max 100000" → nil).
  public static func quotaV2(_ text: String) -> Int? {
    let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
    guard f.count == 2, let quota = Int(f[0]), let period = Int(f[1]) else { return nil }
    return ceilingRatio(quota, period)
  }

  /// CPUs allowed by cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota −1: none).
  public static func quotaV1(quota: String, period: String) -> Int? {
    guard let q = Int(quota.trimmingCharacters(in: .whitespacesAndNewlines)),
          let p = Int(period.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
    return ceilingRatio(q, p)
  }

  static func ceilingRatio(_ quota: Int, _ period: Int) -> Int? {
    guard quota > 0, period > 0 else { return nil }
    return max(1, (quota + period - 1) / period)
  }
}
