import Foundation
import Testing

@Suite struct RankCLITests {
  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func publishedCNNRowFromAnArchitectureString() throws {
    let r = runHessrank(["rank", "1x12 conv(2,k=3) dense(2)", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try json(r.stdout)
    #expect(o["p"] as? Int == 46 && o["r"] as? Int == 12 && o["seed"] as? Int == 1)
    #expect(o["rank_outer"] as? Int == 24 && o["rank_functional"] as? Int == 12 && o["rank_loss"] as? Int == 35)
  }

  @Test func certificateRoundTripThroughCheck() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = dir.appendingPathComponent("fc.json").path
    let r = runHessrank(["rank", "examples/configs/fc-d10-4-4-K6-n5.json", "--certificate", cert, "--seed", "3"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("H_o      28") && r.stdout.contains("H_f      56") && r.stdout.contains("H_L      60"))
    let ok = runHessrank(["check", cert])
    #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")
    // Claim a different seed: the regenerated matrices no longer match the certificate.
    let text = try String(contentsOfFile: cert, encoding: .utf8).replacingOccurrences(of: "\"seed\": 3", with: "\"seed\": 4")
    let tampered = try CLITestSupport.write(text, named: "tampered.json", in: dir)
    let bad = runHessrank(["check", tampered])
    #expect(bad.status == 1 && bad.stdout.contains("REJECTED"))
  }

  @Test func selectedHessiansAndModularMethod() throws {
    let r = runHessrank(["rank", "8 dense(5) dense(4)", "--hessian", "functional", "--method", "modular", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try json(r.stdout)
    #expect(o["rank_functional"] as? Int == 40 && o["rank_outer"] == nil)
  }

  @Test(arguments: [
    (["rank", "1x12 conv(2,k=30) dense(2)"], "kernel"),
    (["rank", "8 dense(5) dense(4)", "--samples", "0"], "--samples"),
    (["rank", "8 dense(5) dense(4)", "--method", "magic"], "--method"),
    (["rank", "8 dense(5) dense(4)", "--hessian", "hyper"], "--hessian"),
    (["rank", "2 dense(1) relu dense(1)", "--samples", "1", "--range", "1", "--seed", "1"], "non-differentiable"),
    (["rank"], "CONFIG"),
    (["hessian", "8 dense(2)", "--out", "/tmp/x.csv"], ".txt"),
  ] as [([String], String)])
  func badInputIsOneLineAndExitTwo(args: [String], phrase: String) throws {
    let r = runHessrank(args)
    #expect(r.status == 2, "\(args): \(r.stdout)")
    #expect(r.stderr.contains(phrase), "\(args): \(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1)
  }

  @Test func hessianExportIsExactText() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let out = dir.appendingPathComponent("H.txt").path
    let r = runHessrank(["hessian", "3 dense(2) dense(1)", "--kind", "loss", "--samples", "4", "--out", out])
    #expect(r.status == 0, "\(r.stderr)")
    // The exported matrix is read back by matrix-rank: rank H_L for d=3, hidden [2], K=1, n=4.
    let m = runHessrank(["matrix-rank", out, "--json"])
    let o = try json(m.stdout)
    // q = min(3, 1, 2) = 1: rank H_L = 2·1·2 + 1·(3 + 1) − 2·1 = 6.
    #expect(o["rank"] as? Int == 6 && o["rows"] as? Int == 8)
  }
}
