import Exact
import Testing
@testable import FloatCheck

@Suite struct ParameterMappingTests {
  static let layout = [TensorSpec(name: "0.weight", shape: [2, 1, 3]), TensorSpec(name: "1.weight", shape: [2, 12])]

  @Test func exportedWeightsMapOntoTheLayoutInStateDictOrder() throws {
    let weights = try SafetensorsFile.read(Fixtures.path("net-n4/weights.safetensors")).tensors
    let theta = try ParameterMapping.exactParameters(weights, layout: Self.layout)
    #expect(theta.count == 30)
    #expect(theta[0] == (try Rational(exactly: weights["0.weight"]!.values[0])))
    #expect(theta[6] == (try Rational(exactly: weights["1.weight"]!.values[0])))
    // X.npy of a 1x8 input is (n, 1, 8).
    let x = try NumpyFile.read(Fixtures.path("net-n4/X.npy"))
    let samples = try ParameterMapping.exactSamples(x, sampleShapes: [[1, 8], [8]])
    #expect(samples.count == 4 && samples.values.count == 32)
    let y = try NumpyFile.read(Fixtures.path("net-n4/Y.npy"))
    #expect(try ParameterMapping.exactSamples(y, sampleShapes: [[2]]).count == 4)
  }

  @Test func weightsFromADirectoryASafetensorsFileOrOneNpyFile() throws {
    let fromDirectory = try TensorFiles.read(Fixtures.path("net-n4/weights"))
    let fromSafetensors = try TensorFiles.read(Fixtures.path("net-n4/weights.safetensors"))
    #expect(fromDirectory == fromSafetensors && fromDirectory.count == 2)
    let single = try TensorFiles.read(Fixtures.path("net-n4/weights/0.weight.npy"))
    #expect(single == ["0.weight": fromDirectory["0.weight"]!])
    expectError({ try TensorFiles.read(Fixtures.path("net-n4/summary.json")) }) {
      if case .headerTooLarge = $0 { true } else if case .truncated = $0 { true } else { false }
    }
  }

  @Test func mismatchesAreOneClearErrorEach() throws {
    let weights = try NumpyFile.readDirectory(Fixtures.path("net-n4/weights"))
    #expect(throws: TensorMappingError.missing(name: "1.bias", shape: [2], available: weights.keys.sorted())) {
      try ParameterMapping.exactParameters(weights, layout: Self.layout + [TensorSpec(name: "1.bias", shape: [2])])
    }
    #expect(throws: TensorMappingError.wrongShape(name: "0.weight", expected: [2, 1, 5], actual: [2, 1, 3])) {
      try ParameterMapping.exactParameters(weights, layout: [TensorSpec(name: "0.weight", shape: [2, 1, 5]), Self.layout[1]])
    }
    #expect(throws: TensorMappingError.unexpected(names: ["1.weight"])) {
      try ParameterMapping.exactParameters(weights, layout: [Self.layout[0]])
    }
    #expect(try ParameterMapping.exactParameters(weights, layout: [Self.layout[0]], allowExtra: true).count == 6)
    let x = try NumpyFile.read(Fixtures.path("net-n4/X.npy"))
    #expect(throws: TensorMappingError.wrongSampleShape(name: "X", expected: [[1, 9]], actual: [4, 1, 8])) {
      try ParameterMapping.exactSamples(x, sampleShapes: [[1, 9]])
    }
    let message = TensorMappingError.missing(name: "1.bias", shape: [2], available: ["0.weight"]).description
    #expect(message.contains("'1.bias' of shape (2,)") && message.contains("found: 0.weight"))
  }
}
