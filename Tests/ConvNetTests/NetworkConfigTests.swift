import Exact
import Foundation
import Testing
@testable import ConvNet

@Suite struct NetworkConfigTests {
  func config(_ json: String) throws -> NetworkConfig { try NetworkConfig(json: Data(json.utf8)) }

  func configError(_ json: String) throws -> ConfigError {
    try #require(throws: ConfigError.self) { try NetworkConfig(json: Data(json.utf8)) }
  }

  /// A random exact number: integers, fractions and huge values.
  func randomRational(_ random: inout SeededRandom) -> Rational {
    switch random.nextInt(in: 0...3) {
    case 0: return Rational(random.nextInt(in: -9...9))
    case 1: return random.nextRational(bound: 5, maxDenominator: 12)
    case 2: return Rational(BigInt(random.nextInt(in: 1...Int.max)) * BigInt(random.nextInt(in: 1...Int.max)))
    default: return Rational(random.nextInt(in: -1000...1000), random.nextInt(in: 1...1_000_000))
    }
  }

  /// jsonData → init(json:) gives back an equal config, with the string form and with the
  /// structured form, for random architectures and settings (with and without explicit values).
  @Test func randomConfigsRoundTrip() throws {
    var generator = ArchitectureGenerator(seed: 404)
    var random = SeededRandom(seed: 405)
    for trial in 0..<200 {
      let a = generator.next()
      let p = try a.parameterCount()
      var s = InstanceSettings(samples: random.nextInt(in: 1...7), seed: random.next(), range: random.nextInt(in: 1...9),
                               maxDenominator: random.nextInt(in: 1...5), targets: random.nextInt(in: 0...1) == 0 ? .random : .zero)
      if trial % 2 == 0 {
        s.weights = (0..<p).map { _ in randomRational(&random) }
        s.inputs = (0..<s.samples).map { _ in (0..<a.input.shape.count).map { _ in randomRational(&random) } }
      }
      if trial % 4 == 0 {
        s.targetValues = (0..<s.samples).map { _ in (0..<a.outputCount).map { _ in randomRational(&random) } }
      }
      let c = NetworkConfig(architecture: a, instance: s, comment: trial % 3 == 0 ? "trial \(trial) \"quoted\"\n" : nil)
      #expect(try NetworkConfig(json: c.jsonData()) == c, "\(String(decoding: c.jsonData(), as: UTF8.self))")
      #expect(try NetworkConfig(json: c.jsonData(structuredLayers: true)) == c)
    }
  }

