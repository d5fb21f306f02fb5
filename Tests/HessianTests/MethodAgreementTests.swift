import ConvNet
import Exact
import Foundation
import Testing
@testable import Hessian

/// The fast modular path and the exact paths agree on every bundled example config.
@Suite struct MethodAgreementTests {
  static let configs: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/configs").standardized
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return files.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0).path }
  }()

  @Test func thereAreExamples() { #expect(Self.configs.count >= 10) }

  @Test(arguments: configs)
  func modularEqualsCertified(path: String) throws {
    let config = try NetworkConfig.load(path: path)
    let instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    let p = instance.plan.parameterCount
    guard p <= 200 else { return }  // keep the exact path cheap in the suite
    let modular = try HessianRanks.compute(instance, options: HessianRankOptions(method: .modular))
    let certified = try HessianRanks.compute(instance, options: HessianRankOptions(method: .certified))
    for kind in HessianKind.allCases {
      #expect(modular.result(kind)?.rank == certified.result(kind)?.rank, "\(kind) \(path)")
    }
    if p <= 60 {
      let bareiss = try HessianRanks.compute(instance, options: HessianRankOptions(method: .bareiss))
      for kind in HessianKind.allCases {
        #expect(bareiss.result(kind)?.rank == certified.result(kind)?.rank, "\(kind) \(path)")
      }
    }
  }
}
