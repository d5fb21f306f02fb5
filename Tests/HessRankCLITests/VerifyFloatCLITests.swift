import Exact
import FloatCheck
import Foundation
import Testing

/// `hessrank verify-float` and `hessrank hessian --out H.npy` on the exported network fixtures
/// (Tests/FloatCheckTests/Fixtures/net-n8: "1x8 conv(2,k=3) dense(2)", n = 8, exact rank 27;
/// its float32 Hessian has rank 25 under every library's default rule).
@Suite struct VerifyFloatCLITests {
  static let net = "Tests/FloatCheckTests/Fixtures/net-n8"
  static let arch = "1x8 conv(2,k=3) dense(2)"
  typealias Run = (status: Int32, stdout: String, stderr: String)

  static func verify(_ extra: [String], weights: String = "\(net)/weights.safetensors", data: String = "\(net)/X.npy",
                     targets: String = "\(net)/Y.npy", arch: String = arch) -> Run {
    runHessrank(["verify-float", arch, "--weights", weights, "--data", data, "--targets", targets] + extra)
  }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func cleanFloat64HessianIsCorrect() throws {
    let r = Self.verify(["--hessian", "\(Self.net)/H64.npy"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("rank(H_L) = 27 over Q, proved"))
    #expect(r.stdout.contains("verdict: CORRECT"))
    for rule in ["numpy", "torch", "jax"] {
      #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix(rule) && $0.contains("27    CORRECT") }, "\(rule)")
    }
  }

  @Test func float32HessianWithTheDefaultRuleIsWrong() throws {
    let r = Self.verify(["--hessian", "\(Self.net)/H32.npy", "--weights", "\(Self.net)/weights"])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stdout.contains("(float32)") && r.stdout.contains("25    WRONG (-2)"))
    #expect(r.stdout.contains("provably safe tolerances: empty"))
    #expect(r.stdout.contains("verdict: WRONG"))
  }

  @Test func claimedRanksRightAndWrong() throws {
    let right = Self.verify(["--hessian", "\(Self.net)/H64.npy", "--claimed-rank", "27"])
    #expect(right.status == 0 && right.stdout.contains("claimed rank 27: CORRECT"), "\(right.stdout)")
    let wrong = Self.verify(["--hessian", "\(Self.net)/H64.npy", "--claimed-rank", "25"])
    #expect(wrong.status == 1 && wrong.stdout.contains("claimed rank 25: WRONG (-2)"), "\(wrong.stdout)")
    // Every rule CORRECT, only the claim is wrong: the verdict line names the claim alone.
    #expect(wrong.stdout.contains("verdict: WRONG — claimed rank WRONG (-2)"))
  }

  @Test func withoutAHessianFileTheProjectBuildsTheFloat64Hessian() throws {
    let r = Self.verify(["--json", "--rule", "numpy", "--rule", "atol=1e-20"])
    #expect(r.status == 1, "\(r.stderr)")  // atol=1e-20 counts rounding noise as rank
    let o = try json(r.stdout)
    #expect(o["exact_rank"] as? Int == 27 && o["float_hessian"] as? String == "built by hessrank in float64")
    #expect(o["verdict"] as? String == "WRONG" && o["all_correct"] as? Bool == false)
    let rules = try #require((o["analysis"] as? [String: Any])?["rules"] as? [[String: Any]])
    #expect(rules.map { $0["verdict"] as? String } == ["CORRECT", "WRONG"])
    #expect((rules[1]["rank"] as? Int).map { $0 > 27 } == true)
    let plain = Self.verify(["--kind", "outer"])
    #expect(plain.status == 0 && plain.stdout.contains("rank(H_o) = 16 over Q"), "\(plain.stdout)")
  }

