import FloatCheck
import Foundation
import Testing

/// `hessrank verify-float --loss ce` and `--reduction`: the bundled digits case where float64
/// loses a rank of the cross-entropy H_o, a small net with a clean gap (every rule CORRECT, r*
/// equal to `rank --loss ce`'s), and bad values.
@Suite struct VerifyFloatCrossEntropyCLITests {
  static let digits = ["1x8x8 conv(2,k=3) dense(5)", "--weights", "examples/digits/ce-weights.safetensors",
                       "--data", "examples/digits/X40.npy", "--labels", "examples/digits/labels40.npy"]

  /// The rank a `hessrank rank` table row reports for `symbol`.
  static func rankRow(_ stdout: String, _ symbol: String) -> Int? {
    stdout.split(separator: "\n").first { $0.hasPrefix(symbol + " ") }
      .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) }
  }

  /// The digits case (examples/digits/ce_rank_gap.py): JAX float64 says 159, the exact rank is
  /// 160; hessrank's own float64 H_o shows the same σ_160 = 1.514e-12 below every default tolerance.
  @Test func digitsCaseFloat64LosesOneRank() throws {
    let rank = runHessrank(["rank"] + Self.digits + ["--loss", "ce"])
    #expect(rank.status == 0, "\(rank.stderr)")
    #expect(Self.rankRow(rank.stdout, "H_o") == 160)
    let v = runHessrank(["verify-float"] + Self.digits + ["--loss", "ce", "--kind", "outer", "--claimed-rank", "159"])
    #expect(v.status == 1, "\(v.stderr)")
    #expect(v.stdout.contains("rank(H_o) = 160 at the point, proved: rank(C·J) over Q"))
    #expect(v.stdout.contains("s_160 = 1.51"))   // the small singular values move with the BLAS kernels
    for rule in ["numpy", "torch", "jax"] {
      #expect(v.stdout.split(separator: "\n").contains { $0.hasPrefix(rule) && $0.contains("159   WRONG (-1)") }, "\(rule)")
    }
    #expect(v.stdout.contains("claimed rank 159: WRONG (-1)"))
  }

  /// A small net with moderate dyadic weights: for every kind the built float64 CE Hessian is
  /// CORRECT under every rule and r* is `rank --loss ce`'s rank.
  @Test func cleanGapCrossEntropyMatchesRank() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let arch = "1x6 conv(2,k=3) dense(3)", n = 5
    let theta: [Double] = (0..<30).map { (j: Int) -> Double in
      let v: Int = (j * 7919 + 3) % 17 - 8
      return Double(v) / 16
    }
    let x: [Double] = (0..<(n * 6)).map { (j: Int) -> Double in
      let v: Int = (j * 31 + 5) % 13 - 6
      return Double(v) / 8
    }
    let weights = dir.appendingPathComponent("weights")
    try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
    try NumpyFile.write(values: Array(theta[0..<6]), shape: [2, 1, 3], to: weights.appendingPathComponent("0.weight.npy").path)
    try NumpyFile.write(values: Array(theta[6...]), shape: [3, 8], to: weights.appendingPathComponent("1.weight.npy").path)
    try NumpyFile.write(values: x, shape: [n, 1, 6], to: dir.appendingPathComponent("X.npy").path)
    try NumpyFile.write(values: (0..<n).map { Double($0 % 3) }, shape: [n], to: dir.appendingPathComponent("L.npy").path)
    let files = ["--weights", weights.path, "--data", dir.appendingPathComponent("X.npy").path,
                 "--labels", dir.appendingPathComponent("L.npy").path]
    let rank = runHessrank(["rank", arch, "--loss", "ce"] + files)
    #expect(rank.status == 0, "\(rank.stderr)")
    for (kind, symbol) in [("outer", "H_o"), ("functional", "H_f"), ("loss", "H_L")] {
      let expected = try #require(Self.rankRow(rank.stdout, symbol))
      for reduction in ["mean", "sum"] {
        let v = runHessrank(["verify-float", arch, "--loss", "ce", "--kind", kind, "--reduction", reduction, "--json"] + files)
        #expect(v.status == 0, "\(kind) \(reduction): \(v.stdout) \(v.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [String: Any])
        #expect(o["exact_rank"] as? Int == expected && o["verdict"] as? String == "CORRECT")
        #expect(o["loss"] as? String == "ce" && o["reduction"] as? String == reduction)
      }
    }
    // A config's "loss" key selects cross-entropy; --loss overrides it.
    let config = try CLITestSupport.write("{\"architecture\": \"\(arch)\", \"loss\": \"ce\"}", named: "ce.json", in: dir)
    let fromConfig = runHessrank(["verify-float", config, "--kind", "outer"] + files)
    let outerRank = try #require(Self.rankRow(rank.stdout, "H_o"))
    #expect(fromConfig.status == 0 && fromConfig.stdout.contains("rank(H_o) = \(outerRank) at the point"),
            "\(fromConfig.stdout) \(fromConfig.stderr)")
    let overridden = runHessrank(["verify-float", config, "--kind", "outer", "--loss", "mse"] + files)
    #expect(overridden.status == 0 && overridden.stdout.contains("over Q, proved") && !overridden.stdout.contains("cross-entropy"))
    // MSE at the same point: the elementwise reductions verify too.
    for reduction in ["mean-all", "sum-all"] {
      let v = runHessrank(["verify-float", arch, "--reduction", reduction] + files)
      #expect(v.status == 0 && v.stdout.contains("verdict: CORRECT"), "\(reduction): \(v.stdout) \(v.stderr)")
    }
  }

  @Test(arguments: [
    (["--loss", "hinge"], "--loss must be mse or ce, got 'hinge'"),
    (["--reduction", "avg"], "--reduction must be mean, sum, mean-all or sum-all, got 'avg'"),
    (["--loss", "ce", "--reduction", "mean-all"], "--reduction mean-all is defined for MSE only"),
    (["--targets", "examples/digits/labels40.npy"], "give --targets Y.npy or --labels L.npy, not both"),
  ])
  func badValuesAreOneLineExit2(extra: [String], message: String) throws {
    let r = runHessrank(["verify-float"] + Self.digits + extra)
    #expect(r.status == 2)
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1 && r.stdout.isEmpty)
  }
}
