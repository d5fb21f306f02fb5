#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How much memory a run may use, in bytes: taken from the machine, never a fixed figure.
///
/// The budget is the smallest of
/// * 85 % of the physical memory,
/// * the cgroup's memory limit (v2 `memory.max`, or v1 `memory.limit_in_bytes`) less what the
///   cgroup already uses,
/// * the address-space limit (`RLIMIT_AS`, `ulimit -v`) less what this process has mapped,
///
/// unless `--memory` (or the `HESSRANK_MEMORY` environment variable) sets it explicitly.
/// Every large computation estimates its whole run (instance, forward pass, matrices,
/// elimination) and compares the estimate with this budget before it allocates anything.
public enum MemoryBudget {
  private static let explicitBytes = Mutex<Int?>(nil)

  /// The budget in bytes.
  public static var bytes: Int {
    if let b = explicitBytes.withLock({ $0 }) { return b }
    return detected().bytes
  }

  /// Where the budget comes from, for messages: "physical memory", "cgroup limit", …
  public static var source: String {
    if explicitBytes.withLock({ $0 }) != nil { return "--memory" }
    return detected().source
  }

  /// Sets the budget explicitly (from `--memory` or `HESSRANK_MEMORY`).
  public static func set(bytes: Int) { explicitBytes.withLock { $0 = bytes } }

  /// `"12.5 GiB"`, `"800 MiB"`.
  public static func describe(_ bytes: Int) -> String {
    if bytes >= 1 << 30 {
      let tenths = (bytes * 10) >> 30
      return "\(tenths / 10).\(tenths % 10) GiB"
    }
    return "\(max(bytes >> 20, 0)) MiB"
  }

  /// Reads a size like `800M`, `16G`, `2.5G`, `1048576` (bytes), `64K`; nil when malformed.
  public static func parse(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: " ")
    guard let last = t.last else { return nil }
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
    var number = t
    var unit = 1
    if let u = units[last] {
      unit = u
      number = String(t.dropLast())
      if number.hasSuffix("i") || number.hasSuffix("B") { return nil }
    }
    let parts = number.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, let whole = Int(parts[0]), whole >= 0 else { return nil }
    var value = whole.multipliedReportingOverflow(by: unit)
    guard !value.overflow else { return nil }
    if parts.count == 2 {
      guard !parts[1].isEmpty, parts[1].count <= 3, let frac = Int(parts[1]), frac >= 0 else { return nil }
      var scale = 1
      for _ in 0..<parts[1].count { scale *= 10 }
      value = value.partialValue.addingReportingOverflow(unit / scale * frac)
      guard !value.overflow else { return nil }
    }
    return value.partialValue > 0 ? value.partialValue : nil
  }

  /// The machine's limits as they are now.
  public static func detected() -> (bytes: Int, source: String) {
    var best = (bytes: Int.max, source: "no limit found")
    func consider(_ bytes: Int?, _ source: String) {
      if let b = bytes, b < best.bytes { best = (max(b, 0), source) }
    }
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
    if pages > 0, pageSize > 0 {
      let physical = pages.multipliedReportingOverflow(by: pageSize)
      if !physical.overflow { consider(physical.partialValue / 100 * 85, "85% of physical memory") }
    }
    if let limit = cgroupLimit() { consider(limit, "cgroup memory limit") }
    var rl = rlimit()
    if getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0, rl.rlim_cur < UInt(Int.max) {
      consider(Int(rl.rlim_cur) - mappedBytes(), "address-space limit (ulimit -v)")
    }
    return best
  }

  /// The cgroup's limit less its current usage, when a limit is set.
  static func cgroupLimit() -> Int? {
    if let max = readNumber("/sys/fs/cgroup/memory.max") {
      return max - (readNumber("/sys/fs/cgroup/memory.current") ?? 0)
    }
    if let max = readNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes"), max < 1 << 60 {
      return max - (readNumber("/sys/fs/cgroup/memory/memory.usage_in_bytes") ?? 0)
    }
    return nil
  }

  /// The process's mapped address space (VmSize), in bytes.
  static func mappedBytes() -> Int {
    guard let text = readFile("/proc/self/statm"), let first = text.split(separator: " ").first, let pages = Int(first) else { return 0 }
    return pages * sysconf(Int32(_SC_PAGESIZE))
  }

  static func readNumber(_ path: String) -> Int? {
    guard let text = readFile(path) else { return nil }
    return Int(text.trimmingCharacters(in: "\n "))
  }

  static func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, 256, f) != nil else { return nil }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: String) -> String {
    let chars = Set(set)
    var s = Substring(self)
    while let c = s.first, chars.contains(c) { s = s.dropFirst() }
    while let c = s.last, chars.contains(c) { s = s.dropLast() }
    return String(s)
  }
}
