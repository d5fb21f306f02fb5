import Foundation
import OutputFiles

/// Every file the CLI writes goes through `OutputFile` (atomic replace of regular files, links
/// followed, devices and FIFOs written in place, `-` for standard output).
enum AtomicFile {
  /// Writes `data` to `path`; errors become one CLI line.
  static func write(_ data: Data, to path: String) throws {
    do {
      try OutputFile.write([UInt8](data), to: path)
    } catch {
      throw CLIError(error.description)
    }
  }
}
