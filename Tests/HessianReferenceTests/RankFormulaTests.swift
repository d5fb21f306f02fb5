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

  /// A row of the CNN table: c_0 × d input, conv(m, k), dense(K), n samples, and the ranks.
  struct CNNRow: CustomStringConvertible, Sendable {
    let c0: Int, d: Int, k: Int, m: Int, outputs: Int, n: Int
    let p: Int, r: Int, outer: Int, functional: Int, loss: Int
    var description: String { "\(c0)x\(d) conv(\(m),k=\(k)) dense(\(outputs)) n=\(n)" }
  }

  /// Rows of the CNN table (derived/observed in float64 there; reproduced exactly here).
  static let cnnRows: [CNNRow] = [
    CNNRow(c0: 1, d: 12, k: 3, m: 6, outputs: 2, n: 5, p: 138, r: 5, outer: 10, functional: 36, loss: 45),
    CNNRow(c0: 2, d: 8, k: 3, m: 6, outputs: 3, n: 5, p: 144, r: 5, outer: 15, functional: 72, loss: 86),
    CNNRow(c0: 1, d: 12, k: 3, m: 2, outputs: 2, n: 100, p: 46, r: 12, outer: 24, functional: 12, loss: 35),
  ]

  @Test(arguments: cnnRows)
  func oneConvLayerWithDenseHead(row: CNNRow) throws {
    let net = Nets.signal(row.c0, row.d, [.conv(ConvLayer(outChannels: row.m, kernel: [row.k])), .dense(DenseLayer(outputs: row.outputs))])
    for seed: UInt64 in [1, 2] {
      let instance = try Instance(net, samples: row.n, seed: seed, range: 9)
      #expect(instance.theta.count == row.p)
      let h = try instance.hessians()
      #expect(exactRank(instance.inputs) == row.r)
      #expect(exactRank(h.jacobian) == row.outer, "H_o, seed \(seed)")
      #expect(exactRank(h.functional) == row.functional, "H_f, seed \(seed)")
      #expect(exactRank(h.loss) == row.loss, "H_L, seed \(seed)")
    }
  }
}
