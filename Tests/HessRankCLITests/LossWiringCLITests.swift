import Foundation
import Testing

/// The cross-entropy loss named in a config (`"loss"`), a sweep (top-level key and axis) and
/// `certify --loss ce`: the same ranks as `rank --loss ce`, and the K − 1 formulas TIGHT.
@Suite struct LossWiringCLITests {
  static let arch = "6 dense(5) dense(4)"

  /// The three rank lines (H_o, H_f, H_L: symbol and rank) of a text report.
  static func ranks(_ text: String) -> [String] {
    text.split(separator: "\n").filter { $0.hasPrefix("H_") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
  }

  @Test func configFileGivesTheRanksOfTheOption() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let ce = try CLITestSupport.write(#"{"architecture": "\#(Self.arch)", "samples": 10, "loss": "ce"}"#, named: "ce.json", in: dir)
    let fromConfig = runHessrank(["rank", ce])
    let fromOption = runHessrank(["rank", Self.arch, "--samples", "10", "--loss", "ce"])
    #expect(fromConfig.status == 0 && fromOption.status == 0, "\(fromConfig.stderr)\(fromOption.stderr)")
    // The K − 1 rule: q' = min(r, K − 1, M) = 3; H_o = q'(r + K − 1 − q') = 18, H_f = 30, H_L = 39.
    #expect(Self.ranks(fromConfig.stdout) == ["H_o 18", "H_f 30", "H_L 39"])
    #expect(Self.ranks(fromConfig.stdout) == Self.ranks(fromOption.stdout))
    // --loss overrides the config; MSE ranks differ (q = 4: 24, 40, 48).
    let mse = runHessrank(["rank", ce, "--loss", "mse"])
    #expect(Self.ranks(mse.stdout) == ["H_o 24", "H_f 40", "H_L 48"])
    let bad = try CLITestSupport.write(#"{"architecture": "4 dense(3)", "loss": "hinge"}"#, named: "bad.json", in: dir)
    let r = runHessrank(["rank", bad])
    #expect(r.status == 2 && r.stderr.contains(#""loss" must be one of "mse", "ce", found "hinge""#))
  }

  @Test func sweepRowsGiveTheRanksOfTheOption() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let axis = try CLITestSupport.write(#"{"architecture": "6 dense(5) dense(4)", "samples": 10, "axes": {"loss": ["mse", "ce"]}}"#,
                                        named: "axis.json", in: dir)
    let top = try CLITestSupport.write(#"{"architecture": "6 dense(5) dense(4)", "samples": 10, "loss": "ce"}"#,
                                       named: "top.json", in: dir)
    let a = runHessrank(["table", axis])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout.contains("| mse | `6 dense(5) dense(4)` | 10 | 1 | 50 | 4 | 6 | 24 | 40 | 48 | 24 TIGHT"))
    #expect(a.stdout.contains("| ce | `6 dense(5) dense(4)` | 10 | 1 | 50 | 4 | 6 | 18 | 30* | 39* | – |"))
    #expect(a.stdout.contains("18 TIGHT | 30 TIGHT | 39 TIGHT"))
    let t = runHessrank(["table", top])
    #expect(t.status == 0, "\(t.stderr)")
    // A cross-entropy-only sweep shows the cross-entropy bounds and not the MSE ones.
    #expect(t.stdout.contains("| 18 | 30* | 39* | 18 TIGHT | 30 TIGHT | 39 TIGHT |"))
    #expect(!t.stdout.contains("fc-outer"))
    let bad = try CLITestSupport.write(#"{"architecture": "4 dense(3)", "axes": {"loss": ["mse", "l1"]}}"#, named: "bad.json", in: dir)
    let b = runHessrank(["table", bad])
    #expect(b.status == 2 && b.stderr.contains("loss must be \"mse\" or \"ce\", found 'l1'"))
  }

  @Test func certifyCrossEntropyReportsTheKMinusOneFormulasTight() throws {
    let r = runHessrank(["certify", Self.arch, "--samples", "10", "--loss", "ce", "--seeds", "1"])
    #expect(r.status == 0, "\(r.stderr)")
    for id in ["fc-ce-outer", "fc-ce-functional", "fc-ce-loss"] {
      #expect(r.stdout.contains("TIGHT     \(id)"), "\(id)")
    }
    #expect(!r.stdout.contains("fc-outer") && !r.stdout.contains("VIOLATED  "))
    #expect(r.stdout.contains("rank ≥ 18 by a nonzero 18×18 minor of C·J"))
    let mse = runHessrank(["certify", Self.arch, "--samples", "10", "--seeds", "1"])
    #expect(mse.stdout.contains("TIGHT     fc-outer") && !mse.stdout.contains("fc-ce-outer"))
    let wrong = runHessrank(["certify", Self.arch, "--loss", "ce", "--bound", "fc-outer"])
    #expect(wrong.status == 2 && wrong.stderr.contains("bound 'fc-outer' is not about the cross-entropy loss"))
    // Certificates of cross-entropy runs: CrossEntropyCertificateCLITests.
  }
}
