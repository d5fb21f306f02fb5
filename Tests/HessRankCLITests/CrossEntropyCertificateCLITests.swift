import Foundation
import Testing

/// Cross-entropy certificates end to end: `rank --loss ce --certificate` and `certify --loss ce
/// --certificate` files that `check` re-verifies (H_o proved on C·J, H_f and H_L proved lower
/// bounds by a nonzero minor modulo a prime at t), the exit statuses 0/1/3, tampered files
/// rejected, and the cross-entropy catalog entries in `bounds`.
@Suite struct CrossEntropyCertificateCLITests {
  static let arch = "6 dense(5) dense(4)"

  func json(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
  }

  /// Writes `object` to a new file in `dir` and returns `check`'s result on it.
  func check(_ object: [String: Any], named name: String, in dir: URL, _ extra: [String] = []) throws
    -> (status: Int32, stdout: String, stderr: String)
  {
    let path = dir.appendingPathComponent(name).path
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    return runHessrank(["check", path] + extra)
  }

  /// The rank certificate of `arch` at n = 10 (p = 50, K = 4): H_o = 18 (proved), H_f ≥ 30, H_L ≥ 39.
  /// At --range 5 the logits are small integers, so the degree in t is small and the
  /// probability bound is meaningful (at the default range 10^6 it is vacuous).
  func rankCertificate(_ dir: URL, extra: [String] = []) throws -> String {
    let path = dir.appendingPathComponent("ce.json").path
    let r = runHessrank(["rank", Self.arch, "--samples", "10", "--range", "5", "--loss", "ce", "--certificate", path] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    return path
  }

  @Test func rankCertificateProvesHoAndLowerBoundsExitThree() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let path = try rankCertificate(dir)  // --range 5: a meaningful bound in t (vacuous at 10^6)
    let c = try json(path)
    #expect(c["format"] as? String == "hessrank-cross-entropy-certificate/1")
    #expect((c["config"] as? [String: Any])?["loss"] as? String == "ce")
    let hessians = try #require(c["hessians"] as? [[String: Any]])
    #expect(hessians.map { $0["hessian"] as? String } == ["outer", "functional", "loss"])
    #expect(hessians[0]["rank"] as? Int == 18 && hessians[0]["certificate"] != nil)
    #expect(hessians[1]["rank_at_least"] as? Int == 30 && hessians[2]["rank_at_least"] as? Int == 39)
    for h in hessians.dropFirst() {
      let text = try #require(h["prime"] as? String)
      let prime = try #require(UInt64(text))
      #expect(prime >= 1 << 61 && prime < 1 << 62)
      #expect((h["pivot_rows"] as? [Int])?.count == h["rank_at_least"] as? Int)
      // p·Δ/(q − 1 − Σd): a fraction below 1 with denominator about 2^61.
      #expect((h["failure_probability"] as? String)?.contains("/") == true)
    }
    // Lower bounds only: exit 3 with a note, 0 with --lower-bound-ok.
    let three = runHessrank(["check", path])
    #expect(three.status == 3, "\(three.stdout)\(three.stderr)")
    #expect(three.stdout.contains("rank H_o = 18") && three.stdout.contains("rank H_f ≥ 30") && three.stdout.contains("rank H_L ≥ 39"))
    #expect(three.stderr.contains("proves lower bounds only"))
    let ok = runHessrank(["check", path, "--lower-bound-ok", "--json"])
    #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    let o = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
    #expect(o["holds"] as? Bool == true && o["exact"] as? Bool == false)
  }

  @Test func vacuousProbabilityIsRecordedAsNull() throws {
    // Fractions with denominators up to 10^6 make D, hence the degree Δ in t, so large that
    // p·Δ/q ≥ 1: the lower bounds stand, the probability statement is vacuous (null).
    let dir = try CLITestSupport.temporaryDirectory()
    let path = dir.appendingPathComponent("vacuous.json").path
    let r = runHessrank(["rank", "4 dense(3) dense(3)", "--samples", "5", "--loss", "ce", "--max-denominator", "1000000",
                         "--certificate", path])
    #expect(r.status == 0 && r.stdout.contains("proved lower bound"), "\(r.stdout)\(r.stderr)")
    let c = try json(path)
    let hessians = try #require(c["hessians"] as? [[String: Any]])
    #expect(hessians[1]["failure_probability"] is NSNull && hessians[2]["failure_probability"] is NSNull)
    let three = runHessrank(["check", path])
    #expect(three.status == 3 && three.stdout.contains("vacuous here"), "\(three.stdout)\(three.stderr)")
    var tampered = c
    var h = hessians
    h[1]["failure_probability"] = "1/2"
    tampered["hessians"] = h
    let t = try check(tampered, named: "claimed.json", in: dir)
    #expect(t.status == 1 && t.stdout.contains("recomputed null (vacuous)"), "\(t.stdout)")
  }

