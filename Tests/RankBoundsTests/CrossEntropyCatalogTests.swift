import ConvNet
import Exact
import Hessian
import Testing
@testable import RankBounds

/// The cross-entropy catalog entries (K → K − 1) equal the exact cross-entropy ranks on deep
/// linear fully connected nets, and differ from the MSE ranks of the same points.
@Suite struct CrossEntropyCatalogTests {
  @Test(arguments: ["6 dense(4) dense(3)", "5 dense(3) dense(4)", "4 dense(5) dense(2) dense(3)", "3 dense(2) dense(5)"])
  func formulasMatchExactRanks(text: String) throws {
    let arch = try Architecture(parsing: text)
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 9, seed: 4, range: 4))
    var options = HessianRankOptions(method: .certified)
    options.loss = .crossEntropy
    let report = try HessianRanks.compute(instance, options: options)
    let variables = NetworkVariables(instance: instance, dataRank: report.dataRank)
    for bound in BoundCatalog.crossEntropy {
      let value = try bound.formula.evaluate(in: variables)
      #expect(value == BigInt(report.result(bound.hessian)!.rank), "\(bound.id) on \(text)")
    }
    #expect(Set(BoundCatalog.crossEntropy.map(\.id)).isDisjoint(with: BoundCatalog.all.map(\.id)))
  }
}
