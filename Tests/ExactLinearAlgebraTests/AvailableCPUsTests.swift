import ExactLinearAlgebra
import Foundation
import Testing

/// The CPUs a process may use: affinity list and cgroup quotas.
@Suite struct AvailableCPUsTests {
  @Test func parsesKernelCPUListsAndQuotas() {
    #expect(AvailableCPUs.cpuListCount("0-3,8,10-11\n") == 7)
    #expect(AvailableCPUs.cpuListCount("5") == 1)
    #expect(AvailableCPUs.cpuListCount("3-1") == nil && AvailableCPUs.cpuListCount("x") == nil)
    #expect(AvailableCPUs.quotaV2("200000 100000\n") == 2)
    #expect(AvailableCPUs.quotaV2("150000 100000") == 2, "a fractional quota rounds up")
    #expect(AvailableCPUs.quotaV2("max 100000") == nil)
    #expect(AvailableCPUs.quotaV1(quota: "-1\n", period: "100000\n") == nil)
    #expect(AvailableCPUs.quotaV1(quota: "400000", period: "100000") == 4)
  }

  /// The affinity count agrees with coreutils' `nproc` (which asks sched_getaffinity), and
  /// the thread count never exceeds it.
  @Test func affinityAgreesWithNproc() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/nproc") else { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/nproc")
    var env = ProcessInfo.processInfo.environment
    env["OMP_NUM_THREADS"] = nil
    env["OMP_THREAD_LIMIT"] = nil
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let n = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(AvailableCPUs.affinityCount() == n)
    #expect(AvailableCPUs.count >= 1 && AvailableCPUs.count <= n)
  }
}
