import ConvNet
import Foundation
import Hessian
import Reports
import Testing

/// The rows file: round trips, torn last lines, files that are not rows files.
@Suite struct RowJournalTests {
  func rows() throws -> [TableRow] { try runSweep(try sweep(tinySweep)).rows }

  @Test func rowsRoundTripThroughLines() throws {
    for row in try rows() {
      #expect(!row.line.dropLast().contains("\n"))
      var expected = row
      expected.seconds = (row.seconds * 1000).rounded() / 1000
      #expect(try TableRow(line: row.line) == expected)
    }
  }

  @Test func tornLastLineIsCutAndAppendsContinue() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("rows.jsonl").path
    let all = try rows()
    do {
      let j = try RowJournal(path: path)
      for r in all.prefix(3) { try j.append(r) }
    }
    let complete = try Data(contentsOf: URL(fileURLWithPath: path))
    // Every prefix of the next line, as a crash could leave it, is detected and cut.
    let next = Array(all[3].line.utf8)
    for cut in [1, 7, next.count / 2, next.count - 1] {
      try (complete + Data(next.prefix(cut))).write(to: URL(fileURLWithPath: path))
      let read = try RowJournal.read(path: path)
      #expect(read.rows.count == 3 && read.tornBytes == cut && read.skippedLines.isEmpty)
      let j = try RowJournal(path: path)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == complete, "cut back to the last complete line")
      try j.append(all[3])
      #expect(try RowJournal.read(path: path).rows.map(\.key) == all.prefix(4).map(\.key))
      try complete.write(to: URL(fileURLWithPath: path))
    }
  }

  @Test func linesThatAreNotRowsAreSkippedNotTrusted() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("rows.jsonl").path
    let all = try rows()
    // A torn line followed by more rows (e.g. files joined with cat) spoils only itself.
    let text = all[0].line + String(all[1].line.prefix(40)) + all[2].line + "\n" + all[3].line
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    let read = try RowJournal.read(path: path)
    #expect(read.rows.map(\.key) == [all[0].key, all[3].key])
    #expect(read.skippedLines == [2])
  }

  @Test func otherFilesAreRefusedAndLeftAlone() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweepFile = dir.appendingPathComponent("sweep.json").path
    try Data(tinySweep.utf8).write(to: URL(fileURLWithPath: sweepFile))
    #expect(throws: SweepError.self) { try RowJournal(path: sweepFile) }
    let oneLine = dir.appendingPathComponent("one.json").path
    try Data(#"{"architecture": "8 dense(2)"}"#.utf8).write(to: URL(fileURLWithPath: oneLine))
    #expect(throws: SweepError.self) { try RowJournal(path: oneLine) }
    #expect(try String(contentsOfFile: oneLine, encoding: .utf8) == #"{"architecture": "8 dense(2)"}"#, "not truncated")
    #expect(try String(contentsOfFile: sweepFile, encoding: .utf8) == tinySweep)
  }
}
