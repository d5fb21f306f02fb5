import Foundation

/// Runs the built `hessrank` executable and returns its exit status and output.
///
/// The binary sits next to the test bundle in `.build/<configuration>/`.
func runHessrankForDescribe(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = hessrankExecutableForDescribe()
  process.arguments = args
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes before waiting so a large output cannot fill a pipe and block the child.
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

func hessrankExecutableForDescribe() -> URL {
  var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = dir.appendingPathComponent("hessrank")
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    dir = dir.deletingLastPathComponent()
  }
  return Bundle.main.bundleURL.appendingPathComponent("hessrank")
}

/// The package root (for the bundled example configs).
let packageRootForDescribe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
