import ConvNet
import Exact
import Hessian
import Testing
@testable import MatrixFreeRank

/// Networks of the suite: conv (1-D, 2-D, stride, padding, bias), average and max pooling, ReLU, leaky ReLU, dense.
let suiteNetworks: [(String, Int)] = [
  ("1x12 conv(2,k=3) dense(2)", 30),
  ("8 dense(6) dense(3)", 12),
  ("1x10 conv(3,k=3,bias) relu conv(2,k=2,s=2) dense(2)", 25),
  ("2x6x6 conv(3,k=3,p=1,bias) avgpool(k=2) leaky(1/3) dense(3,bias)", 9),
  ("4x6 conv(1,k=5) dense(3)", 10),
  ("6 dense(5,bias) relu dense(4) dense(2)", 40),
  // Max pooling: overlapping windows (an input chosen twice), and pooling between two conv layers.
  ("2x8x8 conv(3,k=3,bias) relu maxpool(k=2,s=1) dense(3)", 9),
  ("1x16 conv(2,k=3) maxpool(k=3,s=2) conv(2,k=2) dense(3)", 8),
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
    var products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime)
    let f = products.field, pf = PrimeField(unchecked: prime)
    let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
    let jac = dense.jacobian(), hf = dense.functionalScaled()
    let p = products.parameterCount, b = 5
    let v = SketchGram.block(Array(0..<b), seed: 11, rows: p, field: f)
    // Every conv and dense layer of the suite has the channel-shared layout of the BLAS path.
    for case .parametric(let g) in products.stages { #expect(g.shared != nil, "\(arch)") }
    let (jv, hv) = products.apply(v, width: b, hessian: true, threads: 2)
    products.blasForward = false  // the sparse loops: the same products
    products.blasBackward = false
    let (jvSparse, hvSparse) = products.apply(v, width: b, hessian: true, threads: 1)
    #expect(jvSparse.map { f.residue($0) } == jv.map { f.residue($0) } && hvSparse.map { f.residue($0) } == hv.map { f.residue($0) })
    // BLAS backward with the sparse forward (and the reverse): the same H_f·V.
    products.blasBackward = true
    #expect(products.apply(v, width: b, hessian: true, threads: 2).hv.map { f.residue($0) } == hv.map { f.residue($0) })
    products.blasForward = true
    products.blasBackward = false
    #expect(products.apply(v, width: b, hessian: true, threads: 2).hv.map { f.residue($0) } == hv.map { f.residue($0) })
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

@Suite struct SketchGramTests {
  /// A block drawn row by row holds the same entries as its columns drawn one at a time (the
  /// certificates regenerate S from the seed), uniform in F_P: every residue class mod 3 occurs.
  @Test func blockEqualsColumns() {
    let field = CentredResidues(prime: SketchPrimes.draw(count: 1, seed: 4)[0])
    let indices = [0, 5, 6, 1000], p = 37
    let block = SketchGram.block(indices, seed: 21, rows: p, field: field)
    for (k, index) in indices.enumerated() {
      let column = SketchGram.column(index, seed: 21, rows: p, field: field)
      #expect((0..<p).map { block[$0 * indices.count + k] } == column)
    }
    #expect(Set(block.map { field.residue($0) % 3 }).count == 3)
  }
}

@Suite struct SharedWeightLayoutTests {
  /// Conv layers (padding, stride, dilation, 1-D and 2-D) and dense layers have the shared
  /// layout with C = output channels, J = c_in·k_h·k_w; BLAS products through it equal the
  /// sparse ones on wide entries (slabs of the inner dimension reduced in time: J > delay).
  /// The backward products likewise: more than 63 positions (several position blocks), more
  /// than 126 channels (slabs of C in the transposed products), and dense layers over 140
  /// samples (their weight rows are reduced once every 63 samples).
  @Test(arguments: [("3x9x9 conv(4,k=3,p=2,s=2,dil=2) dense(3)", 2), ("30x5 conv(3,k=5,p=1) dense(2)", 2),
                    ("300 dense(3) dense(2)", 2), ("1x140 conv(130,k=3) relu conv(2,k=3,s=2) dense(2)", 2),
                    ("4 dense(3) dense(130) relu dense(2)", 140)])
  func layoutAndWideProducts(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 5)
    var products = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 3)[0])
    let layouts = products.stages.compactMap { s -> SharedWeightLayout? in
      if case .parametric(let g) = s { return g.shared } else { return nil }
    }
    #expect(layouts.count == inst.plan.parametricStageIndices.count)
    let b = 7, p = products.parameterCount
    let v = SketchGram.block(Array(0..<b), seed: 2, rows: p, field: products.field)
    let (jv, hv) = products.apply(v, width: b, hessian: true, threads: 2)
    products.blasForward = false
    products.blasBackward = false
    let (jvSparse, hvSparse) = products.apply(v, width: b, hessian: true, threads: 2)
    #expect(jv.map { products.field.residue($0) } == jvSparse.map { products.field.residue($0) })
    #expect(hv.map { products.field.residue($0) } == hvSparse.map { products.field.residue($0) })
    let h = Double(products.field.prime / 2 + 8)
    #expect(hv.allSatisfy { abs($0) <= h })
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

