import ConvNet
import Foundation
import Hessian
import Reports
import Testing

/// Reading sweeps and expanding them into rows.
@Suite struct SweepSpecTests {
  @Test func crossedAxesExpandFirstAxisOutermost() throws {
    let spec = try sweep("""
      {"architecture": "1x16 conv({m},k={k}) dense(2)", "axes": {"m": [1, 2, 4], "k": [3, 5]}}
      """)
    let plan = try spec.plan()
    #expect(plan.rows.map(\.config.architecture.description) == [
      "1x16 conv(1,k=3) dense(2)", "1x16 conv(1,k=5) dense(2)", "1x16 conv(2,k=3) dense(2)",
      "1x16 conv(2,k=5) dense(2)", "1x16 conv(4,k=3) dense(2)", "1x16 conv(4,k=5) dense(2)",
    ])
    #expect(plan.rows.map(\.index) == Array(0..<6))
    #expect(plan.rows[3].settings == [AxisSetting(name: "m", value: "2"), AxisSetting(name: "k", value: "5")])
    // p = m·k + 2·m·(16 − k + 1)
    #expect(plan.rows.map(\.parameterCount) == [3 + 28, 5 + 24, 6 + 56, 10 + 48, 12 + 112, 20 + 96])
  }

  @Test func zippedAxesGoTogether() throws {
    let spec = try sweep("""
      {"architecture": "1x16 conv({m1},k=3) conv({m2},k=3) dense(2)", "mode": "zip",
       "axes": {"m1": [1, 2, 3], "m2": [4, 5, 6]}}
      """)
    let rows = try spec.plan().rows
    #expect(rows.map(\.config.architecture.description) == [
      "1x16 conv(1,k=3) conv(4,k=3) dense(2)", "1x16 conv(2,k=3) conv(5,k=3) dense(2)",
      "1x16 conv(3,k=3) conv(6,k=3) dense(2)",
    ])
  }

  @Test func groupsAreCrossedWithEachOther() throws {
    let spec = try sweep("""
      {"architecture": "{c}x12 conv({m},k={k}) dense({K})",
       "groups": [{"mode": "zip", "axes": {"m": [2, 4], "K": [3, 5]}},
                  {"axes": {"k": [3, 5], "c": [1, 2]}}],
       "samples": 10}
      """)
    #expect(spec.configCount == 8)
    let rows = try spec.plan().rows
    #expect(rows.count == 8)
    #expect(rows.map(\.config.architecture.description) == [
      "1x12 conv(2,k=3) dense(3)", "2x12 conv(2,k=3) dense(3)", "1x12 conv(2,k=5) dense(3)", "2x12 conv(2,k=5) dense(3)",
      "1x12 conv(4,k=3) dense(5)", "2x12 conv(4,k=3) dense(5)", "1x12 conv(4,k=5) dense(5)", "2x12 conv(4,k=5) dense(5)",
    ])
    #expect(rows.allSatisfy { $0.config.instance.samples == 10 })
  }

  @Test func repeatBuildsDepth() throws {
    let spec = try sweep("""
      {"architecture": "1x16 {repeat depth: conv({m},k=3) identity} dense(2)", "axes": {"depth": [0, 1, 3], "m": [2]}}
      """)
    #expect(try spec.plan().rows.map(\.config.architecture.description) == [
      "1x16 dense(2)", "1x16 conv(2,k=3) identity dense(2)",
      "1x16 conv(2,k=3) identity conv(2,k=3) identity conv(2,k=3) identity dense(2)",
    ])
  }

  @Test func templatesRenderAndRejectMalformedBraces() throws {
    let t = try ArchitectureTemplate("{d} {repeat L: dense({w})} dense({K})")
    #expect(t.placeholders == ["d", "L", "w", "K"])
    #expect(t.repeatCounts == ["L"])
    #expect(try t.render(["d": "8", "L": "2", "w": "6", "K": "3"]) == "8 dense(6) dense(6) dense(3)")
    #expect(try t.render(["d": "8", "L": "0", "w": "6", "K": "3"]) == "8 dense(3)")
    for bad in ["1x16 conv({m,k=3) dense(2)", "1x16 conv(m},k=3) dense(2)", "1x16 {} dense(2)", "1x16 {repeat L conv(2,k=3)} dense(2)"] {
      #expect(throws: SweepError.self, "\(bad)") { try ArchitectureTemplate(bad) }
    }
    #expect(throws: SweepError.self) { try t.render(["d": "8", "L": "-1", "w": "6", "K": "3"]) }
  }

  @Test func instanceAxesAndSeeds() throws {
    let spec = try sweep("""
      {"architecture": "8 dense(3)", "axes": {"samples": [5, 50], "targets": ["random", "zero"]}, "seed": 10, "seeds": 3}
      """)
    let rows = try spec.plan().rows
    #expect(rows.count == 12)
    #expect(rows.map(\.config.instance.samples) == Array(repeating: 5, count: 6) + Array(repeating: 50, count: 6))
    #expect(rows.prefix(6).map(\.config.instance.seed) == [10, 11, 12, 10, 11, 12])
    #expect(rows.map(\.seedIndex) == Array(repeating: [0, 1, 2], count: 4).flatMap { $0 })
    #expect(rows[3].config.instance.targets == .zero)
    #expect(Set(rows.map(\.key)).count == 12, "every row has its own key")

    let listed = try sweep(#"{"architecture": "8 dense(3)", "seeds": [7, 3]}"#).plan().rows
    #expect(listed.map(\.config.instance.seed) == [7, 3])
  }

  @Test func baseConfigObject() throws {
    let spec = try sweep("""
      {"base": {"input": {"features": 8}, "layers": [{"type": "dense", "out_features": 2}], "samples": 7, "range": 3},
       "axes": {"seed": [1, 2]}}
      """)
    let rows = try spec.plan().rows
    #expect(rows.map(\.config.architecture.description) == ["8 dense(2)", "8 dense(2)"])
    #expect(rows.map(\.config.instance.samples) == [7, 7])
    #expect(rows.map(\.config.instance.range) == [3, 3])
    #expect(rows.map(\.config.instance.seed) == [1, 2])
  }

  @Test func hashIgnoresLayoutAndNamesButNotContent() throws {
    let a = try sweep(#"{"name": "a", "architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 2]}}"#)
    let b = try sweep("""
      {
        "architecture": "8 dense({m}) dense(2)",
        "axes": {"m": [1, 2]},
        "name": "another name"
      }
      """)
    let c = try sweep(#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 3]}}"#)
    let d = try sweep(#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 2]}, "bounds": ["trivial"]}"#)
    #expect(a.hash == b.hash)
    #expect(a.hash != c.hash)
    #expect(a.hash != d.hash)
    #expect(a.hash.count == 16)
  }

  @Test func shardsPartitionTheRows() throws {
    let plan = try sweep(#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 2, 3, 4, 5, 6, 7]}, "seeds": 3}"#).plan()
    #expect(plan.rows.count == 21)
    for n in 1...8 {
      var seen: [Int] = []
      for i in 0..<n {
        let part = plan.rows(in: try Shard(index: i, count: n)).map(\.index)
        #expect(part.allSatisfy { $0 % n == i })
        #expect(part == part.sorted(), "deterministic order within a shard")
        seen += part
      }
      #expect(seen.sorted() == Array(0..<21), "shards of \(n) cover every row exactly once")
    }
    #expect(try Shard(parsing: "2/5") == Shard(index: 2, count: 5))
    for bad in ["5/5", "-1/3", "1/0", "1", "a/b", "1/2/3"] {
      #expect(throws: SweepError.self, "\(bad)") { try Shard(parsing: bad) }
    }
  }

  /// Bad sweeps fail while reading or planning — before any rank is computed — with one line.
  @Test func badSweepsFailWithOneClearLine() throws {
    let cases: [(json: String, message: String)] = [
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1], "mm": [2]}}"#, #"unknown axis "mm""#),
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"n": [1]}}"#, "for the number of samples use the axis \"samples\""),
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": []}}"#, #"axis "m" is empty"#),
      (#"{"architecture": "8 dense({m}) dense({K})", "mode": "zip", "axes": {"m": [1, 2, 3], "K": [1, 2]}}"#,
       "zipped axes have different lengths: \"m\" has 3 values but \"K\" has 2"),
      (#"{"architecture": "8 dense({m}) dense({K})", "axes": {"m": [1]}}"#, "placeholder {K} in the architecture has no axis"),
      (#"{"architecture": "8 dense(2)", "samples": 10, "axes": {"samples": [5, 6]}}"#, #""samples" is both a fixed setting and an axis"#),
      (#"{"architecture": "8 dense(2)", "axes": {"seed": [1, 2]}, "seeds": [3, 4]}"#, "contradicts a \"seed\" axis"),
      (#"{"architecture": "8 dense({m}) dense(2)", "groups": [{"axes": {"m": [1]}}, {"axes": {"m": [2]}}]}"#, "appears in two groups"),
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 1]}}"#, #"axis "m" lists 1 twice"#),
      (#"{"architecture": "1x8 conv(2,k={k}) dense(2)", "axes": {"k": [3, 30]}}"#, "config 1 (k=30): invalid architecture: column"),
      (#"{"architecture": "1x8 conv(2,k={k}) dense(2)", "axes": {"k": [3, "x"]}}"#, "config 1 (k=x): invalid architecture"),
      (#"{"architecture": "1x8 {repeat L: conv(2,k=3)} dense(2)", "axes": {"L": [1, -1]}}"#, "repeat count"),
      (#"{"architecture": "8 dense({m) dense(2)", "axes": {"m": [1]}}"#, "column 11 of the architecture template"),
      (#"{"architecture": "8 dense(2)", "axess": {"m": [1]}}"#, #"unknown key "axess" in the sweep (did you mean "axes"?)"#),
      (#"{"architecture": "8 dense(2)", "mode": "cross", "axes": {"samples": [1]}, "groups": []}"#, "not both"),
      (#"{"architecture": "8 dense({m}) dense(2)", "mode": "diagonal", "axes": {"m": [1]}}"#, "must be \"cross\" or \"zip\""),
      (#"{"architecture": "8 dense(2)", "hessians": ["H_x"]}"#, "unknown Hessian"),
      (#"{"architecture": "8 dense(2)", "bounds": ["fc-papr"]}"#, #"unknown bound "fc-papr" in "bounds" (did you mean "fc-paper"?)"#),
      (#"{"architecture": "8 dense(2)", "formulas": ["outer: q*(r+K-q)"]}"#, "no formula language"),
      (#"{"architecture": "8 dense(2)", "seeds": 0}"#, "\"seeds\" must be a count in 1...1000"),
      (#"{"architecture": "8 dense({m}) dense(2)", "axes": {"m": [1, 2]}, "plot": {"x": "k"}}"#, "is not an axis"),
      (#"{"architecture": "8 dense({samples}) dense(2)", "axes": {"samples": [1]}}"#, "is an instance setting, not a placeholder"),
      (#"{"architecture": "8 dense(2)", "axes": {"samples": [0]}}"#, "samples must be an integer in 1...1000000"),
      (#"{"architecture": "8 dense({a}) dense({b})", "axes": {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "b": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}, "seeds": 1000}"#,
       "more than 100000 rows"),
      (#"{"architecture": "1x8 {repeat L: conv(2,k=3)} dense(2)", "axes": {"L": [0, 0]}}"#, "lists 0 twice"),
      (#"{"architecture": "8 dense({m}) {repeat L: dense(3)} dense(2)", "axes": {"m": [3], "L": [0, 1]}, "seeds": [1, 1]}"#,
       "lists 1 twice"),
      (#"{"architecture": "200 dense(150) dense(10)", "method": "modular"}"#, "needs about"),
      (#"["architecture"]"#, "a sweep is a JSON object"),
      (#"{"architecture": "8 dense(2)",}"#, "invalid JSON at line 1"),
      (#"{"axes": {"m": [1]}}"#, "missing \"architecture\""),
    ]
    for c in cases {
      let message = sweepError(c.json)
      #expect(message?.contains(c.message) == true, "\(c.json) → \(message ?? "no error")")
      #expect(message?.contains("\n") == false, "one line: \(message ?? "")")
    }
  }

  @Test func duplicateRowsAreRejected() throws {
    // Seeds 1, 2 from the first config and 2, 3 from the second: seed 2 twice.
    let message = sweepError(#"{"architecture": "8 dense(2)", "axes": {"seed": [1, 2]}, "seeds": 2}"#)
    #expect(message?.contains("config 1 (seed=2) at seed 2 is the same computation as row 1") == true, "\(message ?? "no error")")
  }
}
