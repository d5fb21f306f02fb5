import ConvNet
import Exact
import HessianReference
import Testing

/// The reference Hessians reproduce published rank formulas (../shared/reference/rank-formulas.md).
@Suite struct RankFormulaTests {
  struct DeepLinear: CustomStringConvertible, Sendable {
    let d: Int, hidden: [Int], k: Int, n: Int

    var description: String { "d=\(d) hidden=\(hidden) K=\(k) n=\(n)" }

    /// Paper 1 (Singh, Bachmann, Hofmann 2021), with r = rank of the data, q = min(r, K, M_i),
    /// s = min(r, K), L = number of weight matrices.
    func formulas(r: Int) -> (outer: Int, functional: Int, loss: Int) {
      let q = ([r, k] + hidden).min()!
      let s = min(r, k)
      let l = hidden.count + 1
      let m = hidden.reduce(0, +)
      return (q * (r + k - q), 2 * q * m + 2 * q * s - l * q * q, 2 * q * m + q * (r + k) - l * q * q)
    }
  }

  @Test func formulaArithmetic() {
    // The published CIFAR-10 check (widths [5, 10], K = 10, r = 25): 150, 175, 250, and a
    // row of the table (d = 10, [4, 4], K = 6, n = 5, r = 5): 28, 56, 60.
    let cifar = DeepLinear(d: 25, hidden: [5, 10], k: 10, n: 50).formulas(r: 25)
    #expect(cifar == (150, 175, 250))
    let row = DeepLinear(d: 10, hidden: [4, 4], k: 6, n: 5).formulas(r: 5)
    #expect(row == (28, 56, 60))
  }

  static let deepLinearGrid: [DeepLinear] = [
    DeepLinear(d: 4, hidden: [3], k: 2, n: 6),
    DeepLinear(d: 5, hidden: [2], k: 3, n: 4),  // n < d, so r < d
    DeepLinear(d: 6, hidden: [4], k: 3, n: 3),  // n < d, q = r
    DeepLinear(d: 4, hidden: [3, 2], k: 2, n: 5),
    DeepLinear(d: 3, hidden: [4, 4], k: 2, n: 5),
    DeepLinear(d: 10, hidden: [4, 4], k: 6, n: 5),  // a row of the table: 28, 56, 60
  ]

  @Test(arguments: deepLinearGrid)
  func deepLinearNetworks(config: DeepLinear) throws {
    for seed: UInt64 in [1, 2] {
      let instance = try Instance(Nets.deepLinear(d: config.d, hidden: config.hidden, k: config.k),
                                  samples: config.n, seed: seed, range: 9)
      let h = try instance.hessians()
      let r = exactRank(instance.inputs)
      #expect(r == min(config.n, config.d))
      let expected = config.formulas(r: r)
      let outer = exactRank(h.jacobian)
      #expect(exactRank(h.outer) == outer, "rank(H_o) = rank(J)")
      #expect(outer == expected.outer, "H_o, seed \(seed)")
      #expect(exactRank(h.functional) == expected.functional, "H_f, seed \(seed)")
      #expect(exactRank(h.loss) == expected.loss, "H_L, seed \(seed)")
    }
  }

  /// The CNN row c_0 = 1, d = 12, k = 3, m = 6, K = 2, n = 5: p = 138, r = 5,
  /// ranks H_o 10, H_f 36, H_L 45 (derived/observed in float64; here exactly).
  @Test func oneConvLayerWithDenseHead() throws {
    let net = Nets.signal(1, 12, [.conv(ConvLayer(outChannels: 6, kernel: [3])), .dense(DenseLayer(outputs: 2))])
    let instance = try Instance(net, samples: 5, seed: 1, range: 9)
    #expect(instance.theta.count == 138)
    let h = try instance.hessians()
    #expect(exactRank(instance.inputs) == 5)
    #expect(exactRank(h.jacobian) == 10)
    #expect(exactRank(h.functional) == 36)
    #expect(exactRank(h.loss) == 45)
  }
}
