import Foundation
import Testing

/// End-to-end runs of `hessrank describe`: exit codes, the table, the JSON object, bad input.
@Suite struct DescribeCLITests {
  /// Every bundled example config with its parameter count p and output count K.
  static let examples: [(file: String, p: Int, k: Int)] = [
    ("cnn1d-c1-d12-k3-m2-K2-n100.json", 46, 2), ("cnn1d-c1-d12-k5-m2-K3-n100.json", 58, 3),
    ("cnn1d-c1-d16-k7-m3-K4-n100.json", 141, 4), ("cnn1d-c1-d12-k3-m6-K2-n5.json", 138, 2),
    ("cnn1d-c1-d12-k3-m3-K1-n100.json", 39, 1), ("cnn1d-c1-d10-k8-m2-K4-n100.json", 40, 4),
    ("cnn1d-c2-d8-k3-m4-K3-n100.json", 96, 3), ("cnn1d-c2-d8-k3-m6-K3-n5.json", 144, 3),
    ("cnn1d-c3-d6-k3-m8-K4-n100.json", 200, 4), ("cnn1d-two-layer-m3-k3.json", 108, 2),
    ("cnn2d-5x5-k3-m2-K2.json", 54, 2), ("cnn2d-issue-example.json", 1128, 10),
    ("cnn2d-structured-leaky-avgpool.json", 65, 2), ("fc-d8-6-6-K3-n100.json", 102, 3),
    ("fc-d8-2-6-K3-n100.json", 46, 3), ("fc-d10-4-4-K6-n5.json", 80, 6), ("fc-d8-5-K4-n100.json", 60, 4),
  ]

  func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func bundledExamplesDescribeWithTheirParameterCounts() throws {
    let dir = CLITestSupport.packageRoot.appendingPathComponent("examples/configs")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
    #expect(Set(files) == Set(Self.examples.map(\.file)), "every bundled config is covered")
    for e in Self.examples {
      let path = dir.appendingPathComponent(e.file).path
      let table = runHessrank(["describe", path])
      #expect(table.status == 0 && table.stderr.isEmpty, "\(e.file): \(table.stderr)")
      #expect(table.stdout.contains("p = \(e.p) parameters"), "\(e.file)")
      #expect(table.stdout.contains("instance  n = "), "config files show their instance settings")
      let json = runHessrank(["describe", path, "--json"])
      #expect(json.status == 0)
      let object = try jsonObject(json.stdout)
      #expect(object["p"] as? Int == e.p && object["K"] as? Int == e.k, "\(e.file)")
      let layers = try #require(object["layers"] as? [[String: Any]])
      #expect(layers.map { $0["parameters"] as? Int ?? -1 }.reduce(0, +) == e.p)
    }
  }

  @Test func tableShowsShapesReceptiveFieldsAndToeplitzSizes() throws {
    let r = runHessrank(["describe", "1x16 conv(4,k=3) conv(4,k=3) dense(2)"])
    #expect(r.status == 0)
    let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
    #expect(lines.contains("0 conv(4,k=3) [1, 16] [4, 14] 14 3 [4, 1, 3] - 12 0 56 x 16"))
    #expect(lines.contains("1 conv(4,k=3) [4, 14] [4, 12] 12 5 [4, 4, 3] - 48 12 48 x 56"))
    #expect(lines.contains("2 dense(2) [4, 12] [2] - - [2, 48] - 96 60 2 x 48"))
    #expect(r.stdout.contains("p = 156 parameters"))
    #expect(!r.stdout.contains("instance"), "an architecture string has no instance settings to show")
    // Several words are joined into one architecture string.
    let words = runHessrank(["describe", "3x8x8", "conv(6,k=3,s=2,p=1,bias)", "relu", "dense(10)"])
    #expect(words.status == 0 && words.stdout.contains("[6, 3, 3, 3]") && words.stdout.contains("p = 1128 parameters"))
  }

  @Test func jsonHasLayersWithShapesAndTensors() throws {
    let r = runHessrank(["describe", "--json", "2x7x6 conv(3,k=3x2,bias) leaky(1/4) avgpool(k=2) dense(2,bias)"])
    #expect(r.status == 0)
    let object = try jsonObject(r.stdout)
    #expect(object["p"] as? Int == 65)
    #expect(object["architecture"] as? String == "2x7x6 conv(3,k=3x2,bias) leaky(1/4) avgpool(k=2) dense(2,bias)")
    let input = try #require(object["input"] as? [String: Any])
    #expect(input["shape"] as? [Int] == [2, 7, 6] && input["size"] as? Int == 84)
    let layers = try #require(object["layers"] as? [[String: Any]])
    #expect(layers.count == 4)
    #expect(layers.map { $0["output"] as? [Int] ?? [] } == [[3, 5, 5], [3, 5, 5], [3, 2, 2], [2]])
    #expect(layers.map { $0["receptive_field"] as? [Int] ?? [-1] } == [[3, 2], [3, 2], [4, 3], []])
    let tensors = try #require(layers[0]["tensors"] as? [[String: Any]])
    #expect(tensors.map { $0["name"] as? String ?? "" } == ["0.weight", "0.bias"])
    #expect(tensors.map { $0["shape"] as? [Int] ?? [] } == [[3, 2, 3, 2], [3]])
    let matrix = try #require(layers[2]["matrix"] as? [String: Any])
    #expect(matrix["rows"] as? Int == 12 && matrix["cols"] as? Int == 75 && matrix["fixed"] as? Bool == true)
    #expect(layers[1]["matrix"] is NSNull)
  }

  @Test(arguments: [
    (["describe", "1x16 conv(4,k=30) dense(2)"], "kernel span 30"),
    (["describe", "1x16 conv(4,k=3) tanh dense(2)"], "not supported"),
    (["describe", "1x16 conv(4,k=3)"], "last layer must be the output dense(K)"),
    (["describe", "/nonexistent/net.json"], "no such file"),
    (["describe"], "expected <CONFIG|ARCH>"),
    (["describe", "16 dense(2)", "--jsn"], "unknown option --jsn"),
    (["describe", "16 dense(2)", "--json=yes"], "takes no value"),
  ])
  func badInputExitsTwoWithOneLine(args: [String], phrase: String) throws {
    let r = runHessrank(args)
    #expect(r.status == 2)
    #expect(r.stdout.isEmpty)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("hessrank: error: ") && r.stderr.contains(phrase), "\(r.stderr)")
  }

  @Test func badConfigFileExitsTwoNamingTheFileAndKey() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-describe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let typo = dir.appendingPathComponent("typo.json")
    try Data(#"{"architecture": "16 dense(2)", "sampels": 5}"#.utf8).write(to: typo)
    let r = runHessrank(["describe", typo.path])
    #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1)
    #expect(r.stderr.contains(typo.path) && r.stderr.contains("unknown key \"sampels\"") && r.stderr.contains("did you mean \"samples\"?"))
    let malformed = dir.appendingPathComponent("malformed.json")
    try Data("{\"architecture\": \"16 dense(2)\"\n\"samples\": 5}".utf8).write(to: malformed)
    let m = runHessrank(["describe", malformed.path])
    #expect(m.status == 2 && m.stderr.split(separator: "\n").count == 1)
    #expect(m.stderr.contains("invalid JSON at line 2, column 1"))
  }

  @Test func helpListsDescribe() throws {
    let r = runHessrank(["--help"])
    #expect(r.status == 0 && r.stdout.contains("describe"))
    let h = runHessrank(["describe", "--help"])
    #expect(h.status == 0 && h.stdout.contains("USAGE: hessrank describe <CONFIG|ARCH> [--json]"))
  }
}
