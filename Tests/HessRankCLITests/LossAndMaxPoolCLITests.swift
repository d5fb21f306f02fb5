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

  @Test func badLossAndRealTiesExitTwo() throws {
    let bad = runHessrank(["rank", "4 dense(3)", "--loss", "hinge"])
    #expect(bad.status == 2 && bad.stderr.contains("--loss must be mse or ce"))
    let one = runHessrank(["rank", "4 dense(1)", "--loss", "ce"])
    #expect(one.status == 2 && one.stderr.contains("at least 2 outputs"))
    let tie = runHessrank(["rank", "1x8x8 conv(2,k=3,bias) relu maxpool(k=2) dense(3)", "--samples", "20", "--range", "5"])
    #expect(tie.status == 2 && tie.stderr.contains("max pooling layer 2 (sample 0, output position 14) has a tie"))
  }
}
