import Foundation

/// Shared helpers for end-to-end tests that run the built `hessrank` binary.
enum CLITestSupport {
  /// The `hessrank` executable in the build products directory: the directory chain of the
  /// running test bundle is searched upward for a sibling `hessrank` file.
  static let executable: URL? = {
    let fm = FileManager.default
    var candidates: [URL] = []
    if let env = ProcessInfo.processInfo.environment["HESSRANK_BINARY"] {
      candidates.append(URL(fileURLWithPath: env))
    }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
      candidates.append(dir.appendingPathComponent("hessrank"))
      dir = dir.deletingLastPathComponent()
    }
    for bundle in Bundle.allBundles {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("hessrank"))
    }
    return candidates.first { url in
      var isDir: ObjCBool = false
      return fm.fileExists(atPath: url.path, isDirectory: &isDir) && !isDir.boolValue
        && fm.isExecutableFile(atPath: url.path)
    }
  }()

  /// The package root (for example files): the nearest ancestor of this source file with a
  /// Package.swift.
  static let packageRoot: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
      dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  }()

  /// A fresh temporary directory for one test.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Writes `text` to a file in `dir` and returns its path.
  static func write(_ text: String, named name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
  }
}

/// The result of one run of the binary.
struct CLIResult {
  /// The exit status.
  let status: Int32
  /// Everything written to standard output.
  let stdout: String
  /// Everything written to standard error.
  let stderr: String
}

/// Runs `hessrank` with `args` (working directory: the package root) and captures its output.
func runHessrank(_ args: [String]) throws -> CLIResult {
  guard let exe = CLITestSupport.executable else {
    throw CLITestError("hessrank binary not found next to the test bundle (set HESSRANK_BINARY)")
  }
  let process = Process()
  process.executableURL = exe
  process.arguments = args
  process.currentDirectoryURL = CLITestSupport.packageRoot
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes concurrently so that neither can fill up and block the child.
  nonisolated(unsafe) var errData = Data()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return CLIResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// A failure of the test harness itself.
struct CLITestError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
