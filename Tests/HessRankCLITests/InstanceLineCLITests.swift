import Foundation
import Testing

/// The `instance` line of `rank` and `describe` describes only what the seed still draws.
@Suite struct InstanceLineCLITests {
  func config(_ json: String) throws -> String {
    try CLITestSupport.write(json, named: "net.json", in: try CLITestSupport.temporaryDirectory())
  }

  func instanceLine(_ output: String) -> String? {
    output.split(separator: "\n").first { $0.hasPrefix("instance") }.map(String.init)
  }

  @Test func allExplicitValuesMentionNoSeedRangeOrRandomTargets() throws {
    let path = try config("""
      {"architecture": "2 dense(2) dense(1)", "weights": [1,2,3,-1,2,1],
       "inputs": [[1,0],[0,1],[1,1]], "target_values": [[1],[0],[2]]}
      """)
    for command in ["rank", "describe"] {
      let r = runHessrank([command, path])
      #expect(r.status == 0, "\(command): \(r.stderr)")
      let line = try #require(instanceLine(r.stdout))
      #expect(line.contains("explicit weights, inputs, targets"), "\(command): \(line)")
      for absent in ["seed", "integers", "random"] { #expect(!line.contains(absent), "\(command): \(line)") }
    }
  }

  @Test func explicitWeightsOnlyStillNameTheSeedOfTheInputs() throws {
    let path = try config(#"{"architecture": "2 dense(2) dense(1)", "weights": [1,2,3,-1,2,1], "samples": 3}"#)
    let r = runHessrank(["rank", path])
    #expect(r.status == 0, "\(r.stderr)")
    let line = try #require(instanceLine(r.stdout))
    #expect(line.contains("explicit weights") && line.contains("inputs from seed 1") && line.contains("random targets"), "\(line)")
  }
}
