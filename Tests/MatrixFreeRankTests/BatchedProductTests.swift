import ConvNet
import Exact
import Hessian
import Testing
@testable import MatrixFreeRank

/// Networks of the suite: conv (1-D, 2-D, stride, padding, bias), pooling, ReLU, leaky ReLU, dense.
let suiteNetworks: [(String, Int)] = [
  ("1x12 conv(2,k=3) dense(2)", 30),
  ("8 dense(6) dense(3)", 12),
  ("1x10 conv(3,k=3,bias) relu conv(2,k=2,s=2) dense(2)", 25),
  ("2x6x6 conv(3,k=3,p=1,bias) avgpool(k=2) leaky(1/3) dense(3,bias)", 9),
  ("4x6 conv(1,k=5) dense(3)", 10),
  ("6 dense(5,bias) relu dense(4) dense(2)", 40),
]

func instance(_ arch: String, samples: Int, seed: UInt64) throws -> (NetworkInstance, ActivationPattern) {
  let inst = try NetworkInstance(architecture: try Architecture(parsing: arch), settings: InstanceSettings(samples: samples, seed: seed, range: 1000))
  let (pattern, _) = try inst.activationPattern()
  return (inst, pattern)
}

/// rank over F_P of a dense matrix of residues (through ExactLinearAlgebra's elimination).
func denseRank(_ m: ScalarMatrix<UInt64>, prime: UInt64) -> Int {
  ModularMatrixBox.make(m, prime: prime).rank()
}

@Suite struct BatchedProductTests {
  /// J·V and n·H_f·V from the batched products equal the dense modular J and n·H_f times V.
  @Test(arguments: suiteNetworks)
  func productsEqualDenseTimesV(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 3)
    let prime = SketchPrimes.draw(count: 1, seed: 7)[0]
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime)
    let f = products.field, pf = PrimeField(unchecked: prime)
    let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
    let jac = dense.jacobian(), hf = dense.functionalScaled()
    let p = products.parameterCount, b = 5
    let v = SketchGram.block(Array(0..<b), seed: 11, rows: p, field: f)
    let (jv, hv) = products.apply(v, width: b, hessian: true, threads: 2)
    func times(_ m: ScalarMatrix<UInt64>) -> [UInt64] {
      var out = [UInt64](repeating: 0, count: m.rows * b)
      for r in 0..<m.rows {
        for c in 0..<b {
          var s: UInt64 = 0
          for k in 0..<m.cols { s = pf.add(s, pf.multiply(m[r, k], f.residue(v[k * b + c]))) }
          out[r * b + c] = s
        }
      }
      return out
    }
    #expect(jv.map { f.residue($0) } == times(jac), "J·V \(arch)")
    #expect(hv.map { f.residue($0) } == times(hf), "H_f·V \(arch)")
    // Values stay reduced (|x| ≤ P/2 + 8), the invariant the exactness rests on.
    let h = Double(prime / 2 + 8)
    #expect(jv.allSatisfy { abs($0) <= h } && hv.allSatisfy { abs($0) <= h })
  }
}

@Suite struct SketchedRankTests {
  /// The sketch ranks equal the dense ranks modulo the same prime, for several instance seeds,
  /// primes and sketch seeds; rank-deficient (H_f, H_o) and full-rank cases.
  @Test(arguments: suiteNetworks)
  func sketchRanksEqualDenseModularRanks(arch: String, samples: Int) throws {
    for (seed, primeSeed, sketchSeed) in [(UInt64(1), UInt64(5), UInt64(9)), (2, 6, 10)] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: seed)
      let prime = SketchPrimes.draw(count: 1, seed: primeSeed)[0]
      let pf = PrimeField(unchecked: prime)
      let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
      let jac = dense.jacobian()
      let hf = dense.functionalScaled()
      let hl = pf.sum(dense.outerScaled(jacobian: jac), hf)
      let expected = [denseRank(jac, prime: prime), denseRank(hf, prime: prime), denseRank(hl, prime: prime)]
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime)
      var sketchOptions = SketchOptions(initialWidth: 4, threads: 2)
      sketchOptions.maxBlock = Int(seed) + 2  // several blocks per width: 3 or 4 columns at a time
      let outcomes = try SketchedRank.run(products, seed: sketchSeed, options: sketchOptions)
      #expect(outcomes.map(\.rank) == expected, "\(arch) seed \(seed)")
      let p = inst.plan.parameterCount
      for o in outcomes {
        // t grew until the sketch was rank-deficient (or reached p), in increasing widths.
        #expect(o.widths == o.widths.sorted() && o.widths.first == 4)
        #expect(o.rank < o.widths.last! || o.widths.last! == p)
        #expect(o.pivotRows.count == o.rank && o.pivotCols.count == o.rank)
        #expect(o.isFull == (o.rank == (o.target == .outer ? min(jac.rows, p) : p)))
        #expect(o.sketchFailureBound < 1e-3 || o.isFull)
      }
    }
  }

  /// A full-rank Hessian: the sketch grows to t = p and proves the rank exactly.
  @Test func fullRankReachesP() throws {
    // One dense layer: H_o = JᵀJ with J of full column rank when n·K ≥ p.
    let (inst, pattern) = try instance("3 dense(2)", samples: 10, seed: 1)
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 1)[0])
    let o = try SketchedRank.run(products, seed: 1, options: SketchOptions(targets: [.outer, .functional], initialWidth: 2))
    #expect(o[0].rank == 6 && o[0].isFull && o[0].widths.last == 6)
    #expect(o[1].rank == 0 && !o[1].isFull)  // one layer: f is linear in θ, H_f = 0
  }
}