@Suite struct ExplicitJacobianTests {
  /// J formed once from cotangent passes (`ExplicitJacobian`) times V equals the dense modular J
  /// times V and the forward tangents' J·V, on every suite network (padding, stride, bias, avg and
  /// max pooling, leaky, dense) and a wide one (> 126 channels, > 63 positions); 1 and 2 threads
  /// give identical J and identical products, and the set-up of `BatchedProducts` gives identical
  /// products on 1 and 2 threads.
  @Test(arguments: suiteNetworks + [("1x140 conv(130,k=3) relu conv(2,k=3,s=2) dense(2)", 3),
                                    ("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", 9)])
  func explicitJacobianTimesVEqualsTangents(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 4)
    let prime = SketchPrimes.draw(count: 1, seed: 8)[0]
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, hessian: false)
    let threaded = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, hessian: false, threads: 2)
    let f = products.field, pf = PrimeField(unchecked: prime)
    let p = products.parameterCount
    let j1 = try #require(ExplicitJacobian(products, threads: 1))
    let j2 = try #require(ExplicitJacobian(threaded, threads: 2))
    #expect(j1.transposed == j2.transposed, "J on 1 and 2 threads \(arch)")
    let h = Float(prime / 2 + 8)
    #expect(j1.transposed.allSatisfy { abs($0) <= h })
    // The dense J, entry by entry.
    let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf).jacobian()
    let nk = j1.rows
    #expect(dense.rows == nk && dense.cols == p)
    var same = true
    for r in 0..<nk { for c in 0..<p where dense[r, c] != f.residue(Double(j1.transposed[c * nk + r])) { same = false } }
    #expect(same, "J \(arch)")
    for b in [1, 6] {
      let v = SketchGram.block(Array(0..<b), seed: 12, rows: p, field: f)
      let tangent = products.apply(v, width: b, hessian: false, threads: 1).jv.map { f.residue($0) }
      #expect(threaded.apply(v, width: b, hessian: false, threads: 2).jv.map { f.residue($0) } == tangent)
      let one = j1.times(v, width: b, threads: 1), two = j2.times(v, width: b, threads: 2)
      #expect(one == two, "J·V on 1 and 2 threads \(arch)")
      #expect(one.map { f.residue($0) } == tangent, "J·V \(arch) b = \(b)")
      #expect(one.allSatisfy { abs($0) <= Double(h) })
    }
  }

  /// An H_o-only sketch run through the formed J finds the same rank, widths and pivots as one
  /// through the forward tangents (the same J·S residues), and the network is one where J pays.
  @Test func outerRunEqualsTangentRun() throws {
    let (inst, pattern) = try instance("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", samples: 9, seed: 2)
    let prime = SketchPrimes.draw(count: 1, seed: 2)[0]
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, hessian: false)
    #expect(ExplicitJacobian.pays(products))
    var options = SketchOptions(targets: [.outer], initialWidth: 3, threads: 2)
    options.maxBlock = 4
    let formed = try SketchedRank.run(products, seed: 5, options: options)
    options.explicitJacobian = false
    let tangents = try SketchedRank.run(products, seed: 5, options: options)
    #expect(formed == tangents)
    let jac = try HessianBuilder(instance: inst, pattern: pattern, ring: PrimeField(unchecked: prime)).jacobian()
    #expect(formed[0].rank == denseRank(jac, prime: prime) && formed[0].widths.count > 2)
  }
}

@Suite struct BatchedProductSetUpTests {
  /// The point's values of the set-up (through BLAS, `BatchedProducts.pointValues`) equal the
  /// forward pass of `RingNetwork` over F_P stage by stage, on every suite network and a wide one,
  /// on 1 and 2 threads.
  @Test(arguments: suiteNetworks + [("1x140 conv(130,k=3) relu conv(2,k=3,s=2) dense(2)", 3)])
  func pointValuesEqualRingForward(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 6)
    let prime = SketchPrimes.draw(count: 1, seed: 9)[0]
    let pf = PrimeField(unchecked: prime)
    let ring = try RingNetwork(instance: inst, pattern: pattern, ring: pf)
    for threads in [1, 2] {
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, hessian: false, threads: threads)
      for i in 0..<samples {
        let expected = ring.forward(sample: i).stageInputs
        #expect(products.values[i].map { $0.map { products.field.residue($0) } } == expected, "\(arch) sample \(i)")
      }
    }
  }
}
