import ConvNet
import Foundation
import Hessian
import Reports
import Testing

/// Running sweeps: published ranks and formulas, resuming, sharding.
@Suite struct RunnerTests {
  /// The four deep linear fully connected rows of rank-formulas.md (paper 2), zipped, with the
  /// depth from a repeat block: exact ranks as published and every fc-paper verdict TIGHT.
  @Test func paperFullyConnectedRowsAreTight() throws {
    let spec = try sweep("""
      {"architecture": "{d} dense({m1}) {repeat two: dense({m2})} dense({K})", "mode": "zip",
       "axes": {"d": [8, 8, 10, 8], "m1": [6, 2, 4, 5], "two": [1, 1, 1, 0], "m2": [6, 6, 4, 1], "K": [3, 3, 6, 4],
                "samples": [100, 100, 5, 100]},
       "method": "modular", "bounds": ["fc-paper", "trivial"]}
      """)
    let outcome = try runSweep(spec)
    #expect(outcome.failures.isEmpty && outcome.computed == 4)
    let published = [[24, 63, 78], [18, 32, 42], [28, 56, 60], [32, 40, 56]]
    #expect(outcome.rows.map { r in r.ranks.map(\.rank) } == published)
    #expect(outcome.rows.map(\.p) == [102, 46, 80, 60])
    #expect(outcome.rows.map(\.dataRank) == [8, 8, 5, 8])
    for row in outcome.rows {
      let paper = row.annotations.filter { $0.bound == "fc-paper" }
      #expect(paper.count == 3 && paper.allSatisfy { $0.verdict == .tight }, "\(row.config.architecture)")
      #expect(!row.annotations.contains { $0.verdict == .violated })
    }
  }

  /// One-conv-layer rows of the CNN table in rank-formulas.md: the derived formulas are TIGHT
  /// and the receptive-field bound 2c₀mk equals rank(H_f) for one layer.
  @Test func oneConvLayerRowsMatchTheDerivedFormulas() throws {
    let spec = try sweep("""
      {"architecture": "{c}x{d} conv({m},k={k}) dense({K})", "mode": "zip",
       "axes": {"c": [1, 1, 2], "d": [12, 10, 8], "k": [3, 8, 3], "m": [2, 2, 4], "K": [2, 4, 3]},
       "samples": 100, "method": "modular", "bounds": ["cnn1-derived", "cnn-hf-rf"]}
      """)
    let outcome = try runSweep(spec)
    #expect(outcome.rows.map { r in r.ranks.map(\.rank) } == [[24, 12, 35], [36, 32, 40], [48, 48, 92]])
    for row in outcome.rows {
      #expect(row.annotations.count == 3)
      #expect(row.annotations.allSatisfy { $0.verdict == .tight }, "\(row.annotations)")
    }
  }

  /// Resuming after an interrupted run (some rows in the file, a torn last line) gives the
  /// same rows and the same rendered tables as one uninterrupted run, and computes only the
  /// missing rows.
  @Test func resumeAfterInterruptionGivesTheSameTable() throws {
    let spec = try sweep(tinySweep)
    let full = try runSweep(spec, jobs: 2)
    #expect(full.rows.count == 8 && full.failures.isEmpty)

    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("rows.jsonl").path
    // An "interrupted" run: shard 0/3 only, then a crash in the middle of writing a row.
    let partial = try runSweep(spec, jobs: 1, shard: try Shard(index: 0, count: 3), journal: try RowJournal(path: path))
    #expect(partial.computed == 3)
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data(full.rows[1].line.utf8.prefix(57)))
    try handle.close()

    let journal = try RowJournal(path: path)
    #expect(journal.existing.rows.count == 3 && journal.existing.tornBytes == 57)
    let resumed = try runSweep(spec, jobs: 2, journal: journal)
    #expect(resumed.reused == 3 && resumed.computed == 5)
    #expect(withoutTimes(resumed.rows) == withoutTimes(full.rows))
    for format in TableFormat.allCases {
      #expect(TableRenderer(rows: withoutTimes(resumed.rows), title: "tiny").render(format)
                == TableRenderer(rows: withoutTimes(full.rows), title: "tiny").render(format), "\(format)")
    }
    // The file now holds every row once, and a third run computes nothing.
    let contents = try RowJournal.read(path: path)
    #expect(contents.tornBytes == 0 && contents.rows.count == 8 && Set(contents.rows.map(\.key)).count == 8)
    let again = try runSweep(spec, journal: try RowJournal(path: path))
    #expect(again.computed == 0 && again.reused == 8)
  }

  /// Shards run into separate files together hold exactly the rows of one full run.
  @Test func shardFilesTogetherHoldTheFullRun() throws {
    let spec = try sweep(tinySweep)
    let full = try runSweep(spec)
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var merged: [TableRow] = []
    for i in 0..<3 {
      let path = dir.appendingPathComponent("shard-\(i).jsonl").path
      let part = try runSweep(spec, jobs: 1, shard: try Shard(index: i, count: 3), journal: try RowJournal(path: path))
      #expect(part.rows.allSatisfy { $0.index % 3 == i })
      merged += try RowJournal.read(path: path).latestByKey
    }
    #expect(withoutTimes(merged.sorted { $0.index < $1.index }) == withoutTimes(full.rows))
  }

  /// A row taken over from a different sweep (here: fewer bounds) is re-annotated and
  /// re-recorded under the new sweep's hash, without recomputing its ranks.
  @Test func rowsFromAnEditedSweepAreReannotated() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("rows.jsonl").path
    let first = try sweep(#"{"architecture": "8 dense({m}) dense(3)", "axes": {"m": [2, 3]}, "samples": 20, "bounds": ["trivial"]}"#)
    _ = try runSweep(first, journal: try RowJournal(path: path))
    let second = try sweep(#"{"architecture": "8 dense({m}) dense(3)", "axes": {"m": [2, 3, 4]}, "samples": 20, "bounds": ["trivial", "fc-paper"]}"#)
    let outcome = try runSweep(second, journal: try RowJournal(path: path))
    #expect(outcome.reused == 2 && outcome.computed == 1)
    #expect(outcome.rows.allSatisfy { $0.sweep == second.hash && $0.annotations.contains { $0.bound == "fc-paper" } })
    let latest = try RowJournal.read(path: path).latestByKey
    #expect(latest.count == 3 && latest.allSatisfy { $0.sweep == second.hash })
  }
}