  /// The string form, the structured form and a hand-written PyTorch-style config give one
  /// architecture.
  @Test func stringAndStructuredFormsAgree() throws {
    let text = "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)"
    let byString = try Architecture(parsing: text)
    #expect(try config(#"{"architecture": "\#(text)"}"#).architecture == byString)
    let structured = try config("""
      {
        "input": {"channels": 3, "height": 8, "width": 8},
        "layers": [
          {"type": "conv", "in_channels": 3, "out_channels": 6, "kernel_size": [3, 3], "stride": 2, "padding": [1, 1], "bias": true},
          {"type": "relu"},
          {"type": "dense", "in_features": 96, "out_features": 10}
        ]
      }
      """)
    #expect(structured.architecture == byString)
    #expect(try config(#"{"input": "3x8x8", "layers": [{"type": "conv", "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1, "bias": true}, {"type": "relu"}, {"type": "dense", "out_features": 10}]}"#).architecture == byString)
    let vector = try config(#"{"input": {"features": 64}, "layers": [{"type": "dense", "out_features": 10}, {"type": "leaky", "negative_slope": "1/10"}, {"type": "dense", "out_features": 10}]}"#)
    #expect(vector.architecture.description == "64 dense(10) leaky(1/10) dense(10)")
    let rect = try config(#"{"input": {"channels": 1, "height": 6, "width": 5}, "layers": [{"type": "conv", "out_channels": 2, "kernel_size": [3, 2]}, {"type": "avgpool", "kernel_size": 2, "stride": 1}, {"type": "dense", "out_features": 1}]}"#)
    #expect(rect.architecture.description == "1x6x5 conv(2,k=3x2) avgpool(k=2,s=1) dense(1)")

    var generator = ArchitectureGenerator(seed: 9)
    for _ in 0..<200 {
      let a = generator.next()
      let fromStructured = try NetworkConfig(json: NetworkConfig(architecture: a).jsonData(structuredLayers: true)).architecture
      let fromString = try config(#"{"architecture": "\#(a)"}"#).architecture
      #expect(fromStructured == fromString && fromString == a)
    }
  }

  /// Numbers are exact: JSON decimals are read from their text, strings may be fractions.
  @Test func numbersAreExact() throws {
    let c = try config(#"{"architecture": "6 dense(1,bias)", "weights": [0.1, "1/3", -2, "1e-3", 123456789012345678901234567890, "-0.5", 2.5e1], "samples": 1, "inputs": [["7/12", 3, 0, 0, 0, 0]], "target_values": [["-1/7"]]}"#)
    let w = try #require(c.instance.weights)
    #expect(w == [Rational(1, 10), Rational(1, 3), Rational(-2), Rational(1, 1000),
                  try Rational(parsing: "123456789012345678901234567890"), Rational(-1, 2), Rational(25)])
    #expect(c.instance.inputs == [[Rational(7, 12), Rational(3), 0, 0, 0, 0]])
    #expect(c.instance.targetValues == [[Rational(-1, 7)]])
    // Integers are written as JSON integers, other rationals as exact strings.
    let text = String(decoding: c.jsonData(), as: UTF8.self)
    #expect(text.contains(#""weights": ["1/10", "1/3", -2, "1/1000", 123456789012345678901234567890, "-1/2", 25]"#))
  }

  @Test func settingsAndDefaults() throws {
    let c = try config(#"{"architecture": "1x12 conv(2,k=3) dense(2)", "samples": 50, "seed": 18446744073709551615, "range": 3, "max_denominator": 4, "targets": "zero", "comment": "row 1"}"#)
    #expect(c.instance == InstanceSettings(samples: 50, seed: UInt64.max, range: 3, maxDenominator: 4, targets: .zero))
    #expect(c.comment == "row 1")
    // Without "range" a config draws from the wide default range, for every network.
    #expect(try config(#"{"architecture": "4 dense(1)"}"#).instance == InstanceSettings(range: InstanceSettings.wideDefaultRange))
    // With explicit inputs and no "samples", n is the number of rows.
    #expect(try config(#"{"architecture": "2 dense(1)", "inputs": [[1, 2], [3, 4], [5, 6]]}"#).instance.samples == 3)
  }

  struct BadConfig: CustomTestStringConvertible, Sendable {
    var json: String
    var phrases: [String]
    var testDescription: String { json }
  }

  static let badConfigs: [BadConfig] = [
    BadConfig(json: #"{"architecture": "16 dense(2)", "sample": 5}"#, phrases: ["unknown key \"sample\"", "did you mean \"samples\"?"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "max_denom": 5}"#, phrases: ["unknown key \"max_denom\"", "\"max_denominator\""]),
    BadConfig(json: #"{"input": "1x8", "layers": [{"type": "conv", "out_channels": 2, "kernel": 3}, {"type": "dense", "out_features": 1}]}"#,
              phrases: ["unknown key \"kernel\" in layers[0] (conv)", "did you mean \"kernel_size\"?"]),
    BadConfig(json: #"{"architecture": "16 dense(2)",}"#, phrases: ["invalid JSON at line 1, column 32", "trailing comma"]),
    BadConfig(json: "{\"architecture\": \"16 dense(2)\"\n  \"samples\": 4}", phrases: ["line 2, column 3", "expected ',' or '}'"]),
    BadConfig(json: #"{'architecture': '16 dense(2)'}"#, phrases: ["double quotes"]),
    BadConfig(json: #"{"architecture": "16 dense(2)""#, phrases: ["'}' is missing"]),
    BadConfig(json: "", phrases: ["unexpected end of input"]),
    BadConfig(json: #"[1, 2]"#, phrases: ["a config is a JSON object", "found an array"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "architecture": "8 dense(1)"}"#, phrases: ["\"architecture\" appears twice"]),
    BadConfig(json: #"{"samples": 5}"#, phrases: ["missing \"architecture\""]),
    BadConfig(json: #"{"architecture": "1x16 conv(4,k=30) dense(2)"}"#,
              phrases: ["\"architecture\": column 6", "layer 0 conv(4,k=30)", "kernel span 30", "more padding"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "layers": []}"#, phrases: ["either \"architecture\"", "not both"]),
    BadConfig(json: #"{"architecture": ["16", "dense(2)"]}"#, phrases: ["must be a string"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "samples": 0}"#, phrases: ["\"samples\" must be an integer in 1...1000000", "found 0"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "samples": 2.5}"#, phrases: ["\"samples\" must be an integer", "found 2.5"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "seed": -1}"#, phrases: ["\"seed\" must be an integer in 0..."]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "range": 0}"#, phrases: ["\"range\" must be an integer in 1..."]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "targets": "ones"}"#, phrases: ["\"targets\" must be one of \"random\", \"zero\"", "target_values"]),
    BadConfig(json: #"{"architecture": "1x4 conv(2,k=3,bias) dense(1)", "weights": [1, 2, 3]}"#,
              phrases: ["\"weights\" has 3 numbers but 1x4 conv(2,k=3,bias) dense(1) has p = 12 parameters", "0.weight [2, 1, 3], 0.bias [2], 1.weight [1, 4]"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "weights": [1, "x"]}"#, phrases: ["\"weights\"[1]", "'x' is not a number"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "weights": [1, "1/0"]}"#, phrases: ["\"weights\"[1]", "zero denominator"]),
    BadConfig(json: #"{"architecture": "16 dense(2)", "weights": [true]}"#, phrases: ["\"weights\"[0] must be a number"]),
    BadConfig(json: #"{"architecture": "2x3 dense(1)", "inputs": [[1, 2, 3, 4, 5, 6], [1, 2]]}"#,
              phrases: ["\"inputs\" row 1 has 2 numbers", "channel-major", "2x3 = 6 numbers"]),
    BadConfig(json: #"{"architecture": "2 dense(1)", "samples": 3, "inputs": [[1, 2]]}"#, phrases: ["\"inputs\" has 1 rows but \"samples\" is 3"]),
    BadConfig(json: #"{"architecture": "2 dense(3)", "target_values": [[1, 2]]}"#, phrases: ["\"target_values\" row 0 has 2 numbers", "K = 3"]),
    BadConfig(json: #"{"architecture": "2 dense(3)", "inputs": [1, 2]}"#, phrases: ["\"inputs\"[0] must be an array"]),
    // the structured form: PyTorch-style declared input sizes must match
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 3}, {"type": "dense", "in_features": 50, "out_features": 2}]}"#,
              phrases: ["layers[1] dense(2)", "\"in_features\" is 50", "flattens to 56 features", "set \"in_features\": 56"]),
    BadConfig(json: #"{"input": "2x16", "layers": [{"type": "conv", "in_channels": 1, "out_channels": 4, "kernel_size": 3}, {"type": "dense", "out_features": 2}]}"#,
              phrases: ["layers[0] conv(4,k=3)", "\"in_channels\" is 1", "2 channel(s)"]),
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 30}, {"type": "dense", "out_features": 2}]}"#,
              phrases: ["layers[0] conv(4,k=30)", "kernel span 30", "more padding"]),
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 3, "stride": 0}, {"type": "dense", "out_features": 2}]}"#,
              phrases: ["layers[0] \"stride\" must be an integer at least 1"]),
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "conv", "out_channels": 4, "kernel_size": [3, 2]}, {"type": "dense", "out_features": 2}]}"#,
              phrases: ["layers[0] \"kernel_size\" is a 2-D size", "1-D"]),
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "minpool", "kernel_size": 2}, {"type": "dense", "out_features": 2}]}"#,
              phrases: ["layers[0] has unknown type \"minpool\"", "types are conv, dense"]),
    BadConfig(json: #"{"input": "1x16", "layers": [{"type": "dense", "out_features": 2}, {"type": "relu"}]}"#,
              phrases: ["layers[1] relu", "last layer must be the output dense(K)"]),
    BadConfig(json: #"{"input": {"channels": 1, "length": 16, "width": 3}, "layers": [{"type": "dense", "out_features": 2}]}"#,
              phrases: ["\"input\" needs \"features\""]),
    BadConfig(json: #"{"input": {"channels": 0, "length": 16}, "layers": [{"type": "dense", "out_features": 2}]}"#,
              phrases: ["\"input\" \"channels\" must be an integer at least 1"]),
    BadConfig(json: #"{"input": "1x16"}"#, phrases: ["missing \"layers\""]),
    BadConfig(json: #"{"input": "1x10000", "layers": [{"type": "dense", "out_features": 10000}]}"#, phrases: ["layers[0] dense(10000)", "memory"]),
  ]

  @Test(arguments: badConfigs)
  func badConfigsGiveOneLineNamingTheKeyAndTheFix(_ c: BadConfig) throws {
    let error = try configError(c.json)
    for phrase in c.phrases {
      #expect(error.message.contains(phrase), "\(error.message) lacks '\(phrase)'")
    }
    #expect(!error.description.contains("\n"))
  }

  @Test func loadingFilesAndArguments() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-config-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("net.json").path
    let c = NetworkConfig(architecture: try Architecture(parsing: "1x12 conv(2,k=3) dense(2)"), instance: InstanceSettings(samples: 7, seed: 3))
    try c.jsonData().write(to: URL(fileURLWithPath: path))
    #expect(try NetworkConfig.load(path: path) == c)
    #expect(try NetworkConfig.load(configOrArchitecture: path) == c)
    // A file whose name does not end in .json is still read when it exists.
    let plain = dir.appendingPathComponent("net.cfg").path
    try c.jsonData().write(to: URL(fileURLWithPath: plain))
    #expect(try NetworkConfig.load(configOrArchitecture: plain) == c)
    // Otherwise the argument is an architecture string with default settings.
    #expect(try NetworkConfig.load(configOrArchitecture: "1x12 conv(2,k=3) dense(2)")
            == NetworkConfig(architecture: c.architecture, instance: InstanceSettings(range: InstanceSettings.wideDefaultRange)))

    let missing = try #require(throws: ConfigError.self) { try NetworkConfig.load(configOrArchitecture: dir.appendingPathComponent("nope.json").path) }
    #expect(missing.description.hasSuffix("nope.json: no such file"))
    let bad = dir.appendingPathComponent("bad.json").path
    try Data("{\"architecture\": \"16 dense(2)\", \"sample\": 1}".utf8).write(to: URL(fileURLWithPath: bad))
    let e = try #require(throws: ConfigError.self) { try NetworkConfig.load(configOrArchitecture: bad) }
    #expect(e.description.hasPrefix(bad + ": unknown key \"sample\""))
    let arch = try #require(throws: ConfigError.self) { try NetworkConfig.load(configOrArchitecture: "1x16 conv(4,k=3) dense(0)") }
    #expect(arch.description.hasPrefix("invalid architecture: column 24 of \"1x16 conv(4,k=3) dense(0)\""))
    let dirError = try #require(throws: ConfigError.self) { try NetworkConfig.load(configOrArchitecture: dir.path) }
    #expect(dirError.message.contains("is a directory"))
  }
}
