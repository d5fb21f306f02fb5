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

/// Runs `hessrank` with `args` (working directory: the package root, or `directory`) and returns
/// its exit status and everything it wrote. When the binary cannot be found or started, the
/// status is 127 and stderr says why (so expectations on the result fail with a clear message).
func runHessrank(_ args: [String], in directory: URL? = nil) -> (status: Int32, stdout: String, stderr: String) {
  guard let exe = CLITestSupport.executable else {
    return (127, "", "hessrank binary not found next to the test bundle (set HESSRANK_BINARY)")
  }
  let process = Process()
  process.executableURL = exe
  process.arguments = args
  process.currentDirectoryURL = directory ?? CLITestSupport.packageRoot
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  do {
    try process.run()
  } catch {
    return (127, "", "cannot start \(exe.path): \(error)")
  }
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
  return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
