import ConvNet
import Exact
import Hessian
import Testing
@testable import RankBounds

/// Runs one catalog bound on an architecture at two seeds (certified ranks) and returns the checks.
func certify(_ id: String, _ arch: String, samples: Int, maxDenominator: Int = 1, seeds: Int = 2) throws -> CertifyOutcome {
  let bound = try #require(BoundCatalog.bound(id: id))
  var config = NetworkConfig(architecture: try Architecture(parsing: arch))
  config.instance.samples = samples
  config.instance.maxDenominator = maxDenominator
  var request = CertifyRequest(config: config, bounds: [bound], seedCount: seeds)
  request.method = .certified  // the rows assert proved ranks; auto may choose modular by cost
  return try BoundCertifier.run(request)
}

@Suite struct CatalogTests {
  @Test func catalogEntriesAreWellFormed() throws {
    let ids = BoundCatalog.all.map(\.id)
    #expect(Set(ids).count == ids.count)
    for b in BoundCatalog.all {
      try b.formula.validate()
      for c in b.hypotheses.conditions { try c.formula.validate() }
      #expect(!b.statement.isEmpty && !b.source.isEmpty, "\(b.id)")
      #expect(b.upperBoundProof != nil || b.status != .trivial, "\(b.id): a trivial bound should say why it holds")
    }
    for id in ["fc-outer", "fc-functional", "fc-loss", "one-conv-outer-rho", "one-conv-outer-1d", "one-conv-functional",
               "two-conv-functional", "cnn-functional-upper", "outer-linear", "loss-subadditive"] {
      #expect(BoundCatalog.bound(id: id) != nil, "\(id)")
    }
    #expect(BoundCatalog.unknownMessage("fc-outr").contains("did you mean 'fc-outer'"))
  }

  /// (bound, architecture, n, expected rank, expected verdict), each inside the bound's
  /// hypotheses, checked at two seeds with certified ranks. Ranks come from the exact engine;
  /// the fully connected ones are the published table rows.
  static let rows: [(id: String, arch: String, n: Int, rank: Int, verdict: Verdict)] = [
    ("fc-outer", "8 dense(6) dense(6) dense(3)", 100, 24, .tight),
    ("fc-outer", "10 dense(4) dense(4) dense(6)", 5, 28, .tight),
    ("fc-functional", "8 dense(6) dense(6) dense(3)", 100, 63, .tight),
    ("fc-functional", "8 dense(2) dense(6) dense(3)", 100, 32, .tight),
    ("fc-loss", "8 dense(6) dense(6) dense(3)", 100, 78, .tight),
    ("fc-loss", "10 dense(4) dense(4) dense(6)", 5, 60, .tight),
    ("one-conv-outer-rho", "1x12 conv(2,k=3) dense(2)", 100, 24, .tight),
    ("one-conv-outer-rho", "1x5x5 conv(2,k=3) dense(2)", 100, 48, .tight),  // ρ = 17 < min(m d′, r) = 18
    ("one-conv-outer-rho", "4x6 conv(1,k=5) dense(3)", 10, 22, .violated),  // r < k̃: patch rank 20 > r̃ = 10
    ("one-conv-outer-1d", "1x12 conv(2,k=5) dense(3)", 100, 36, .tight),
    ("one-conv-outer-1d", "2x10 conv(1,k=6) dense(5)", 9, 36, .violated),
    ("one-conv-outer", "1x12 conv(2,k=3) dense(2)", 100, 24, .tight),
    ("one-conv-outer", "1x5x5 conv(2,k=3) dense(2)", 100, 48, .tight),
    ("one-conv-outer", "4x6 conv(1,k=5) dense(3)", 10, 22, .tight),
    ("one-conv-outer", "2x10 conv(1,k=6) dense(5)", 9, 36, .tight),
    ("one-conv-outer", "1x12 conv(2,k=11,s=2) dense(2)", 20, 22, .tight),  // r_c = 11 < r = 12 (stride, K ≥ m)
    ("one-conv-functional", "1x12 conv(2,k=3) dense(2)", 100, 12, .tight),
    ("one-conv-functional", "2x8 conv(4,k=3) dense(3)", 100, 48, .tight),
    ("one-conv-functional", "1x12 conv(2,k=5) dense(3)", 2, 20, .tight),
    ("one-conv-functional-bias", "1x12 conv(2,k=3,bias) dense(2,bias)", 100, 16, .tight),
    ("one-conv-functional-bias", "2x7 conv(1,k=6,bias) dense(4,bias)", 100, 16, .tight),
    ("one-conv-loss", "1x12 conv(2,k=3) dense(2)", 100, 35, .tight),
    ("one-conv-loss", "2x8 conv(4,k=3) dense(3)", 100, 92, .tight),
    ("one-conv-loss", "2x9 conv(3,k=6) dense(1)", 40, 41, .violated),
    ("two-conv-functional", "1x16 conv(3,k=3) conv(3,k=3) dense(2)", 100, 47, .tight),
    ("two-conv-functional", "1x7 conv(3,k=3) conv(3,k=1) dense(2)", 100, 27, .short),
    ("cnn-functional-upper", "1x16 conv(3,k=3) conv(3,k=3) dense(2)", 100, 47, .holds),
    ("cnn-functional-upper", "1x12 conv(2,k=3) dense(2)", 100, 12, .tight),
    ("cnn-functional-upper", "1x12 conv(2,k=3,p=1) conv(2,k=3) dense(2)", 60, 28, .holds),  // padding on layer 1 only
    ("cnn-functional-sharp", "1x12 conv(2,k=3) dense(2)", 100, 12, .tight),
    ("cnn-functional-sharp", "1x12 conv(3,k=3) conv(3,k=3) dense(1)", 60, 47, .holds),
    ("cnn-outer-upper", "2x5x5 conv(2,k=3) conv(2,k=2) dense(2)", 60, 60, .tight),  // p − Σ m_l min(m_l, m_{l−1}k_l) = 68 − 8
    ("cnn-outer-upper", "1x12 conv(3,k=3) conv(3,k=3) dense(1)", 60, 12, .tight),  // K r
    ("cnn-loss-upper", "1x14 conv(2,k=3,s=2) conv(3,k=2) dense(1)", 60, 33, .tight),
    ("outer-linear", "1x12 conv(2,k=3) dense(2)", 100, 24, .tight),
    ("outer-linear", "1x16 conv(3,k=3) conv(3,k=3) dense(2)", 5, 10, .tight),
    ("outer-any", "1x12 conv(2,k=3) dense(2)", 100, 24, .holds),
    ("outer-any", "8 dense(6) dense(6) dense(3)", 3, 9, .tight),
    ("functional-at-most-p", "1x12 conv(2,k=3) dense(2)", 100, 12, .holds),
    ("loss-subadditive", "1x12 conv(2,k=3) dense(2)", 100, 35, .holds),
    ("loss-subadditive", "8 dense(5) dense(4)", 100, 56, .holds),
    ("loss-subadditive", "1x10 conv(2,k=8) dense(4)", 100, 40, .tight),
  ]

