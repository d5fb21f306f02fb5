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

  /// Inside a Slurm job the task's allocation caps the count (--cpus-per-task first, else the
  /// job's CPUs on the node); outside one, or with values that are not positive integers, no cap.
  @Test func slurmAllocationCapsTheCount() {
    #expect(AvailableCPUs.slurmAllocation(["SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "3", "SLURM_CPUS_ON_NODE": "8"]) == 3)
    #expect(AvailableCPUs.slurmAllocation(["SLURM_JOB_ID": "7", "SLURM_CPUS_ON_NODE": "1"]) == 1)
    #expect(AvailableCPUs.slurmAllocation(["SLURM_CPUS_PER_TASK": "3"]) == nil, "not inside a job")
    #expect(AvailableCPUs.slurmAllocation(["SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "0", "SLURM_CPUS_ON_NODE": "x"]) == nil)
    #expect(AvailableCPUs.slurmAllocation(["SLURM_JOB_ID": "7", "SLURM_CPUS_PER_TASK": "-2", "SLURM_CPUS_ON_NODE": "2"]) == 2)
    #expect(AvailableCPUs.slurmAllocation([:]) == nil)
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
