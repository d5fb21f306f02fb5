import Foundation

/// Reading a user's input file with one line on why it cannot be read.
public enum InputFile {
  /// The bytes of the file at `path`, or the reason it cannot be read: "no such file", "is a
  /// directory, not a `kind`", or "cannot read the file".
  public static func read(_ path: String, kind: String) -> Result<Data, InputFileError> {
    do {
      return .success(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      return .failure(InputFileError(reason: !exists ? "no such file" : isDirectory.boolValue ? "is a directory, not a \(kind)" : "cannot read the file"))
    }
  }
}

/// Why an input file cannot be read (the reason, without the path).
public struct InputFileError: Error, Sendable {
  /// One short phrase.
  public let reason: String
}
