import Foundation
import Testing

/// Points read from files: the same point gives the same ranks through every command, a
/// certificate about it is refused once its files change, and bad files are one line.
@Suite struct InstanceFilesCLITests {
  let arch = "1x5x5 conv(2,k=3) relu dense(3)"

  /// The first integer after `prefix` in `text`.
  func number(after prefix: String, in text: String) -> Int? {
    guard let r = text.range(of: prefix) else { return nil }
    return Int(text[r.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
  }

  func writePoint(_ dir: URL, extra: [String] = []) -> String {
    let out = dir.appendingPathComponent("point").path
    let r = runHessrank(["instance", arch, "--samples", "6", "--out", out] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    return out
  }

  @Test func samePointSameRanksThroughRankCertifyTableAndVerifyFloat() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let point = writePoint(dir)
    let w = point + "/weights.safetensors", x = point + "/X.npy", y = point + "/Y.npy"
    let rank = runHessrank(["rank", arch, "--weights", w, "--data", x, "--targets", y])
    #expect(rank.status == 0, "\(rank.stderr)")
    let ho = number(after: "H_o ", in: rank.stdout), hf = number(after: "H_f ", in: rank.stdout)
    let hl = number(after: "H_L ", in: rank.stdout)
    #expect(ho == 18 && hf != nil && hl != nil)
    // The config the instance command wrote names the files: the same point.
    let viaConfig = runHessrank(["rank", point + "/config.json"])
    #expect(number(after: "H_L ", in: viaConfig.stdout) == hl, "\(viaConfig.stderr)")
    // The seeded point the files came from: the same ranks again.
    let seeded = runHessrank(["rank", arch, "--samples", "6"])
    #expect(number(after: "H_L ", in: seeded.stdout) == hl && number(after: "H_f ", in: seeded.stdout) == hf)
    let certify = runHessrank(["certify", arch, "--weights", w, "--data", x, "--targets", y, "--seeds", "1"])
    #expect(certify.status == 0, "\(certify.stderr)")
    #expect(certify.stdout.contains("rank H_o = \(ho!), H_f = \(hf!), H_L = \(hl!)"))
    let sweep = try CLITestSupport.write("""
      {"architecture": "1x5x5 conv({m},k=3) relu dense(3)", "axes": {"m": [2]}, "samples": 6, "seeds": 1,
       "weights_file": "point/weights.safetensors", "data_file": "point/X.npy", "targets_file": "point/Y.npy"}
      """, named: "sweep.json", in: dir)
    let table = runHessrank(["table", sweep, "--format", "json"])
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.contains("\"H_L\": \(hl!)") || table.stdout.contains("\"H_L\":\(hl!)"), "\(table.stdout)")
    let float = runHessrank(["verify-float", arch, "--weights", w, "--data", x, "--targets", y])
    #expect(number(after: "exact rank r* = ", in: float.stdout) == hl, "\(float.stdout)\(float.stderr)")
  }

  @Test func certificateIsRefusedWhenItsDataFileChanges() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let point = writePoint(dir)
    let cert = dir.appendingPathComponent("cert.json").path
    let args = ["rank", arch, "--data", point + "/X.npy", "--labels", "L.npy"]
    let labels = dir.appendingPathComponent("L.npy").path
    // Labels from a tiny .npy written by the instance command's own target file is not what we
    // want here; write class indices with NumPy's format by hand (int64, shape (6,)).
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    bytes += [UInt8(header.utf8.count), 0] + Array(header.utf8)
    for label in [0, 1, 2, 2, 1, 0] as [Int64] { withUnsafeBytes(of: label.littleEndian) { bytes += $0 } }
    try Data(bytes).write(to: URL(fileURLWithPath: labels))
    let made = runHessrank(Array(args.dropLast()) + [labels, "--certificate", cert])
    #expect(made.status == 0, "\(made.stderr)")
    let ok = runHessrank(["check", cert])
    #expect(ok.status == 0 && ok.stdout.contains("certificate holds"), "\(ok.stdout)\(ok.stderr)")
    // certify's bound certificate records the same files.
    let boundCert = dir.appendingPathComponent("bounds.json").path
    let certified = runHessrank(["certify", arch, "--data", point + "/X.npy", "--labels", labels, "--seeds", "2",
                                 "--certificate", boundCert])
    #expect(certified.status == 0, "\(certified.stderr)")
    #expect(runHessrank(["check", boundCert]).status == 0)
    // Another point's inputs under the same name: the certificate is refused.
    let other = runHessrank(["instance", arch, "--samples", "6", "--seed", "2", "--out", point])
    #expect(other.status == 0)
    let refused = runHessrank(["check", cert])
    #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
    #expect(refused.stdout.contains("REJECTED") && refused.stdout.contains("X.npy has changed"))
    let boundRefused = runHessrank(["check", boundCert])
    #expect(boundRefused.status == 1 && boundRefused.stdout.contains("X.npy has changed"), "\(boundRefused.stdout)")
  }

  @Test func reluNetworksRunAtTheDefaults() throws {
    let r = runHessrank(["rank", "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)", "--hessian", "outer", "--method", "modular", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\"rank_outer\": 1000"))
    #expect(r.stdout.contains("\"kink_probability_bound\": 4.800e-03"))
    let leaky = runHessrank(["rank", "1x8x8 conv(3,k=3) leaky(0.1) conv(2,k=3) relu dense(2)", "--samples", "20", "--hessian", "outer"])
    #expect(leaky.status == 0, "\(leaky.stderr)")
  }

  @Test func badFilesAndRealKinksAreOneLineExitTwo() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let point = writePoint(dir)
    // A real kink at file data: 2 dense(1) relu dense(1) with x = (1, 1) and w = (1, -1).
    let kink = dir.appendingPathComponent("kink").path
    let made = runHessrank(["instance", "2 dense(1) relu dense(1)", "--samples", "1", "--range", "1", "--seed", "1", "--out", kink])
    #expect(made.status == 0, "\(made.stderr)")
    let cases: [([String], String)] = [
      (["rank", "2 dense(1) relu dense(1)", "--data", kink + "/X.npy", "--weights", kink + "/weights.safetensors"],
       "only the weights can move"),
      (["rank", arch, "--weights", point + "/X.npy"], "no tensor '0.weight'"),
      (["rank", arch, "--data", point + "/Y.npy"], "Y.npy"),
      (["rank", arch, "--data", point + "/X.npy", "--samples", "7"], "only 6"),
      (["rank", arch, "--data", point + "/X.npy", "--labels", point + "/Y.npy"], "labels must have shape"),
      (["certify", arch, "--data", dir.appendingPathComponent("none.npy").path], "no such file"),
    ]
    for (args, phrase) in cases {
      let r = runHessrank(args)
      #expect(r.status == 2, "\(args): \(r.stdout)")
      #expect(r.stderr.contains(phrase), "\(args): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
  }
}
