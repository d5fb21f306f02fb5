import ConvNet
import Exact
import Hessian
import Testing
@testable import MatrixFreeRank

/// Networks that are one affine map of their input at the point (no ReLU, leaky ReLU or max
/// pooling; `identity` keeps a mask of ones): with and without biases, conv (padding, stride),
/// average pooling, dense.
let affineNetworks: [(String, Int)] = [
  ("1x12 conv(2,k=3) dense(2)", 30),
  ("8 dense(6) dense(3)", 12),
  ("4x6 conv(1,k=5) dense(3)", 10),
  ("2x6x6 conv(3,k=3,p=1,bias) avgpool(k=2) identity dense(3,bias)", 9),
  ("6 dense(5,bias) dense(4) dense(2)", 40),
  ("1x30 conv(4,k=5,bias) conv(4,k=5,s=2) dense(2)", 9),
  ("2x7x7 conv(3,k=3,s=2) avgpool(k=2,s=1) dense(4,bias)", 11),
]

/// Arbitrary probabilities and one-hot targets modulo P: residuals π − y that are any residues.
func arbitraryCrossEntropy(samples n: Int, outputs k: Int, prime: UInt64, seed: UInt64) -> CrossEntropySketchLoss {
  var rng = SeededRandom(seed: seed)
  let pi = (0..<n).map { _ in (0..<k).map { _ in rng.next(in: 1...(prime - 1)) } }
  let y = (0..<n).map { i in (0..<k).map { c in UInt64(c == i % k ? 1 : 0) } }
  return CrossEntropySketchLoss(probabilities: pi, targets: y)
}

