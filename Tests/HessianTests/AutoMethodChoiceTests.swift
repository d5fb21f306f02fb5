import ConvNet
import Exact
import ExactLinearAlgebra
import Testing

@testable import Hessian

/// `auto` resolves by cost and says why; whichever it picks, the ranks are the certified ones.
@Suite struct AutoMethodChoiceTests {
  static func instance(_ arch: String, samples: Int = 10, range: Int = 5) throws -> NetworkInstance {
    try NetworkInstance(
      architecture: try Architecture(parsing: arch), settings: InstanceSettings(samples: samples, seed: 3, range: range))
  }

  @Test func autoSaysWhyAndAgreesWithCertified() throws {
    let inst = try Self.instance("1x12 conv(2,k=3) dense(2)")
    let auto = try HessianRanks.compute(inst, options: HessianRankOptions(method: .auto))
    let certified = try HessianRanks.compute(inst, options: HessianRankOptions(method: .certified))
    #expect(auto.method == .certified || auto.method == .modular)
    let why = try #require(auto.methodReason)
    #expect(why.hasPrefix("auto → \(auto.method.rawValue)"))
    for kind in HessianKind.allCases { #expect(auto.result(kind)?.rank == certified.result(kind)?.rank) }
    // A method asked for has no reason; a certificate asked for forces certified.
    #expect(certified.methodReason == nil)
    let withCert = try HessianRanks.compute(inst, options: HessianRankOptions(method: .auto, wantCertificates: true))
    #expect(withCert.method == .certified && withCert.methodReason?.contains("certificate") == true)
  }

  /// The proof estimate: a full-rank matrix costs only its rank profile; a rank-deficient one
  /// more, growing with its entries (Hadamard's bound).
  @Test func proofEstimateGrowsWithDeficiencyAndEntrySize() {
    var rng = SeededRandom(seed: 5)
    func product(_ bound: Int) -> IntegerMatrix {
      let a = IntegerMatrix(rows: 40, cols: 30), b = IntegerMatrix(rows: 30, cols: 40)
      for i in 0..<40 { for j in 0..<30 { a[i, j] = BigInt(rng.nextInt(in: -bound...bound)) } }
      for i in 0..<30 { for j in 0..<40 { b[i, j] = BigInt(rng.nextInt(in: -bound...bound)) } }
      return a.multiply(b)
    }
    let small = product(3), large = product(1 << 30)
    let full = AutoMethodChoice.estimatedProofSeconds(small, rank: 40)
    let deficient = AutoMethodChoice.estimatedProofSeconds(small, rank: 30)
    let deficientLarge = AutoMethodChoice.estimatedProofSeconds(large, rank: 30)
    #expect(full > 0 && deficient > full && deficientLarge > deficient)
  }
}
