import Exact
import Testing

@testable import ExactLinearAlgebra

/// Hundreds of random matrices of every class — dense with 10-, 50- and 100-bit entries,
/// low-rank products of small and wide factors, and Hessian-shaped matrices (Gram matrices
/// JᵀJ of short, wide J plus a symmetric low-rank part, with repeated columns): Bareiss, the
/// kernel route, the primes route and `auto` give the same rank with 1 and 2 threads, and
/// every certificate checks.
@Suite struct RouteAgreementTests {
  static func hessianShaped(_ n: Int, samples: Int, bits: Int, rng: inout SeededRandom) -> IntegerMatrix {
    let j = OutputSensitiveRankTests.wide(samples, n, bits: bits, rng: &rng)
    // Repeated columns (weight sharing): column c copies column c − 3 for the last third.
    for i in 0..<samples { for c in (2 * n / 3)..<n where c >= 3 { j[i, c] = j[i, c - 3] } }
    let gram = j.gram(threads: 1)
    let k = max(1, n / 6)
    let u = OutputSensitiveRankTests.wide(n, k, bits: bits / 2 + 1, rng: &rng)
    let v = OutputSensitiveRankTests.wide(k, k, bits: 3, rng: &rng)
    var sym = IntegerMatrix(rows: k, cols: k)
    for a in 0..<k { for b in 0..<k { sym[a, b] = v[a, b] + v[b, a] } }
    sym = u.multiply(sym).multiply(u.transposed())
    return gram.adding(sym)
  }

  static func matrix(_ trial: Int, rng: inout SeededRandom) -> IntegerMatrix {
    let m = rng.nextInt(in: 1...16), n = rng.nextInt(in: 1...16)
    let r = rng.nextInt(in: 0...min(m, n))
    switch trial % 7 {
    case 0: return TestMatrices.random(m, n, bound: (1 << 10) - 1, rng: &rng)
    case 1: return OutputSensitiveRankTests.wide(m, n, bits: 50, rng: &rng)
    case 2: return OutputSensitiveRankTests.wide(m, n, bits: 100, rng: &rng)
    case 3: return TestMatrices.product(m, r, n, bound: 31, rng: &rng).product
    case 4:
      return OutputSensitiveRankTests.wide(m, r, bits: 50, rng: &rng)
        .multiply(OutputSensitiveRankTests.wide(r, n, bits: 50, rng: &rng))
    case 5:
      return OutputSensitiveRankTests.wide(m, r, bits: 100, rng: &rng)
        .multiply(OutputSensitiveRankTests.wide(r, n, bits: 10, rng: &rng))
    default: return hessianShaped(n, samples: rng.nextInt(in: 1...n), bits: 20 + 30 * (trial % 3), rng: &rng)
    }
  }

  @Test func everyRouteAgreesOnHundredsOfMatrices() throws {
    var rng = SeededRandom(seed: 1616)
    for trial in 0..<350 {
      let a = Self.matrix(trial, rng: &rng)
      let known = a.bareiss(threads: 1)
      #expect(a.bareiss(threads: 2) == known, "trial \(trial)")
      let threads = 1 + trial % 2
      for route in ExactRank.UpperBoundRoute.allCases {
        let cert = ExactRank.certify(a, seed: UInt64(trial), threads: threads, route: route)
        #expect(cert.rank == known.rank, "trial \(trial) route \(route)")
        #expect((try? cert.verify(against: a, seed: UInt64(trial))) == known.rank, "trial \(trial) route \(route)")
      }
    }
  }

  /// Matrices above `ExactRank.singleThreadWork`, so that two threads really run: the same
  /// rank and pivots with 1 and 2 threads on every route.
  @Test func oneAndTwoThreadsAgreeAboveTheSmallProblemSize() throws {
    var rng = SeededRandom(seed: 1617)
    let cases: [IntegerMatrix] = [
      TestMatrices.product(140, 90, 140, bound: 15, rng: &rng).product,
      Self.hessianShaped(140, samples: 60, bits: 40, rng: &rng),
      OutputSensitiveRankTests.wide(140, 100, bits: 60, rng: &rng)
        .multiply(OutputSensitiveRankTests.wide(100, 140, bits: 4, rng: &rng)),
    ]
    for (k, a) in cases.enumerated() {
      #expect(a.rows * a.cols * min(a.rows, a.cols) >= ExactRank.singleThreadWork)
      var ranks: Set<Int> = []
      for route in ExactRank.UpperBoundRoute.allCases {
        for threads in [1, 2] {
          let cert = ExactRank.certify(a, seed: 3, threads: threads, route: route)
          #expect((try? cert.verify(against: a, seed: 5)) == cert.rank, "case \(k) route \(route) threads \(threads)")
          ranks.insert(cert.rank)
        }
      }
      #expect(ranks.count == 1, "case \(k): \(ranks)")
    }
  }
}
