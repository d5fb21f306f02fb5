import ConvNet
import Foundation
import Hessian
import Reports
import Testing

/// A sweep's `"loss"` (key and axis): rows ranked with that loss, keyed apart, kept in the rows file.
@Suite struct LossSweepTests {
  @Test func lossAxisRowsEqualDirectRanks() throws {
    let spec = try sweep(#"{"architecture": "6 dense({m}) dense(4)", "samples": 10, "axes": {"m": [3, 5], "loss": ["mse", "ce"]}}"#)
    #expect(spec.losses == [.mse, .crossEntropy])
    let rows = try runSweep(spec).rows
    #expect(rows.count == 4)
    #expect(Set(rows.map(\.key)).count == 4)
    for row in rows {
      let instance = try NetworkInstance(architecture: row.config.architecture, settings: row.config.instance)
      var options = HessianRankOptions()
      options.loss = row.settings.first { $0.name == "loss" }.flatMap { LossFunction(rawValue: $0.value) } ?? .mse
      #expect(row.config.instance.loss == options.loss)
      let direct = try HessianRanks.compute(instance, options: options)
      #expect(row.ranks.map(\.rank) == direct.results.map(\.rank), "\(row.key)")
      // The rows file keeps the loss (so annotations recomputed on resume judge the right bounds).
      #expect(try TableRow(json: row.jsonValue).config.instance.loss == options.loss)
    }
    // m = 5, K = 4, r = 6: MSE q = 4 → H_o 24; cross-entropy q' = 3 → 18.
    #expect(rows.filter { $0.config.instance.loss == .crossEntropy }.map { $0.ranks[0].rank } == [18, 18])
    #expect(rows.filter { $0.config.instance.loss == .mse }.map { $0.ranks[0].rank } == [21, 24])
  }

  @Test func topLevelLossAndErrors() throws {
    let spec = try sweep(#"{"architecture": "6 dense(5) dense(4)", "samples": 10, "loss": "ce"}"#)
    #expect(spec.base.loss == .crossEntropy && spec.losses == [.crossEntropy])
    #expect(try spec.plan().rows[0].key.contains(" loss=ce |"))
    #expect(sweepError(#"{"architecture": "6 dense(5) dense(4)", "loss": "hinge"}"#)?.contains("loss must be \"mse\" or \"ce\", found 'hinge'") == true)
  }
}
