import ConvNet
import Exact
import Testing
@testable import Hessian

/// The one-conv-layer rows of shared/reference/rank-formulas.md (c_0, d, k, m, K, n → ranks).
@Suite struct CNNTableTests {
  struct Row: Sendable, CustomStringConvertible {
    let c0, d, k, m, kOut, n, p, outer, functional, loss: Int
    var description: String { "c0=\(c0) d=\(d) k=\(k) m=\(m) K=\(kOut) n=\(n)" }
  }

  static let rows: [Row] = [
    Row(c0: 1, d: 12, k: 3, m: 2, kOut: 2, n: 100, p: 46, outer: 24, functional: 12, loss: 35),
    Row(c0: 1, d: 12, k: 5, m: 2, kOut: 3, n: 100, p: 58, outer: 36, functional: 20, loss: 55),
    Row(c0: 1, d: 16, k: 7, m: 3, kOut: 4, n: 100, p: 141, outer: 64, functional: 42, loss: 105),
    Row(c0: 1, d: 12, k: 3, m: 6, kOut: 2, n: 5, p: 138, outer: 10, functional: 36, loss: 45),
    Row(c0: 1, d: 12, k: 3, m: 3, kOut: 1, n: 100, p: 39, outer: 12, functional: 18, loss: 29),
    Row(c0: 1, d: 10, k: 8, m: 2, kOut: 4, n: 100, p: 40, outer: 36, functional: 32, loss: 40),
    Row(c0: 2, d: 8, k: 3, m: 4, kOut: 3, n: 100, p: 96, outer: 48, functional: 48, loss: 92),
    Row(c0: 2, d: 8, k: 3, m: 6, kOut: 3, n: 5, p: 144, outer: 15, functional: 72, loss: 86),
    Row(c0: 3, d: 6, k: 3, m: 8, kOut: 4, n: 100, p: 200, outer: 72, functional: 144, loss: 200),
  ]

  @Test(arguments: rows)
  func row(_ row: Row) throws {
    let arch = conv1d(c0: row.c0, d: row.d, [
      .conv(ConvLayer(outChannels: row.m, kernel: [row.k])), .dense(DenseLayer(outputs: row.kOut)),
    ])
    #expect(try arch.parameterCount() == row.p)
    for seed: UInt64 in [1, 2] {
      #expect(try ranksModP(arch, samples: row.n, seed: seed) == Ranks(outer: row.outer, functional: row.functional, loss: row.loss))
    }
  }
}
