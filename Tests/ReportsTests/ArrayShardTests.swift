import Exact
import Foundation
import RankBounds
import Reports
import Testing

/// Shards of Slurm job arrays, and verdicts over seeds.
@Suite struct ArrayShardTests {
  func env(id: Int, min: Int, max: Int, step: Int, count: Int) -> [String: String] {
    ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "\(min)", "SLURM_ARRAY_TASK_MAX": "\(max)",
     "SLURM_ARRAY_TASK_STEP": "\(step)", "SLURM_ARRAY_TASK_COUNT": "\(count)"]
  }

  /// Every task of an evenly spaced array gets a different shard, and together they cover 0…N−1.
  @Test func evenlySpacedArraysCoverEveryShardOnce() throws {
    for (low, step, count) in [(0, 1, 16), (1, 1, 16), (0, 2, 4), (3, 5, 7)] {
      let ids = (0..<count).map { low + $0 * step }
      let shards = try ids.map { try Shard(slurmArray: env(id: $0, min: low, max: ids.last!, step: step, count: count), count: nil) }
      #expect(shards.map(\.index) == Array(0..<count), "array \(low)-\(ids.last!):\(step)")
      #expect(shards.allSatisfy { $0.count == count })
    }
  }

  /// With N given, the task id is the shard, whatever the array (here sparse: 3, 5, 9 of 10).
  @Test func explicitCountUsesTheTaskID() throws {
    for id in [3, 5, 9] {
      let s = try Shard(slurmArray: env(id: id, min: 3, max: 9, step: 1, count: 3), count: 10)
      #expect(s == (try Shard(index: id, count: 10)))
    }
    #expect(throws: SweepError.self) { try Shard(slurmArray: env(id: 9, min: 3, max: 9, step: 1, count: 3), count: 9) }
    #expect(throws: SweepError.self) { try Shard(slurmArray: env(id: 5, min: 3, max: 9, step: 1, count: 3), count: nil) }
    #expect(throws: SweepError.self) { try Shard(slurmArray: [:], count: 4) }
  }

  /// A claimed formula fails as SHORT only when no seed attains it; upper bounds never are SHORT.
  @Test func verdictsOverSeeds() {
    #expect(Verdict.judge(rank: BigInt(3), value: BigInt(4), claim: .equality) == .short)
    #expect(Verdict.judge(rank: BigInt(3), value: BigInt(4), claim: .upperBound) == .holds)
    #expect(Verdict.judge(rank: BigInt(5), value: BigInt(4), claim: .equality) == .violated)
    #expect(Verdict.judge(rank: BigInt(4), value: BigInt(4), claim: .equality) == .tight)
    #expect(Verdict.overSeeds([.short, .tight]) == .tight, "a degenerate seed beside one that attains the formula")
    #expect(Verdict.overSeeds([.short, .short]) == .short)
    #expect(Verdict.overSeeds([.tight, .violated]) == .violated)
    #expect(Verdict.overSeeds([Verdict]()) == nil)
    #expect(FailurePolicy(parsing: "violated") == FailurePolicy([.violated]))
    #expect(FailurePolicy(parsing: "short") == .violatedOrShort)
    #expect(FailurePolicy(parsing: "none") == FailurePolicy.none)
    #expect(FailurePolicy(parsing: "tight") == nil)
    #expect(FailurePolicy.violatedOrShort.fails([.tight, .short]) && !FailurePolicy([.violated]).fails([.short, .holds]))
  }
}