  @Test(arguments: rows) func boundAgainstExactRanks(_ row: (id: String, arch: String, n: Int, rank: Int, verdict: Verdict)) throws {
    let outcome = try certify(row.id, row.arch, samples: row.n)
    #expect(outcome.seeds.count == 2)
    for s in outcome.seeds {
      #expect(s.skipped.isEmpty, "\(row.id) on \(row.arch): skipped \(s.skipped.map(\.reason))")
      let check = try #require(s.checks.first)
      #expect(check.evidence.rank == row.rank && check.evidence.isExact, "\(row.id) on \(row.arch) seed \(s.seed)")
      #expect(check.verdict == row.verdict, "\(row.id) on \(row.arch) seed \(s.seed): \(check.explanation)")
      #expect(check.proved, "\(row.id): \(check.explanation)")
    }
  }

  /// ReLU needs a point where no pre-activation is exactly 0: fractions make that likely.
  @Test func reluFunctional() throws {
    let outcome = try certify("one-conv-functional-relu", "1x12 conv(2,k=3) relu dense(2)", samples: 20, maxDenominator: 1000)
    for s in outcome.seeds {
      let c = try #require(s.checks.first)
      #expect(c.evidence.rank == 12 && c.verdict == .tight && c.proved)
    }
  }

  @Test func hypothesesSkipWithReasons() throws {
    let fc = try certify("one-conv-outer", "8 dense(6) dense(3)", samples: 10, seeds: 1)
    #expect(fc.seeds[0].skipped.first?.reason == "needs a one conv layer + dense head; this is a fully connected net")
    let padded = try certify("one-conv-functional", "1x9 conv(2,k=3,s=2,p=1) dense(2)", samples: 10, seeds: 1)
    #expect(padded.seeds[0].skipped.first?.reason.hasPrefix("needs no padding, or stride 1 and no dilation") == true)
    let relu = try certify("fc-outer", "8 dense(6) relu dense(3)", samples: 10, maxDenominator: 7, seeds: 1)
    #expect(relu.seeds[0].skipped.first?.reason.contains("linear network") == true)
    var config = NetworkConfig(architecture: try Architecture(parsing: "8 dense(6) dense(3)"))
    config.instance.targets = .zero
    let zero = try BoundCertifier.run(CertifyRequest(config: config, bounds: [BoundCatalog.bound(id: "fc-functional")!], seedCount: 1))
    #expect(zero.seeds[0].skipped.first?.reason.contains("targets are all zero") == true)
  }