@Suite struct ResidualContractionTests {
  /// n·H_f·V on the virtual samples equals the per-sample n·H_f·V (residue for residue) and the
  /// dense modular n·H_f times V, for MSE and cross-entropy residuals, two primes and instance
  /// seeds, on 1 and 2 threads; it takes at most 2K passes (K here: ρ_k ≢ 0 at random residuals).
  @Test(arguments: affineNetworks)
  func contractedEqualsPerSample(arch: String, samples: Int) throws {
    for (seed, primeSeed) in [(UInt64(1), UInt64(5)), (2, 9)] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: seed)
      let prime = SketchPrimes.draw(count: 1, seed: primeSeed)[0]
      let pf = PrimeField(unchecked: prime)
      let n = inst.sampleCount, k = inst.plan.outputSize, p = inst.plan.parameterCount
      let ce = arbitraryCrossEntropy(samples: n, outputs: k, prime: prime, seed: seed)
      let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
      for loss in [MeanSquaredSketchLoss() as any SketchLoss, ce] {
        let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, loss: loss, threads: 2)
        let f = products.field
        let contraction = try ResidualContraction.make(products).get()
        #expect(contraction.virtualSampleCount == k, "\(arch)")
        let b = 5
        let v = SketchGram.block(Array(0..<b), seed: seed + 20, rows: p, field: f)
        let perSample = products.apply(v, width: b, hessian: true, threads: 2).hv.map { f.residue($0) }
        for threads in [1, 2] {
          let hv = contraction.hessianTimes(v, width: b, threads: threads)
          #expect(hv.map { f.residue($0) } == perSample, "\(arch) seed \(seed) \(loss is CrossEntropySketchLoss ? "CE" : "MSE") threads \(threads)")
          #expect(hv.allSatisfy { abs($0) <= Double(prime / 2 + 8) })
        }
        // An independent construction: the dense n·H_f with the same residuals, times V.
        let hf = dense.functionalScaled(residuals: products.residuals)
        var expected = [UInt64](repeating: 0, count: p * b)
        for r in 0..<p {
          for c in 0..<b {
            var s: UInt64 = 0
            for q in 0..<p where hf[r, q] != 0 { s = pf.add(s, pf.multiply(hf[r, q], f.residue(v[q * b + c]))) }
            expected[r * b + c] = s
          }
        }
        #expect(perSample == expected, "\(arch) dense H_f·V")
      }
    }
  }

  /// ρ_k ≡ 0 with biases: output 0's residuals sum to 0 mod P, so its term is f_0(X_0) − f_0(0)
  /// (two virtual samples); without biases it needs one (f_0(X_0)). An output whose residuals all
  /// vanish needs none. The products still equal the per-sample ones.
  @Test(arguments: [("6 dense(5,bias) dense(4) dense(3)", 20, true), ("2x6x6 conv(3,k=3,p=1,bias) avgpool(k=2) dense(3,bias)", 12, true),
                    ("1x12 conv(2,k=3) dense(3)", 15, false)])
  func vanishingResidualSums(arch: String, samples n: Int, bias: Bool) throws {
    let (inst, pattern) = try instance(arch, samples: n, seed: 3)
    let prime = SketchPrimes.draw(count: 1, seed: 2)[0]
    let pf = PrimeField(unchecked: prime)
    let k = inst.plan.outputSize, p = inst.plan.parameterCount
    var rng = SeededRandom(seed: 8)
    var pi = (0..<n).map { _ in (0..<k).map { _ in rng.next(in: 1...(prime - 1)) } }
    var y = [[UInt64]](repeating: [UInt64](repeating: 0, count: k), count: n)
    // Output 0: Σ_i π_i0 ≡ 0 with y_·0 = 0. Output 2: π_i2 = y_i2 = 1 for every i (δ_·2 = 0).
    pi[n - 1][0] = pf.negate(pi[0..<(n - 1)].reduce(0) { pf.add($0, $1[0]) })
    for i in 0..<n { pi[i][2] = 1; y[i][2] = 1; y[i][1] = UInt64(i % 2) }
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime,
                                       loss: CrossEntropySketchLoss(probabilities: pi, targets: y))
    #expect(products.residuals.reduce(0) { pf.add($0, $1[0]) } == 0 && products.residuals.allSatisfy { $0[2] == 0 })
    let contraction = try ResidualContraction.make(products).get()
    // Output 0: two samples with biases, one without; output 1: one; output 2: none.
    #expect(contraction.virtualSampleCount == (bias ? 3 : 2), "\(arch)")
    let f = products.field, b = 4
    let v = SketchGram.block(Array(0..<b), seed: 31, rows: p, field: f)
    let perSample = products.apply(v, width: b, hessian: true, threads: 1).hv.map { f.residue($0) }
    #expect(perSample.contains { $0 != 0 })
    #expect(contraction.hessianTimes(v, width: b, threads: 2).map { f.residue($0) } == perSample, "\(arch)")
  }

  /// The per-sample products are kept when samples differ in their branches (ReLU, leaky ReLU,
  /// max pooling of the suite), when the contraction would not take fewer passes (n ≤ K), and
  /// without residuals (products built for H_o alone).
  @Test func fallbacks() throws {
    let prime = SketchPrimes.draw(count: 1, seed: 4)[0]
    for (arch, n) in suiteNetworks {
      let (inst, pattern) = try instance(arch, samples: n, seed: 3)
      guard inst.hasPiecewiseStages else { continue }
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime)
      let differ = products.masks.contains { $0 != products.masks[0] } || products.selected.contains { $0 != products.selected[0] }
      #expect(differ, "\(arch): the suite's samples take different branches")
      #expect(ResidualContraction.make(products).failure == .patternsDiffer, "\(arch)")
    }
    let (inst, pattern) = try instance("8 dense(6) dense(3)", samples: 3, seed: 1)
    let few = try BatchedProducts(instance: inst, pattern: pattern, prime: prime)
    #expect(ResidualContraction.make(few).failure == .notFewer(virtual: 3, samples: 3))
    let outer = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, hessian: false)
    #expect(ResidualContraction.make(outer).failure == .noResiduals)
  }

  /// Sketch runs with the contraction (and J formed once for H_L where it pays) find the same
  /// ranks, widths and pivots as the per-sample products, MSE and cross-entropy; the pivot minors
  /// have the same determinants either way and are nonzero.
  @Test(arguments: [("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", 9), ("2x6x6 conv(3,k=3,p=1,bias) avgpool(k=2) dense(3,bias)", 9),
                    ("8 dense(6) dense(3)", 12), ("1x12 conv(2,k=3) dense(2)", 30)])
  func sketchRunsUnchanged(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 2)
    let prime = SketchPrimes.draw(count: 1, seed: 6)[0]
    let n = inst.sampleCount, k = inst.plan.outputSize
    for loss in [MeanSquaredSketchLoss() as any SketchLoss, arbitraryCrossEntropy(samples: n, outputs: k, prime: prime, seed: 4)] {
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, loss: loss, threads: 2)
      var plain = SketchOptions(initialWidth: 4, threads: 2)
      plain.maxBlock = 3
      plain.residualContraction = false
      plain.explicitJacobian = false
      let reference = try SketchedRank.run(products, seed: 17, options: plain)
      var lines: [String] = []
      var contracted = plain
      contracted.residualContraction = true
      contracted.explicitJacobian = true
      let outcomes = try SketchedRank.run(products, seed: 17, options: contracted) { lines.append($0) }
      #expect(outcomes == reference, "\(arch)")
      #expect(lines.contains { $0.contains("virtual sample") })
      #expect(ExplicitJacobian.pays(products) == !arch.hasPrefix("8 dense"), "\(arch): J is formed for H_L in the conv cases")
      if ExplicitJacobian.pays(products) { #expect(lines.contains { $0.contains("forming J") }, "\(arch)") }
      // H_f alone (no J·S at all): the same outcome as its per-sample run.
      var functional = contracted, plainFunctional = plain
      functional.targets = [.functional]
      plainFunctional.targets = [.functional]
      let f = try SketchedRank.run(products, seed: 17, options: functional)
      #expect(f == (try SketchedRank.run(products, seed: 17, options: plainFunctional)) && f[0].rank == reference[1].rank)
      for o in reference where o.target != .outer && o.rank > 0 {
        let d = SketchedRank.minorDeterminant(products, seed: 17, target: o.target, rows: o.pivotRows, cols: o.pivotCols)
        let plainD = SketchedRank.minorDeterminant(products, seed: 17, target: o.target, rows: o.pivotRows, cols: o.pivotCols,
                                                   contract: false)
        #expect(d == plainD && d != 0, "\(arch) \(o.target)")
      }
    }
  }
}

