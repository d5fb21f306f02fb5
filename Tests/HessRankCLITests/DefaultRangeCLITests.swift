import Foundation
import Testing

/// The default instance is drawn wide (integers in [−10^6, 10^6]) for every network without a
/// range, so degenerate points are improbable: the Schwartz–Zippel probability printed is small
/// and a modular rank keeps its failure probability (Hadamard bound in log2, no saturation).
@Suite struct DefaultRangeCLITests {
  @Test func architectureStringsDrawFromTheWideRange() {
    let r = runHessrank(["rank", "1x12 conv(2,k=3) dense(2)"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("integers in [-1000000, 1000000]"), "\(r.stdout.prefix(400))")
    // N·deg/(2B+1) for H_o: min(200, 46) · 2 / 2000001 = 4.6e-05.
    #expect(r.stdout.contains("H_o ε ≤ 4.6e-05"), "\(r.stdout)")
    // Same ranks as at the narrow range of the bundled config (a generic point either way).
    let config = runHessrank(["rank", "examples/configs/cnn1d-c1-d12-k3-m2-K2-n100.json"])
    for line in ["H_o      24", "H_f      12", "H_L      35"] {
      #expect(r.stdout.contains(line) && config.stdout.contains(line), "\(line)")
    }
  }

  @Test func anExplicitRangeStillWins() {
    let r = runHessrank(["rank", "8 dense(6) dense(3)", "--range", "5"])
    #expect(r.stdout.contains("integers in [-5, 5]"), "\(r.stdout.prefix(400))")
    // 66·4/11 > 1: the bound is vacuous and the report says so.
    #expect(r.stdout.contains("no useful bound at --range 5"), "\(r.stdout)")
  }

  @Test func wideModularRanksKeepTheirFailureProbability() {
    let r = runHessrank(["rank", "1x16 conv(4,k=3) conv(4,k=3) dense(2)", "--method", "modular", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    // Entries of n·H_L reach ~2^100 at this range: the word-size bound saturated (no probability).
    let values = r.stdout.components(separatedBy: "\"prime_failure_bound\": ").dropFirst()
      .map { $0.prefix { !",}".contains($0) } }
    #expect(values.count == 3, "\(r.stdout.prefix(600))")
    for v in values {
      // Hadamard: ≤ 2·156·(entry bits + 4)/24 bad primes among ~500,000, squared for 2 primes.
      let x = Double(v)
      #expect(x != nil && x! > 0 && x! < 1e-5, "prime_failure_bound \(v)")
    }
  }

  @Test func aSweepWithoutRangeUsesTheWideRange() throws {
    let dir = try CLITestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let sweep = try CLITestSupport.write(#"{"architecture": "8 dense({m}) dense(1)", "samples": 20, "axes": {"m": [2, 3]}}"#,
                                         named: "s.json", in: dir)
    let r = runHessrank(["table", sweep, "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(",1000000,"), "\(r.stdout.prefix(400))")
  }
}
