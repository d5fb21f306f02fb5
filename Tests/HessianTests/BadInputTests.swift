import ConvNet
import Exact
import Testing
@testable import Hessian

@Suite struct BadInputTests {
  @Test func noSamples() {
    #expect(throws: InstanceError.noSamples) {
      _ = try NetworkInstance(architecture: fc(3, [2]), settings: InstanceSettings(samples: 0))
    }
  }

  @Test func targetsOfTheWrongShape() {
    let settings = InstanceSettings(samples: 2, targetValues: [[1, 2], [3]])
    #expect(throws: InstanceError.self) { _ = try NetworkInstance(architecture: fc(3, [2]), settings: settings) }
    let rows = InstanceSettings(samples: 2, targetValues: [[1, 2]])
    #expect(throws: InstanceError.self) { _ = try NetworkInstance(architecture: fc(3, [2]), settings: rows) }
    let weights = InstanceSettings(samples: 2, weights: [1, 2, 3])
    #expect(throws: InstanceError.self) { _ = try NetworkInstance(architecture: fc(3, [2]), settings: weights) }
  }

  /// Sizes over the memory budget are refused with the estimate, before anything is built.
  @Test func memoryBudgetIsCheckedFirst() throws {
    let big = fc(1000, [150, 10])  // p = 151,500: three dense p × p matrices would need ~550 GB
    let instance = try NetworkInstance(architecture: big, settings: InstanceSettings(samples: 1))
    #expect(HessianRanks.modularMemoryEstimate(p: 151_500, rows: 10) > HessianRanks.memoryBudget)
    do {
      _ = try HessianRanks.compute(instance, options: HessianRankOptions(method: .modular))
      Issue.record("expected a refusal")
    } catch let e as HessianRankError {
      #expect(e.description.contains("GiB") && e.description.contains("p = 151500") && e.description.contains("memory budget"))
    }
  }

  /// Rational (non-integer) instances map into the prime fields of the modular path.
  @Test func rationalInstanceInModularPath() throws {
    let arch = fc(2, [1])
    let settings = InstanceSettings(samples: 1, weights: [Rational(1, 3), 1], inputs: [[1, 2]], targetValues: [[0]])
    let instance = try NetworkInstance(architecture: arch, settings: settings)
    let report = try HessianRanks.compute(instance, options: HessianRankOptions(method: .modular, primes: 3))
    // f = w·x is linear in θ with J = x ≠ 0: rank H_o = 1, H_f = 0, H_L = 1.
    #expect(report.result(.outer)?.rank == 1 && report.result(.functional)?.rank == 0 && report.result(.loss)?.rank == 1)
  }
}