extension Result {
  /// The error, or nil on success.
  var failure: Failure? {
    if case .failure(let e) = self { return e }
    return nil
  }
}

@Suite struct GrowingGramTests {
  /// A Gram matrix grown in steps (capacity reserved ahead, blocks written inside it, and a
  /// reserve that copies) holds exactly the entries written, including the extreme centred
  /// residues ±(⌊P/2⌋ + 8) that a `Float` must carry exactly, and its residues (alone and summed
  /// with another) equal those computed in `Double`s.
  @Test func growsExactly() {
    let field = CentredResidues(prime: SketchPrimes.draw(count: 1, seed: 3)[0])
    let h = Double(field.prime / 2 + 8)
    var rng = SeededRandom(seed: 9)
    let n = 23
    var full = [Double](repeating: 0, count: n * n), other = full
    for r in 0..<n {
      for c in 0..<n {
        full[r * n + c] = (r + c) % 7 == 0 ? (r % 2 == 0 ? h : -h) : field.centred(rng.next(in: 0...(field.prime - 1)))
        other[r * n + c] = field.centred(rng.next(in: 0...(field.prime - 1)))
      }
    }
    var a = GrowingGram(), b = GrowingGram()
    var t = 0
    for (target, reserve) in [(4, 10), (10, 10), (17, 17), (23, 30)] {
      a.reserve(reserve)
      b.reserve(reserve)
      a.resize(target)
      b.resize(target)
      for r in 0..<target {
        for c in 0..<target where r >= t || c >= t {
          a[r, c] = full[r * n + c]
          b[r, c] = other[r * n + c]
        }
      }
      t = target
    }
    #expect(a.size == n && a.capacity == 30)
    #expect((0..<n).allSatisfy { r in (0..<n).allSatisfy { c in a[r, c] == full[r * n + c] } })
    let direct = (0..<(n * n)).map { field.residue(full[$0]) }
    let summed = (0..<(n * n)).map { field.residue(full[$0] + other[$0]) }
    let ra = a.residues(field: field, plus: nil), rs = a.residues(field: field, plus: b)
    #expect((0..<n).allSatisfy { r in (0..<n).allSatisfy { c in ra[r, c] == direct[r * n + c] && rs[r, c] == summed[r * n + c] } })
  }
}
