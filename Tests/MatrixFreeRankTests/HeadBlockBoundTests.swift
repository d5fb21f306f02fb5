import ConvNet
import Exact
import ExactLinearAlgebra
import Hessian
import Testing
@testable import MatrixFreeRank

/// `HeadBlockBound` (proofs/deep-cnn-bounds.md, Proposition 2′): 2·Σ_g rank N_g, computed from
/// the residual-weighted layer inputs, equals the rank of the principal submatrix of the dense
/// n·H_f on the weights of the last hidden layer and the head (two independent constructions),
/// and is at most rank(n·H_f); networks of another shape get no bound.
@Suite struct HeadBlockBoundTests {
  static let applicable: [(String, Int)] = [
    ("1x12 conv(2,k=3) dense(2)", 30),
    ("8 dense(6) dense(3)", 12),
    ("4x6 conv(1,k=5) dense(3)", 10),
    ("1x16x16 conv(2,k=3) avgpool(k=2) conv(3,k=3) avgpool(k=2) dense(5)", 8),
    ("1x20x20 conv(3,k=3) avgpool(k=2) conv(4,k=3) avgpool(k=2) dense(4,bias)", 16),
    ("2x6x6 conv(3,k=3,p=1,bias) relu conv(2,k=3,bias) avgpool(k=2) dense(3,bias)", 9),
    ("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", 9),
  ]

  @Test(arguments: applicable)
  func boundIsTheRankOfTheHeadBlock(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 4)
    for prime in SketchPrimes.draw(count: 2, seed: 9) {
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, threads: 2)
      let bound = try #require(HeadBlockBound.functionalLowerBound(products), "\(arch)")
      let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: PrimeField(unchecked: prime))
      let hf = dense.functionalScaled()
      // The weights of the last two parametric stages (biases left out: a principal submatrix).
      let parametric = inst.plan.stages.compactMap { stage -> (Int, Int)? in
        if case .parametric(let t, let off, _) = stage { return (off, t.weightCount) } else { return nil }
      }
      let (layer, head) = (parametric[parametric.count - 2], parametric[parametric.count - 1])
      let index = Array(layer.0..<(layer.0 + layer.1)) + Array(head.0..<(head.0 + head.1))
      let sub = ScalarMatrix(rows: index.count, cols: index.count,
                             storage: index.flatMap { i in index.map { j in hf[i, j] } })
      let subRank = ModularMatrixBox.make(sub, prime: prime).rank()
      #expect(bound == subRank, "\(arch) mod \(prime)")
      #expect(bound <= ModularMatrixBox.make(hf, prime: prime).rank(), "\(arch)")
      #expect(bound > 0, "\(arch)")
    }
  }

  /// An activation or a max pooling between the last hidden layer and the head, or products
  /// without residuals: no bound.
  @Test func otherShapesGetNone() throws {
    for (arch, samples) in [("6 dense(5,bias) relu dense(4) relu dense(2)", 20), ("1x12 conv(2,k=3) relu dense(2)", 12),
                            ("1x16 conv(2,k=3) maxpool(k=3,s=2) dense(3)", 8)] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: 2)
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 3)[0])
      #expect(HeadBlockBound.functionalLowerBound(products) == nil, "\(arch)")
    }
    let (inst, pattern) = try instance("1x12 conv(2,k=3) dense(2)", samples: 30, seed: 2)
    let outerOnly = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 3)[0], hessian: false)
    #expect(HeadBlockBound.functionalLowerBound(outerOnly) == nil)
  }
}