  /// Every catalog entry is in the audit (docs/audit.md; rerun `make audit` after changing the
  /// catalog), and no entry whose upper side is proved was violated there.
  @Test func auditCoversTheCatalog() throws {
    for b in BoundCatalog.all {
      let count = try #require(BoundAudit.count(b.id), "\(b.id) is not in the audit: run make audit")
      #expect(count.tight + count.notAttained + count.violated == count.configs, "\(b.id)")
      if b.upperBoundProof != nil || b.status == .paper || b.status == .trivial {
        #expect(count.violated == 0, "\(b.id) is proved but the audit violated it")
      }
      if BoundAudit.refuted[b.id] == nil && b.claim == .equality && b.status != .observed {
        #expect(count.violated == 0 && count.notAttained == 0, "\(b.id): unexplained audit failure \(count.summary)")
      }
    }
    for id in ["fc-outer", "one-conv-outer", "one-conv-functional", "one-conv-loss", "two-conv-functional",
               "cnn-functional-upper", "cnn-functional-sharp", "cnn-outer-upper", "cnn-loss-upper", "outer-linear"] {
      #expect((BoundAudit.count(id)?.configs ?? 0) > 0, "\(id): no audit row inside its hypotheses")
    }
    #expect(BoundAudit.proofStatus(BoundCatalog.bound(id: "cnn-functional-upper")!).hasPrefix("proved at every point"))
    #expect(BoundAudit.proofStatus(BoundCatalog.bound(id: "one-conv-loss")!).hasPrefix("refuted"))
  }

  /// The stride condition of one-conv-outer: the networks (stride 2, K = 1 < m = 2) are
  /// outside it now; with K ≥ m they are inside.
  @Test func oneConvOuterStrideCondition() throws {
    let outside = try certify("one-conv-outer", "1x5x5 conv(2,k=3,s=2) dense(1)", samples: 40, seeds: 1)
    #expect(outside.seeds[0].skipped.first?.reason.hasPrefix("needs stride 1, or K ≥ m") == true)
    let inside = try certify("one-conv-outer", "1x5x5 conv(2,k=3,s=2) dense(2)", samples: 40, seeds: 1)
    #expect(inside.seeds[0].skipped.isEmpty && inside.seeds[0].checks.first?.verdict == .tight)
  }

  /// A TIGHT verdict without a kernel certificate is proved only when the bound is a theorem.
  @Test func tightIsProvedByATheoremOrAKernel() {
    let lower = RankEvidence(rank: 24, isExact: false, lowerProof: "a minor", upperProof: nil)
    let paper = BoundCatalog.bound(id: "fc-outer")!
    let observed = BoundCatalog.bound(id: "two-conv-functional")!
    #expect(BoundCheck(bound: paper, seed: 1, value: 24, evidence: lower).proved)
    #expect(!BoundCheck(bound: observed, seed: 1, value: 24, evidence: lower).proved)
    #expect(BoundCheck(bound: observed, seed: 1, value: 23, evidence: lower).verdict == .violated)
    #expect(BoundCheck(bound: observed, seed: 1, value: 23, evidence: lower).proved)
    #expect(!BoundCheck(bound: observed, seed: 1, value: 30, evidence: lower).proved)
    let exact = RankEvidence(rank: 24, isExact: true, lowerProof: "a minor", upperProof: "22 kernel vectors")
    #expect(BoundCheck(bound: observed, seed: 1, value: 24, evidence: exact).proved)
    #expect(BoundCheck(bound: observed, seed: 1, value: 30, evidence: exact).explanation.contains("NOT attained"))
    // A value computed from ranks that are only lower bounds cannot prove a violation.
    #expect(!BoundCheck(bound: observed, seed: 1, value: 23, evidence: lower, valueIsExact: false).proved)
  }
}