  @Test func outerOnlyCertificateIsProvedExitZero() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let path = try rankCertificate(dir, extra: ["--hessian", "outer"])
    let r = runHessrank(["check", path])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("certificate holds") && r.stdout.contains("rank H_o = 18"))
  }

  @Test func tamperedRankCertificatesAreRejected() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let original = try json(try rankCertificate(dir))
    func edited(_ change: (inout [String: Any], inout [[String: Any]]) -> Void) -> [String: Any] {
      var c = original
      var h = c["hessians"] as! [[String: Any]]
      change(&c, &h)
      c["hessians"] = h
      return c
    }
    let cases: [(String, [String: Any], String)] = [
      ("H_o rank", edited { _, h in h[0]["rank"] = 19 }, "rank recorded as 19"),
      ("H_f rank", edited { _, h in h[1]["rank_at_least"] = 31 }, "31 rows"),
      ("prime not in range", edited { _, h in h[1]["prime"] = "2305843009213693951" }, "not a prime in [2^61, 2^62)"),
      ("prime not prime", edited { _, h in h[2]["prime"] = String(UInt64(h[2]["prime"] as! String)! + 1) }, "not a prime"),
      ("repeated pivot", edited { _, h in
        var rows = h[1]["pivot_rows"] as! [Int]
        rows[1] = rows[0]
        h[1]["pivot_rows"] = rows
      }, "repeated pivot"),
      // The first 30 parameters are W_1's; ∂²f/∂W_1² = 0 for a linear net, so that minor of n·H_f is zero.
      ("zero minor", edited { _, h in
        h[1]["pivot_rows"] = Array(0..<30)
        h[1]["pivot_cols"] = Array(0..<30)
      }, "minor is zero modulo"),
      ("failure probability", edited { _, h in h[1]["failure_probability"] = "1/1000" }, "failure probability recorded as 1/1000"),
      ("loss mse", edited { c, _ in
        var config = c["config"] as! [String: Any]
        config["loss"] = "mse"
        c["config"] = config
      }, "the config's loss is MSE"),
      ("loss removed", edited { c, _ in
        var config = c["config"] as! [String: Any]
        config.removeValue(forKey: "loss")
        c["config"] = config
      }, "the config's loss is MSE"),
      ("another seed", edited { c, _ in
        var config = c["config"] as! [String: Any]
        config["seed"] = 2
        c["config"] = config
      }, "C·J"),
    ]
    for (i, (what, object, message)) in cases.enumerated() {
      let r = try check(object, named: "t\(i).json", in: dir)
      #expect(r.status == 1, "\(what): \(r.stdout)\(r.stderr)")
      #expect(r.stdout.contains("certificate REJECTED") && r.stdout.contains(message), "\(what): \(r.stdout)")
    }
    // The untouched file, rewritten the same way, still holds (the edits are what is rejected).
    let same = try check(original, named: "same.json", in: dir, ["--lower-bound-ok"])
    #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
  }

  @Test func aChangedDataFileIsRejected() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let point = dir.appendingPathComponent("point").path
    #expect(runHessrank(["instance", Self.arch, "--samples", "10", "--out", point]).status == 0)
    let path = dir.appendingPathComponent("files.json").path
    let made = runHessrank(["rank", Self.arch, "--loss", "ce", "--weights", point + "/weights.safetensors",
                            "--data", point + "/X.npy", "--certificate", path])
    #expect(made.status == 0, "\(made.stderr)")
    #expect(runHessrank(["check", path, "--lower-bound-ok"]).status == 0)
    var c = try json(path)
    var config = try #require(c["config"] as? [String: Any])
    var data = try #require(config["data_file"] as? [String: Any])
    data["sha256"] = String(repeating: "0", count: 64)
    config["data_file"] = data
    c["config"] = config
    let r = try check(c, named: "hash.json", in: dir, ["--lower-bound-ok"])
    #expect(r.status == 1 && r.stdout.contains("REJECTED") && r.stdout.contains("X.npy"), "\(r.stdout)\(r.stderr)")
  }

  @Test func anMSECertificateWithACrossEntropyConfigIsRejected() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let path = dir.appendingPathComponent("mse.json").path
    #expect(runHessrank(["rank", Self.arch, "--samples", "10", "--certificate", path]).status == 0)
    #expect(runHessrank(["check", path]).status == 0)
    var c = try json(path)
    var config = try #require(c["config"] as? [String: Any])
    config["loss"] = "ce"
    c["config"] = config
    let r = try check(c, named: "ce-config.json", in: dir)
    #expect(r.status == 1 && r.stdout.contains("the config's loss is cross-entropy"), "\(r.stdout)\(r.stderr)")
  }

  @Test func certifyCertificateIsProvedByTheTheoremsExitZero() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let path = dir.appendingPathComponent("bounds.json").path
    let r = runHessrank(["certify", Self.arch, "--samples", "10", "--loss", "ce", "--seeds", "2", "--certificate", path])
    #expect(r.status == 0, "\(r.stderr)")
    // The paper-2 rule with K − 1: 18, 30, 39, TIGHT and proved at both seeds.
    for id in ["fc-ce-outer", "fc-ce-functional", "fc-ce-loss"] { #expect(r.stdout.contains("TIGHT     \(id)"), "\(id)") }
    #expect(r.stdout.contains("6 verdicts on 2 seeds: 0 VIOLATED, 6 TIGHT, 0 HOLDS; every verdict proved"))
    #expect(r.stdout.contains("rank ≥ 30 by a nonzero 30×30 minor of n·H_f modulo the prime"))
    let ok = runHessrank(["check", path, "--json"])
    #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    let o = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
    #expect(o["holds"] as? Bool == true && o["exact"] as? Bool == true)
    #expect((o["summary"] as? String)?.contains("6 TIGHT") == true)

    // Tampered: a recorded rank, and the embedded cross-entropy certificate's lower bound.
    let original = try json(path)
    var a = original
    var instances = try #require(a["instances"] as? [[String: Any]])
    var results = try #require(instances[0]["results"] as? [[String: Any]])
    results[1]["rank"] = 29
    instances[0]["results"] = results
    a["instances"] = instances
    let rank = try check(a, named: "rank.json", in: dir)
    #expect(rank.status == 1 && rank.stdout.contains("rank recorded as 29"), "\(rank.stdout)")
    var b = original
    instances = try #require(b["instances"] as? [[String: Any]])
    var embedded = try #require(instances[1]["hessian_certificate"] as? [String: Any])
    var hessians = try #require(embedded["hessians"] as? [[String: Any]])
    hessians[2]["rank_at_least"] = 40
    embedded["hessians"] = hessians
    instances[1]["hessian_certificate"] = embedded
    b["instances"] = instances
    let inner = try check(b, named: "inner.json", in: dir)
    #expect(inner.status == 1 && inner.stdout.contains("REJECTED"), "\(inner.stdout)")
    var l = original
    var config = try #require(l["config"] as? [String: Any])
    config["loss"] = "mse"
    l["config"] = config
    let loss = try check(l, named: "loss.json", in: dir)
    #expect(loss.status == 1 && loss.stdout.contains("REJECTED"), "\(loss.stdout)\(loss.stderr)")
  }

  @Test func certifyCertificateWithAVerdictOnALowerBoundExitsThree() throws {
    // 'functional <= p' HOLDS (30 < 50), but the rank of H_f is a lower bound only: the verdict
    // is not proved, so the certificate proves lower bounds only.
    let dir = try CLITestSupport.temporaryDirectory()
    let path = dir.appendingPathComponent("holds.json").path
    let r = runHessrank(["certify", Self.arch, "--samples", "10", "--loss", "ce", "--seeds", "1",
                         "--formula", "functional <= p", "--certificate", path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("HOLDS?    formula-1"))
    let three = runHessrank(["check", path])
    #expect(three.status == 3 && three.stderr.contains("lower bounds only"), "\(three.stdout)\(three.stderr)")
    #expect(runHessrank(["check", path, "--lower-bound-ok"]).status == 0)
  }

  @Test func boundsListsAndExplainsTheCrossEntropyEntries() throws {
    let list = runHessrank(["bounds"])
    #expect(list.status == 0)
    #expect(list.stdout.contains("cross-entropy loss (certify --loss ce"))
    for id in ["fc-ce-outer", "fc-ce-functional", "fc-ce-loss"] { #expect(list.stdout.contains(id), "\(id)") }
    let one = runHessrank(["bounds", "fc-ce-loss"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(one.stdout.contains("loss        cross-entropy") && one.stdout.contains("the cross-entropy rule"))
    #expect(one.stdout.contains("min(q,K-1)*(r+K-1)") && one.stdout.contains("proof       proved (published theorem)"))
    let json = runHessrank(["bounds", "--json"])
    let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(items.filter { $0["loss"] as? String == "ce" }.compactMap { $0["id"] as? String } == ["fc-ce-outer", "fc-ce-functional", "fc-ce-loss"])
    #expect(items.first { $0["id"] as? String == "fc-outer" }?["loss"] as? String == "mse")
    let typo = runHessrank(["bounds", "fc-ce-lss"])
    #expect(typo.status == 2 && typo.stderr.contains("did you mean 'fc-ce-loss'"))
  }
}
