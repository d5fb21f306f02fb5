import Exact
import Foundation
import Testing
@testable import FloatCheck

/// Paths and parsers for the committed fixtures (made by Fixtures/generate.py).
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

  static func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

  static func bytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
  }

  static func json(_ relative: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(relative))))
  }

  /// The exact Hessian written by export_hessian.py --exact: "# comment", "p p", rows of rationals.
  static func exactMatrix(_ relative: String) throws -> (rows: Int, cols: Int, entries: [Rational]) {
    let text = try String(contentsOfFile: path(relative), encoding: .utf8)
    var lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    let dims = lines.removeFirst().split(separator: " ").map { Int($0)! }
    var entries: [Rational] = []
    for line in lines {
      for token in line.split(separator: " ") { entries.append(try Rational(parsing: String(token))) }
    }
    precondition(entries.count == dims[0] * dims[1])
    return (dims[0], dims[1], entries)
  }

  /// A network fixture's summary.json.
  static func summary(_ net: String) throws -> [String: Any] {
    try json("\(net)/summary.json") as! [String: Any]
  }
}

/// Bitwise equality of doubles (so -0.0 ≠ 0.0 and the test sees every bit).
func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Expects `body` to throw a `TensorFileError` for which `matches` holds, with a one-line message.
func expectError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation,
                    _ matches: (TensorFileError) -> Bool) {
  do {
    _ = try body()
    Issue.record("no error thrown", sourceLocation: sourceLocation)
  } catch let e as TensorFileError {
    #expect(matches(e), "unexpected error: \(e)", sourceLocation: sourceLocation)
    #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
  } catch {
    Issue.record("not a TensorFileError: \(error)", sourceLocation: sourceLocation)
  }
}
