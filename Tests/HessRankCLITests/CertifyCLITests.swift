import Foundation
import Testing

/// End-to-end runs of `hessrank bounds` and `hessrank certify`: exit codes 0/1/2, the reports,
/// the JSON object, certificates that `check` accepts and tampered ones it rejects.
@Suite struct CertifyCLITests {
  func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func boundsListsAndExplains() throws {
    let list = runHessrank(["bounds"])
    #expect(list.status == 0)
    for id in ["fc-outer", "one-conv-outer-rho", "one-conv-functional", "two-conv-functional", "cnn-functional-upper", "loss-subadditive"] {
      #expect(list.stdout.contains(id), "\(id)")
    }
    let one = runHessrank(["bounds", "fc-outer"])
    #expect(one.status == 0 && one.stdout.contains("q*(r+K-q)") && one.stdout.contains("NeurIPS 2021") && one.stdout.contains("hypotheses"))
    let json = runHessrank(["bounds", "--json"])
    let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(items.contains { $0["id"] as? String == "one-conv-outer" && $0["claim"] as? String == "formula" })
    let vars = runHessrank(["bounds", "--variables"])
    #expect(vars.status == 0 && vars.stdout.contains("rho") && vars.stdout.contains("RF[l]"))
    let unknown = runHessrank(["bounds", "fc-outr"])
    #expect(unknown.status == 2 && unknown.stderr.contains("did you mean 'fc-outer'"))
  }

  @Test func certifyHoldsWithExitZero() throws {
    let r = runHessrank(["certify", "examples/configs/cnn1d-c1-d12-k3-m2-K2-n100.json", "--seeds", "1"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("TIGHT     one-conv-functional") && r.stdout.contains("rank ≤ 12 by 34 exact kernel vectors"))
    #expect(r.stdout.contains("skipped") && r.stdout.contains("no bound is violated"))
    let j = runHessrank(["certify", "1x5x5 conv(2,k=3) dense(2)", "--bound", "one-conv-outer-rho", "--bound", "one-conv-outer", "--json"])
    #expect(j.status == 0, "\(j.stderr)")
    let o = try jsonObject(j.stdout)
    let results = try #require(o["results"] as? [[String: Any]])
    #expect(results.count == 4)
    for x in results {
      #expect(x["hessian"] as? String == "outer" && x["rank"] as? Int == 48 && x["value"] as? Int == 48)
      #expect(x["verdict"] as? String == "TIGHT" && x["proved"] as? Bool == true && x["seed"] != nil && x["bound"] != nil)
    }
    #expect(o["violated"] as? Bool == false)
  }

  @Test func violatedFormulaExitsOneAndItsCertificateChecks() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = dir.appendingPathComponent("violated.json").path
    let r = runHessrank(["certify", "4x6 conv(1,k=5) dense(3)", "--samples", "10", "--formula", "outer: K*r - 10",
                             "--bound", "one-conv-outer", "--certificate", cert])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stdout.contains("VIOLATED  formula-1") && r.stdout.contains("proved by a nonzero 22×22 minor of J"))
    #expect(r.stdout.contains("SOME BOUND IS VIOLATED"))
    // The certificate holds, and it records VIOLATED verdicts: exit 1 unless --fail-on none.
    let check = runHessrank(["check", cert])
    #expect(check.status == 1 && check.stdout.contains("certificate holds") && check.stdout.contains("2 VIOLATED, 2 TIGHT"),
            "\(check.stdout) \(check.stderr)")
    #expect(check.stdout.contains("failing verdicts (--fail-on violated, short): formula-1 VIOLATED"), "\(check.stdout)")
    #expect(runHessrank(["check", cert, "--fail-on", "none"]).status == 0)
    // Tampering with a verdict is caught.
    let text = try String(contentsOfFile: cert, encoding: .utf8)
    let tampered = dir.appendingPathComponent("tampered.json").path
    try Data(text.replacingOccurrences(of: "\"verdict\": \"VIOLATED\"", with: "\"verdict\": \"HOLDS\"").utf8).write(to: URL(fileURLWithPath: tampered))
    let bad = runHessrank(["check", tampered])
    #expect(bad.status == 1 && bad.stdout.contains("REJECTED") && bad.stdout.contains("verdict recorded as HOLDS"), "\(bad.stdout)")
  }

  @Test func badInputExitsTwoWithAPointer() throws {
    let formula = runHessrank(["certify", "8 dense(6) dense(3)", "--formula", "outer: q*(r+K-q"])
    #expect(formula.status == 2)
    #expect(formula.stderr.contains("column 9: expected ')'") && formula.stderr.contains("(at ▸ in \"q*(r+K-q▸\")") && formula.stderr.split(separator: "\n").count == 1, "\(formula.stderr)")
    let unknown = runHessrank(["certify", "8 dense(6) dense(3)", "--formula", "functional <= 2*rh0"])
    #expect(unknown.status == 2 && unknown.stderr.contains("unknown variable 'rh0' (did you mean 'rho'?)"))
    let undefined = runHessrank(["certify", "8 dense(6) dense(3)", "--formula", "outer: K*rho"])
    #expect(undefined.status == 2 && undefined.stderr.contains("rho is undefined here"), "\(undefined.stderr)")
    let hessian = runHessrank(["certify", "8 dense(6) dense(3)", "--formula", "hessian: 3"])
    #expect(hessian.status == 2 && hessian.stderr.contains("not a Hessian"))
    let bound = runHessrank(["certify", "8 dense(6) dense(3)", "--bound", "nope"])
    #expect(bound.status == 2 && bound.stderr.contains("unknown bound 'nope'"))
    let arch = runHessrank(["certify", "8 dense(6) conv(2,k=3)"])
    #expect(arch.status == 2 && arch.stderr.hasPrefix("hessrank: error:"))
    let seeds = runHessrank(["certify", "8 dense(6) dense(3)", "--seeds", "0"])
    #expect(seeds.status == 2)
  }
}
