import Exact
import Foundation
import Testing
@testable import ConvNet

/// The fixture written by `examples/pytorch-fixture/make_fixture.py` (an independent NumPy
/// implementation of PyTorch's layers) agrees with this module's parameter layout.
@Suite struct PyTorchFixtureLayoutTests {
  static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/pytorch_forward.json")

  struct FixtureCase {
    var name: String
    var architecture: String
    var p: Int
    var tensors: [(name: String, shape: [Int], offset: Int)]
    var weights: [Rational]
    var inputs: [[Rational]]
    var outputs: [[Rational]]
  }

  static func loadCases() throws -> [FixtureCase] {
    let root = try JSONValue.parse(Array(try Data(contentsOf: fixtureURL)))
    func field(_ v: JSONValue, _ key: String) throws -> JSONValue {
      guard case .object(let pairs) = v, let x = pairs.first(where: { $0.key == key })?.value else {
        throw ConfigError("fixture lacks \(key)")
      }
      return x
    }
    func array(_ v: JSONValue) throws -> [JSONValue] {
      guard case .array(let a) = v else { throw ConfigError("fixture: expected an array") }
      return a
    }
    func int(_ v: JSONValue) throws -> Int {
      guard case .number(let t) = v, let n = Int(t) else { throw ConfigError("fixture: expected an integer") }
      return n
    }
    func string(_ v: JSONValue) throws -> String {
      guard case .string(let s) = v else { throw ConfigError("fixture: expected a string") }
      return s
    }
    func rows(_ v: JSONValue) throws -> [[Rational]] {
      try array(v).map { try array($0).map { try Rational(parsing: try string($0)) } }
    }
    return try array(try field(root, "cases")).map { c in
      FixtureCase(
        name: try string(try field(c, "name")), architecture: try string(try field(c, "architecture")), p: try int(try field(c, "p")),
        tensors: try array(try field(c, "tensors")).map {
          (try string(try field($0, "name")), try array(try field($0, "shape")).map(int), try int(try field($0, "offset")))
        },
        weights: try array(try field(c, "weights")).map { try Rational(parsing: try string($0)) },
        inputs: try rows(try field(c, "inputs")), outputs: try rows(try field(c, "outputs")))
    }
  }

  @Test func stateDictNamesShapesAndOffsetsMatch() throws {
    let cases = try Self.loadCases()
    #expect(cases.count >= 4)
    for c in cases {
      let a = try Architecture(parsing: c.architecture)
      #expect(a.description == c.architecture, "fixture strings are canonical")
      #expect(try a.parameterCount() == c.p)
      let tensors = try a.parameterTensors()
      #expect(tensors.map(\.name) == c.tensors.map(\.name), "\(c.name)")
      #expect(tensors.map(\.shape) == c.tensors.map(\.shape), "\(c.name)")
      #expect(tensors.map(\.offset) == c.tensors.map(\.offset), "\(c.name)")
      #expect(c.weights.count == c.p)
      #expect(c.outputs.allSatisfy { $0.count == a.outputCount })
      // The fixture's values make a valid explicit-instance config.
      var settings = InstanceSettings(samples: c.inputs.count)
      settings.weights = c.weights
      settings.inputs = c.inputs
      settings.targetValues = c.outputs
      let config = NetworkConfig(architecture: a, instance: settings)
      try config.validate()
      #expect(try NetworkConfig(json: config.jsonData()) == config)
    }
  }
}
