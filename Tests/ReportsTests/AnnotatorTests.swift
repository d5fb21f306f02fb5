import ConvNet
import Exact
import Foundation
import Hessian
import RankBounds
import Reports
import Testing

/// Bound columns: the catalog adapter agrees with `certify`, hypotheses give n/a, √p is exact.
@Suite struct AnnotatorTests {
  func arch(_ s: String) throws -> Architecture { try Architecture(parsing: s) }

  /// Two paths to the same verdicts: the certify engine (BoundCertifier) and a sweep row
  /// annotated by RankBoundAnnotator, on the whole catalog, for a fully connected net, one
  /// conv layer and two conv layers.
  @Test func catalogColumnsAgreeWithCertify() throws {
    for (a, n) in [("8 dense(4) dense(4) dense(3)", 20), ("1x12 conv(3,k=3) dense(2)", 30), ("1x10 conv(3,k=3) conv(3,k=3) dense(2)", 20)] {
      let config = NetworkConfig(architecture: try arch(a), instance: InstanceSettings(samples: n, seed: 4))
      let certified = try BoundCertifier.run(CertifyRequest(config: config, bounds: BoundCatalog.all, seedCount: 1, method: .modular))
      let spec = try sweep(#"{"architecture": "\#(a)", "samples": \#(n), "seed": 4, "method": "modular"}"#)
      let row = try #require(try runSweep(spec).rows.first)
      let seed = try #require(certified.seeds.first)
      #expect(row.ranks.map(\.rank) == seed.report.results.map(\.rank))
      for check in seed.checks {
        let column = try #require(row.annotations.first { $0.column == check.bound.id }, "\(a): \(check.bound.id)")
        #expect(column.value == check.value.description && column.verdict == check.verdict, "\(a): \(check.bound.id)")
      }
      for skipped in seed.skipped {
        let column = try #require(row.annotations.first { $0.column == skipped.bound.id })
        #expect(column.value == nil && column.verdict == nil && column.note != nil, "\(a): \(skipped.bound.id) is n/a")
      }
      #expect(seed.checks.count >= 4, "\(a): several bounds apply")
    }
  }

  @Test func boundsOutsideTheirHypothesesAreNotApplicable() throws {
    let config = NetworkConfig(architecture: try arch("1x12 conv(2,k=3) relu dense(2)"), instance: InstanceSettings(samples: 10))
    let context = RowContext(config: config, p: 46, n: 10, k: 2, dataRank: 12, ranks: [.outer: 20], proved: [.outer: true])
    let fc = try RankBoundAnnotator(try #require(BoundCatalog.bound(id: "fc-outer"))).annotate(context)
    #expect(fc.count == 1 && fc[0].value == nil && fc[0].note?.contains("needs") == true)
    let any = try RankBoundAnnotator(try #require(BoundCatalog.bound(id: "outer-any"))).annotate(context)
    #expect(any.map(\.value) == ["20"] && any.map(\.verdict) == [.tight])  // min(p, nK) = min(46, 20)
  }

  /// Subadditivity with given ranks: the value uses the row's ranks, and a rank above it is VIOLATED.
  @Test func valuesThatUseRanks() throws {
    let config = NetworkConfig(architecture: try arch("8 dense(4) dense(3)"), instance: InstanceSettings(samples: 2))
    let context = RowContext(config: config, p: 44, n: 2, k: 3, dataRank: 2, ranks: [.outer: 6, .functional: 20, .loss: 27],
                             proved: [.outer: true, .functional: false, .loss: true])
    let a = try RankBoundAnnotator(try #require(BoundCatalog.bound(id: "loss-subadditive"))).annotate(context)
    #expect(a.map(\.value) == ["26"] && a.map(\.verdict) == [.violated])
    #expect(a[0].note?.contains("H_f known only as a lower bound") == true)
    #expect(Verdict.compare(rank: BigInt(3), bound: BigInt(4)) == .holds)
    #expect(Verdict.compare(rank: BigInt(4), bound: BigInt(4)) == .tight)
  }

  @Test func squareRootColumnIsExact() {
    #expect(SquareRootAnnotator.text(100) == "10.0")
    #expect(SquareRootAnnotator.text(2) == "1.4")
    #expect(SquareRootAnnotator.text(1072) == "32.7")
    #expect(SquareRootAnnotator.text(0) == "0.0")
  }

  /// A registry accepts plug-in annotators and a formula parser.
  @Test func registryTakesPlugins() throws {
    struct Constant: RowAnnotator {
      let id = "seven"
      let summary = "seven"
      func annotate(_ row: RowContext) throws -> [Annotation] { [.bound(id, .outer, value: BigInt(7), rank: row.ranks[.outer])] }
    }
    var registry = AnnotatorRegistry.standard
    registry.register(Constant())
    registry.formulaParser = { text, number in
      guard text == "outer: 7", number == 1 else { throw SweepError("cannot parse") }
      return Constant()
    }
    #expect(try registry.resolve(bounds: ["seven", "fc-outer"], formulas: ["outer: 7"]).map(\.id) == ["seven", "fc-outer", "seven"])
    #expect(throws: SweepError.self) { try registry.resolve(bounds: nil, formulas: ["outer: q"]) }
    #expect(try registry.resolve(bounds: nil, formulas: []).map(\.id) == BoundCatalog.all.map(\.id) + ["sqrt-p", "seven"])
  }
}
