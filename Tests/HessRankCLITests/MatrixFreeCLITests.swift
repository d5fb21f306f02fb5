import Foundation
import Testing

/// `rank --method matrix-free`: the ranks of the modular method, and a sketch certificate that
/// `check` accepts, while an overclaimed one is rejected (exit 1).
@Suite struct MatrixFreeCLITests {
  /// `--time-limit`: a limit that has passed once the first sketch is ranked reports proved lower
  /// bounds and says so; bad durations are one error line, exit 2.
  @Test func timeLimit() throws {
    let r = runHessrank(["rank", "1x32 conv(4,k=5) conv(4,k=5) dense(4)", "--samples", "30", "--method", "matrix-free", "--time-limit", "0.001"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("stopped at the time limit") && r.stdout.contains("proved lower bound"), "\(r.stdout)")
    let full = runHessrank(["rank", "1x32 conv(4,k=5) conv(4,k=5) dense(4)", "--samples", "30", "--method", "matrix-free", "--time-limit", "1h"])
    #expect(full.status == 0 && !full.stdout.contains("time limit"), "\(full.stdout)")
    for bad in ["0", "-3", "5x", "m", "1e9", "nan", ""] {
      let b = runHessrank(["rank", "1x12 conv(2,k=3) dense(2)", "--method", "matrix-free", "--time-limit", bad])
      #expect(b.status == 2 && b.stderr.hasPrefix("hessrank: error: --time-limit takes"), "'\(bad)': \(b.stderr)")
    }
  }

  @Test func rankCertificateAndCheck() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = dir.appendingPathComponent("mf.json").path
    let arch = "1x12 conv(2,k=3) relu dense(2)"
    let common = ["--samples", "30", "--range", "1000", "--json"]
    let r = runHessrank(["rank", arch, "--method", "matrix-free", "--certificate", cert] + common)
    #expect(r.status == 0, "\(r.stderr)")
    let m = runHessrank(["rank", arch, "--method", "modular"] + common)
    let free = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let modular = try #require(try JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [String: Any])
    #expect(free["method"] as? String == "matrix-free")
    for key in ["rank_outer", "rank_functional", "rank_loss"] { #expect(free[key] as? Int == modular[key] as? Int, "\(key)") }
    // The sketch proves lower bounds only: exit 3 unless they are accepted explicitly.
    let lower = runHessrank(["check", cert])
    #expect(lower.status == 3 && lower.stdout.hasPrefix("certificate holds:"), "\(lower.stdout) \(lower.stderr)")
    let ok = runHessrank(["check", cert, "--lower-bound-ok"])
    #expect(ok.status == 0 && ok.stdout.hasPrefix("certificate holds:"), "\(ok.stdout) \(ok.stderr)")
    // Claim one more than the proved rank of H_f (an extra pivot): the (r+1)-minor is zero.
    var o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cert))) as? [String: Any])
    var hessians = try #require(o["hessians"] as? [[String: Any]])
    let i = try #require(hessians.firstIndex { $0["hessian"] as? String == "functional" })
    var rows = try #require(hessians[i]["pivot_rows"] as? [Int]), cols = try #require(hessians[i]["pivot_cols"] as? [Int])
    rows.append((0..<46).first { !rows.contains($0) }!)
    cols.append((0..<46).first { !cols.contains($0) }!)
    hessians[i]["pivot_rows"] = rows
    hessians[i]["pivot_cols"] = cols
    hessians[i]["rank_at_least"] = rows.count
    o["hessians"] = hessians
    let bad = dir.appendingPathComponent("mf-bad.json")
    try JSONSerialization.data(withJSONObject: o).write(to: bad)
    let rejected = runHessrank(["check", bad.path])
    #expect(rejected.status == 1 && (rejected.stdout + rejected.stderr).contains("REJECTED"), "\(rejected.stdout) \(rejected.stderr)")
  }

  /// Cross-entropy with `--method matrix-free --certificate`: written (no longer refused), and
  /// `check` proves 18/30/39 exactly on a deep linear net, where the lower bounds reach the
  /// fc-ce-* upper bounds (TIGHT, exit 0); on a ReLU net (no catalog bound reached) exit 3.
  @Test func crossEntropySketchCertificateCheck() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let cert = dir.appendingPathComponent("ce.json").path
    let r = runHessrank(["rank", "6 dense(5) dense(4)", "--samples", "10", "--loss", "ce", "--method", "matrix-free",
                         "--certificate", cert, "--quiet"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let c = runHessrank(["check", cert])
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
    #expect(c.stdout.contains("rank H_o = 18 (TIGHT: the upper side of fc-ce-outer") && c.stdout.contains("rank H_f = 30 (TIGHT")
            && c.stdout.contains("rank H_L = 39 (TIGHT"), "\(c.stdout)")
    let relu = dir.appendingPathComponent("relu.json").path
    let rr = runHessrank(["rank", "1x10 conv(3,k=3,bias) relu conv(2,k=2,s=2) dense(3)", "--samples", "12", "--loss", "ce",
                          "--method", "matrix-free", "--certificate", relu, "--quiet"])
    #expect(rr.status == 0, "\(rr.stdout)\(rr.stderr)")
    let three = runHessrank(["check", relu])
    #expect(three.status == 3 && three.stdout.contains("cross-entropy") && three.stdout.contains("≥"), "\(three.stdout)\(three.stderr)")
  }

  /// A sketch certificate of a point read from a data file records the file's SHA-256; `check`
  /// rejects it once the file changes (one byte flipped).
  @Test func sketchCertificateDataFileChange() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let data = dir.appendingPathComponent("X.npy")
    try FileManager.default.copyItem(at: CLITestSupport.packageRoot.appendingPathComponent("examples/digits/X40.npy"), to: data)
    let cert = dir.appendingPathComponent("x.json").path
    let r = runHessrank(["rank", "1x8x8 conv(2,k=3) dense(5)", "--data", data.path, "--samples", "10", "--method", "matrix-free",
                         "--certificate", cert, "--quiet"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let ok = runHessrank(["check", cert, "--lower-bound-ok"])
    #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    var bytes = try Data(contentsOf: data)
    bytes[bytes.count - 1] ^= 1
    try bytes.write(to: data)
    let changed = runHessrank(["check", cert, "--lower-bound-ok"])
    #expect(changed.status == 1 && changed.stdout.contains("has changed"), "\(changed.stdout)\(changed.stderr)")
  }
}
