import Foundation
import Testing

/// `hessrank rank --loss ce` and max pooling from the command line.
@Suite struct LossAndMaxPoolCLITests {
  @Test func crossEntropyWithMaxPooling() throws {
    let arch = "1x8x8 conv(2,k=3,bias) relu maxpool(k=2) dense(3)"
    let ce = runHessrank(["rank", arch, "--samples", "20", "--range", "1000", "--loss", "ce"])
    #expect(ce.status == 0, "\(ce.stderr)")
    #expect(ce.stdout.contains("loss      cross-entropy"))
    #expect(ce.stdout.contains("H_o      40    C·J (40×74)        proved"))
    #expect(ce.stdout.contains("H_f      40") && ce.stdout.contains("exact w.p."))
    let mse = runHessrank(["rank", arch, "--samples", "20", "--range", "1000"])
    #expect(mse.status == 0 && mse.stdout.contains("H_o      60    J (60×74)"))
  }

  /// The README's LeNet-style net (max pooling, trained with cross-entropy) from its files: the
  /// same ranks through `rank` (options) and `table` (a sweep's file keys), the README's figures.
  @Test func lenetFromFilesInRankAndTable() throws {
    let arch = "1x8x8 conv(4,k=3,p=1,bias) relu maxpool(k=2) conv(8,k=3,p=1,bias) relu maxpool(k=2) dense(10,bias)"
    let digits = CLITestSupport.packageRoot.appendingPathComponent("examples/digits").path
    let rank = runHessrank(["rank", arch, "--loss", "ce", "--weights", digits + "/lenet-ce.safetensors",
                            "--data", digits + "/X.npy", "--labels", digits + "/labels.npy", "--quiet"])
    #expect(rank.status == 0, "\(rank.stderr)")
    let rows = rank.stdout.split(separator: "\n").filter { $0.hasPrefix("H_") }
      .map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
    #expect(rows == ["H_o 535", "H_f 492", "H_L 548"])
    let dir = try CLITestSupport.temporaryDirectory()
    let sweep = try CLITestSupport.write("""
      {"architecture": "\(arch)", "weights_file": "\(digits)/lenet-ce.safetensors",
       "data_file": "\(digits)/X.npy", "labels_file": "\(digits)/labels.npy", "axes": {"loss": ["ce"]}}
      """, named: "lenet.json", in: dir)
    let table = runHessrank(["table", sweep, "--quiet"])
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stdout.contains("| 100 | 1 | 666 | 10 | 53 | 535* | 492* | 548* |"), "\(table.stdout)")
  }

  @Test func badLossAndRealTiesExitTwo() throws {
    let bad = runHessrank(["rank", "4 dense(3)", "--loss", "hinge"])
    #expect(bad.status == 2 && bad.stderr.contains("--loss must be mse or ce"))
    let one = runHessrank(["rank", "4 dense(1)", "--loss", "ce"])
    #expect(one.status == 2 && one.stderr.contains("at least 2 outputs"))
    let tie = runHessrank(["rank", "1x8x8 conv(2,k=3,bias) relu maxpool(k=2) dense(3)", "--samples", "20", "--range", "5"])
    #expect(tie.status == 2 && tie.stderr.contains("max pooling layer 2 (sample 0, output position 14) has a tie"))
  }
}
