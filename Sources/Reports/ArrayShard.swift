extension Shard {
  /// The shard of a Slurm job-array task, from its environment (`--shard slurm` or
  /// `--shard slurm/N`).
  ///
  /// * With `count` N: shard i = `SLURM_ARRAY_TASK_ID`, which must be below N. This is right
  ///   for any array whose task ids are shard numbers: `--array=0-15` for N = 16, and reruns of
  ///   a few shards as stepped or sparse arrays (`--array=0-6:2`, `--array=3,5,9`).
  /// * Without: N = the array's size and i = the task's position in it, which Slurm's
  ///   environment determines only for an arithmetic array (`0-15`, `1-16`, `0-6:2`: i =
  ///   (id − min) / step); a sparse array (`3,5,9`) is refused, since its positions are not in
  ///   the environment.
  /// - Throws: `SweepError` when the variables are missing or inconsistent.
  public init(slurmArray environment: [String: String], count: Int?) throws(SweepError) {
    func number(_ name: String) throws(SweepError) -> Int {
      guard let text = environment[name] else {
        throw SweepError("--shard slurm: \(name) is not set; run as a Slurm job array task (sbatch --array=…), or give --shard i/N")
      }
      guard let v = Int(text), v >= 0 else { throw SweepError("--shard slurm: \(name)='\(String(text.prefix(20)))' is not a non-negative integer") }
      return v
    }
    let id = try number("SLURM_ARRAY_TASK_ID")
    if let count {
      guard id < count else {
        throw SweepError("--shard slurm/\(count): array task id \(id) is not a shard number (0…\(count - 1)); submit the array with ids 0…\(count - 1), e.g. --array=0-\(count - 1)")
      }
      try self.init(index: id, count: count)
      return
    }
    let low = try number("SLURM_ARRAY_TASK_MIN"), high = try number("SLURM_ARRAY_TASK_MAX")
    let size = try number("SLURM_ARRAY_TASK_COUNT")
    let step = environment["SLURM_ARRAY_TASK_STEP"].flatMap { Int($0) } ?? 1
    guard step >= 1, high >= low, (high - low) % step == 0, (high - low) / step + 1 == size, (id - low) % step == 0 else {
      throw SweepError("--shard slurm: the array (ids \(low)…\(high), \(size) tasks, step \(step)) is not evenly spaced, so a task's position is unknown; give the shard count: --shard slurm/N with task ids 0…N−1")
    }
    try self.init(index: (id - low) / step, count: size)
  }
}
