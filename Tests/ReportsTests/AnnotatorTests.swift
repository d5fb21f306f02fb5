import ConvNet
import Foundation
import Hessian
import Reports
import Testing

/// The built-in annotators against published numbers and their hypotheses.
@Suite struct AnnotatorTests {
  func arch(_ s: String) throws -> Architecture { try Architecture(parsing: s) }

  /// Paper 2's published check (CIFAR-10 channel 0 at 5×5, n = 50, widths [5, 10], K = 10):
  /// H_o 150, H_f 175, H_L 250; and the four rows of the table in rank-formulas.md.
  @Test func fullyConnectedFormulasGiveThePublishedNumbers() throws {
    let cifar = try #require(FullyConnectedPaperAnnotator.values(try arch("25 dense(5) dense(10) dense(10)"), r: 25, k: 10))
    #expect([cifar.outer, cifar.functional, cifar.loss] == [150, 175, 250] as [Int])
    let rows: [(String, Int, [Int])] = [
      ("8 dense(6) dense(6) dense(3)", 8, [24, 63, 78]), ("8 dense(2) dense(6) dense(3)", 8, [18, 32, 42]),
      ("10 dense(4) dense(4) dense(6)", 5, [28, 56, 60]), ("8 dense(5) dense(4)", 8, [32, 40, 56]),
    ]
    for (a, r, expected) in rows {
      let architecture = try arch(a)
      let v = try #require(FullyConnectedPaperAnnotator.values(architecture, r: r, k: architecture.outputCount))
      #expect([v.outer, v.functional, v.loss] as [Int] == expected, "\(a)")
    }
  }

  @Test func fullyConnectedFormulasApplyOnlyInsideTheirHypotheses() throws {
    for a in ["8 dense(3)", "8 dense(4,bias) dense(3)", "8 dense(4) relu dense(3)", "1x8 conv(2,k=3) dense(3)"] {
      #expect(FullyConnectedPaperAnnotator.values(try arch(a), r: 8, k: 3) == nil, "\(a)")
    }
    #expect(FullyConnectedPaperAnnotator.values(try arch("8 dense(4) identity dense(3)"), r: 8, k: 3) != nil)
  }

  /// The nine one-conv-layer rows of the CNN table in rank-formulas.md (c₀, d, k, m, K, r → H_o, H_f).
  @Test func oneConvLayerFormulasGiveTheTableRows() throws {
    let rows: [(c: Int, d: Int, k: Int, m: Int, K: Int, r: Int, outer: Int, functional: Int)] = [
      (1, 12, 3, 2, 2, 12, 24, 12), (1, 12, 5, 2, 3, 12, 36, 20), (1, 16, 7, 3, 4, 16, 64, 42),
      (1, 12, 3, 6, 2, 5, 10, 36), (1, 12, 3, 3, 1, 12, 12, 18), (1, 10, 8, 2, 4, 10, 36, 32),
      (2, 8, 3, 4, 3, 16, 48, 48), (2, 8, 3, 6, 3, 5, 15, 72), (3, 6, 3, 8, 4, 18, 72, 144),
    ]
    for row in rows {
      let a = try arch("\(row.c)x\(row.d) conv(\(row.m),k=\(row.k)) dense(\(row.K))")
      let v = try #require(OneConvLayerAnnotator.values(a, r: row.r, k: row.K))
      #expect(v.outer == row.outer && v.functional == row.functional, "\(a): \(v)")
      // For one layer the receptive-field bound is 2c₀mk, which is rank(H_f) here (k̃ ≤ s·d′).
      #expect(ReceptiveFieldAnnotator.value(a) == 2 * row.c * row.m * row.k)
    }
    for a in ["1x12 conv(2,k=3,s=2) dense(2)", "1x12 conv(2,k=3) conv(2,k=3) dense(2)", "1x5x5 conv(2,k=3) dense(2)",
              "1x12 conv(2,k=3) relu dense(2)", "1x12 conv(2,k=3,bias) dense(2)"] {
      #expect(OneConvLayerAnnotator.values(try arch(a), r: 12, k: 2) == nil, "\(a)")
    }
    // Two layers: 2·(m₁·RF₁ + m₂·RF₂) with RF = 3, 5.
    #expect(ReceptiveFieldAnnotator.value(try arch("1x16 conv(3,k=3) conv(4,k=3) dense(2)")) == 2 * (3 * 3 + 4 * 5))
    #expect(ReceptiveFieldAnnotator.value(try arch("2x16 conv(3,k=3) conv(4,k=5) dense(2)")) == 2 * 2 * (3 * 3 + 4 * 7))
    #expect(ReceptiveFieldAnnotator.value(try arch("1x16 conv(3,k=3,p=1) dense(2)")) == nil)
  }

  @Test func trivialBoundsAndVerdicts() throws {
    let config = NetworkConfig(architecture: try arch("8 dense(4) dense(3)"), instance: InstanceSettings(samples: 2))
    let context = RowContext(config: config, p: 44, n: 2, k: 3, dataRank: 2, ranks: [.outer: 6, .functional: 20, .loss: 27],
                             proved: [:])
    let a = try TrivialBoundsAnnotator().annotate(context)
    #expect(a.map(\.value) == ["6", "44", "26"])  // min(p, nK, Kr); p; min(p, 6 + 20)
    #expect(a.map(\.verdict) == [.tight, .holds, .violated])
    #expect(RowVerdict.compare(rank: 3, bound: 4) == .holds)
    let relu = NetworkConfig(architecture: try arch("8 dense(4) relu dense(3)"), instance: InstanceSettings(samples: 5))
    let b = try TrivialBoundsAnnotator().annotate(RowContext(config: relu, p: 44, n: 5, k: 3, dataRank: 2, ranks: [:], proved: [:]))
    #expect(b[0].value == "15", "ReLU nets are not capped by K·r")
    #expect(b.allSatisfy { $0.verdict == nil }, "no verdict without a rank")
  }

  @Test func squareRootColumnIsExact() {
    #expect(SquareRootAnnotator.text(100) == "10.0")
    #expect(SquareRootAnnotator.text(2) == "1.4")
    #expect(SquareRootAnnotator.text(1072) == "32.7")
    #expect(SquareRootAnnotator.text(0) == "0.0")
  }

  /// A registry accepts plug-in annotators (as the RankBounds module will add) and a formula parser.
  @Test func registryTakesPlugins() throws {
    struct Constant: RowAnnotator {
      let id = "seven"
      let summary = "seven"
      func annotate(_ row: RowContext) throws -> [Annotation] { [.bound(id, .outer, value: 7, rank: row.ranks[.outer])] }
    }
    var registry = AnnotatorRegistry.builtIn
    registry.register(Constant())
    registry.formulaParser = { text in
      guard text == "outer: 7" else { throw SweepError("cannot parse") }
      return Constant()
    }
    #expect(try registry.resolve(bounds: ["seven", "trivial"], formulas: ["outer: 7"]).map(\.id) == ["seven", "trivial", "seven"])
    #expect(throws: SweepError.self) { try registry.resolve(bounds: nil, formulas: ["outer: q"]) }
    #expect(try registry.resolve(bounds: nil, formulas: []).map(\.id) == ["trivial", "fc-paper", "cnn1-derived", "cnn-hf-rf", "sqrt-p", "seven"])
  }
}