  @Test func modularRankIsAProvedLowerBoundWithTheSameVerdicts() throws {
    let r = Self.verify(["--hessian", "\(Self.net)/H64.npy", "--method", "modular", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try json(r.stdout)
    #expect(o["exact_rank"] as? Int == 27 && o["exact_rank_proved"] as? Bool == false)
    #expect((o["exact_rank_failure_bound"] as? Double).map { $0 > 0 && $0 < 1e-6 } == true)
    #expect(o["all_correct"] as? Bool == true)
    let certified = try json(Self.verify(["--hessian", "\(Self.net)/H64.npy", "--json"]).stdout)
    #expect(certified["exact_rank_proved"] as? Bool == true && certified["exact_rank_failure_bound"] == nil)
    let bad = Self.verify(["--method", "fast"])
    #expect(bad.status == 2 && bad.stderr.contains("--method"))
  }

  /// Bad inputs written to a temporary directory; each must give one error line and exit 2.
  @Test(arguments: ["truncated", "nan", "shape", "missing", "kink", "hessian-shape"])
  func badInputIsOneLineAndExitTwo(kind: String) throws {
    let dir = try CLITestSupport.temporaryDirectory()
    let root = CLITestSupport.packageRoot.appendingPathComponent(Self.net).path
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let x = try NumpyFile.read("\(root)/X.npy")
    var phrase = ""
    let r: Run
    switch kind {
    case "truncated":
      let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(root)/X.npy"))
      try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: path("X.npy")))
      r = Self.verify([], data: path("X.npy"))
      phrase = "truncated"
    case "nan":
      var values = x.values
      values[13] = .nan
      try NumpyFile.write(values: values, shape: x.shape, to: path("X.npy"))
      r = Self.verify([], data: path("X.npy"))
      phrase = "non-finite value nan at index [1, 0, 5]"
    case "shape":
      try FileManager.default.createDirectory(atPath: path("w"), withIntermediateDirectories: true)
      try NumpyFile.write(values: Array(repeating: 0.5, count: 8), shape: [2, 1, 4], to: path("w/0.weight.npy"))
      try FileManager.default.copyItem(atPath: "\(root)/weights/1.weight.npy", toPath: path("w/1.weight.npy"))
      r = Self.verify([], weights: path("w"))
      phrase = "tensor '0.weight' has shape (2, 1, 4) but the architecture needs (2, 1, 3)"
    case "missing":
      try FileManager.default.createDirectory(atPath: path("w"), withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: "\(root)/weights/0.weight.npy", toPath: path("w/0.weight.npy"))
      r = Self.verify([], weights: path("w"))
      phrase = "no tensor '1.weight' of shape (2, 12)"
    case "kink":
      // 2 dense(1) relu dense(1) with a zero first layer: every ReLU input is exactly 0.
      try FileManager.default.createDirectory(atPath: path("w"), withIntermediateDirectories: true)
      try NumpyFile.write(values: [0, 0], shape: [1, 2], to: path("w/0.weight.npy"))
      try NumpyFile.write(values: [1.5], shape: [1, 1], to: path("w/2.weight.npy"))
      try NumpyFile.write(values: [1, 2, 3, 4], shape: [2, 2], to: path("X.npy"))
      try NumpyFile.write(values: [0.5, -1], shape: [2, 1], to: path("Y.npy"))
      r = Self.verify([], weights: path("w"), data: path("X.npy"), targets: path("Y.npy"),
                          arch: "2 dense(1) relu dense(1)")
      phrase = "non-differentiable point: the pre-activation of layer 1 (sample 0, position 0) is exactly 0"
    default:
      r = Self.verify(["--hessian", "\(root)/X.npy"])
      phrase = "must be (30, 30)"
    }
    #expect(r.status == 2, "\(kind): \(r.stdout)")
    #expect(r.stderr.contains(phrase), "\(kind): \(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1 && r.stdout.isEmpty, "\(kind): \(r.stderr)")
  }

  @Test func hessianExportAsNpyHoldsTheNearestDoubles() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    // Average pooling (weights 1/2) and fractions with denominators ≤ 7: entries that are
    // not dyadic, so the export has to round.
    let args = ["hessian", "1x8 conv(2,k=3) avgpool(k=2) dense(2)", "--samples", "3", "--max-denominator", "7"]
    let npy = dir.appendingPathComponent("H.npy").path, txt = dir.appendingPathComponent("H.txt").path
    let a = runHessrank(args + ["--out", npy]), b = runHessrank(args + ["--out", txt])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
    let h = try NumpyFile.read(npy)
    let lines = try String(contentsOfFile: txt, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
    let exact = try lines.flatMap { try $0.split(separator: " ").map { try Rational(parsing: String($0)) } }
    #expect(h.shape == [18, 18] && h.dtype == .float64 && exact.count == 18 * 18)
    #expect(zip(h.values, exact).allSatisfy { $0.bitPattern == Double(nearest: $1).bitPattern })
    // Some entries are not doubles: the export really rounded.
    #expect(exact.contains { (try? Rational(exactly: Double(nearest: $0))) != $0 })
  }
}
