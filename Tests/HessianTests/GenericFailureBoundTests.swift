import ConvNet
import Exact
import Hessian
import Testing

/// The Schwartz–Zippel bound on "the point's rank is below the generic rank" is N·deg/(2B+1),
/// except that a rank already at min(rows, p) cannot be exceeded by any point: then it is 0.
@Suite struct GenericFailureBoundTests {
  func ranks(_ arch: String, samples: Int) throws -> HessianRankReport {
    let inst = try NetworkInstance(architecture: try Architecture(parsing: arch),
                                   settings: InstanceSettings(samples: samples, seed: 2, range: 1000))
    return try HessianRanks.compute(inst, options: HessianRankOptions(method: .modular))
  }

  /// `3x8x8 conv(2,k=3) dense(10)`, n = 4: rank(J) = nK = 40 ≤ p = 774, so H_o is at its largest
  /// possible rank (ε = 0); H_f and H_L are far below p and keep N·deg/(2B+1) = 774·4/2001.
  @Test func fullRankHasNoFailureProbability() throws {
    let r = try ranks("3x8x8 conv(2,k=3) dense(10)", samples: 4)
    #expect(r.result(.outer)?.rank == 40)
    #expect(r.result(.outer)?.genericFailureBound == Rational(0))
    for kind in [HessianKind.functional, .loss] {
      let x = try #require(r.result(kind))
      #expect(x.rank < 774)
      #expect(x.genericFailureBound == Rational(774 * 4, 2001))
    }
  }

  /// `6 dense(5) dense(4)`, n = 10: rank(J) = 24 < min(nK, p) = 40 (the known FC rank), so H_o's
  /// bound is min(40, 50)·2/2001, not 0.
  @Test func deficientRankKeepsTheBound() throws {
    let r = try ranks("6 dense(5) dense(4)", samples: 10)
    #expect(r.result(.outer)?.rank == 24)
    #expect(r.result(.outer)?.genericFailureBound == Rational(40 * 2, 2001))
  }
}
