import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a JSON Lines file of rows holds.
public struct JournalContents: Sendable {
  /// The rows, in file order (a later row with the same key supersedes an earlier one).
  public var rows: [TableRow]
  /// Bytes of an unfinished last line (a write cut short by a crash), ignored.
  public var tornBytes: Int
  /// Complete lines that are not rows (skipped; their rows are computed again).
  public var skippedLines: [Int]
  /// Length of the file up to the end of the last complete line.
  public var validLength: Int

  /// The last row of every key, in order of first appearance.
  public var latestByKey: [TableRow] {
    var position: [String: Int] = [:]
    var out: [TableRow] = []
    for row in rows {
      if let i = position[row.key] { out[i] = row } else {
        position[row.key] = out.count
        out.append(row)
      }
    }
    return out
  }
}

/// An append-only JSON Lines file of finished rows: the loss-free record of a sweep.
///
/// Each row is appended with one `write` call on a descriptor opened with `O_APPEND`, then
/// `fsync`ed, so a killed process (even `kill -9`) loses at most the rows it was computing; a
/// line cut short by a crash is detected when the file is opened again and cut off.
public final class RowJournal: Sendable {
  /// The file.
  public let path: String
  /// What the file held when it was opened (torn tail removed).
  public let existing: JournalContents
  private let descriptor: Int32
  private let lock = Mutex(())

  /// Opens (creating if needed) the journal at `path`, reads its rows and truncates an
  /// unfinished last line.
  /// - Throws: `SweepError` when the file cannot be opened or is not a rows file.
  public init(path: String) throws(SweepError) {
    self.path = path
    let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
    guard fd >= 0 else { throw SweepError("cannot open \(path): \(String(cString: strerror(errno)))") }
    // The journal is read, appended to and truncated: only a regular file will do (a device
    // or FIFO given by mistake is refused, never truncated or read forever).
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw SweepError("\(path) is not a regular file; the rows file (--resume) must be one")
    }
    descriptor = fd
    do throws(SweepError) {
      let contents = try RowJournal.read(path: path)
      if contents.tornBytes > 0 {
        // Only ever cut what looks like the start of one of our rows.
        let tail = try RowJournal.tail(path: path, from: contents.validLength)
        let prefix = Array(#"{"key":"#.utf8)
        guard tail.starts(with: prefix) || prefix.starts(with: tail) else {
          throw SweepError("\(path) ends with text that is not a table row (no final newline); it is probably not a rows file, so it is left unchanged")
        }
        guard ftruncate(fd, off_t(contents.validLength)) == 0 else {
          throw SweepError("cannot cut the unfinished last line of \(path): \(String(cString: strerror(errno)))")
        }
      }
      existing = contents
    } catch {
      close(fd)
      throw error
    }
  }

  deinit { close(descriptor) }

  /// Appends one row (one `write`, then `fsync`). Safe to call from several threads.
  /// - Throws: `SweepError` when the write fails or is cut short (e.g. the disk is full).
  public func append(_ row: TableRow) throws(SweepError) {
    let bytes = Array(row.line.utf8)
    let result: Result<Void, SweepError> = lock.withLock { _ in
      var written = -1
      repeat {
        written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
      } while written < 0 && errno == EINTR
      guard written == bytes.count else {
        let why = written < 0 ? String(cString: strerror(errno)) : "wrote \(written) of \(bytes.count) bytes (disk full?)"
        return .failure(SweepError("cannot append a row to \(path): \(why)"))
      }
      guard fsync(descriptor) == 0 else {
        return .failure(SweepError("cannot flush \(path) to disk: \(String(cString: strerror(errno)))"))
      }
      return .success(())
    }
    try result.get()
  }

  /// The bytes of the file from `offset` on.
  static func tail(path: String, from offset: Int) throws(SweepError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw SweepError("cannot read \(path)") }
    return offset < data.count ? [UInt8](data[offset...]) : []
  }

  /// Reads the rows of a JSON Lines file without changing it.
  /// - Throws: `SweepError` when the file cannot be read, or when it has lines but none of
  ///   them is a row (it is probably not a rows file).
  public static func read(path: String) throws(SweepError) -> JournalContents {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw SweepError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")")
    }
    let bytes = [UInt8](data)
    var rows: [TableRow] = []
    var skipped: [Int] = []
    var firstProblem: String?
    var start = 0, lineNumber = 0
    var validLength = 0
    while let end = bytes[start...].firstIndex(of: 0x0A) {
      lineNumber += 1
      let line = String(decoding: bytes[start..<end], as: UTF8.self)
      if !line.trimmingCharacters(in: .whitespaces).isEmpty {
        do {
          rows.append(try TableRow(line: line))
        } catch {
          skipped.append(lineNumber)
          if firstProblem == nil { firstProblem = "line \(lineNumber): \(error.message)" }
        }
      }
      start = end + 1
      validLength = start
    }
    if rows.isEmpty && !skipped.isEmpty {
      throw SweepError("\(path) is not a file of table rows (\(firstProblem ?? "")); give a new file name or a file written by 'hessrank table --resume'")
    }
    return JournalContents(rows: rows, tornBytes: bytes.count - validLength, skippedLines: skipped, validLength: validLength)
  }
}
