import ConvNet
import Exact
import ExactLinearAlgebra
import Hessian
import Testing
@testable import MatrixFreeRank

/// `HeadSchurRank` (proofs/head-block-reduction.md): the ranks of n·H_f and n·H_L modulo P from
/// the reduction onto the small part equal the ranks of the dense matrices modulo the same P
/// (built independently by `HessianBuilder`), for MSE and cross-entropy, deficient and full
/// coupling, with and without biases and a ReLU before the last hidden layer, 1 and 2 threads.
@Suite struct HeadSchurRankTests {
  static let networks: [(String, Int)] = [
    ("1x12 conv(2,k=3) dense(2)", 30),
    ("8 dense(6) dense(3)", 12),
    ("6 dense(5,bias) dense(4,bias) dense(3,bias)", 7),
    ("1x16x16 conv(2,k=3) avgpool(k=2) conv(3,k=3) avgpool(k=2) dense(5)", 8),
    ("1x20x20 conv(3,k=3) avgpool(k=2) conv(4,k=3) avgpool(k=2) dense(4,bias)", 16),
    ("2x6x6 conv(3,k=3,p=1,bias) relu conv(2,k=3,bias) avgpool(k=2) dense(3,bias)", 9),
    ("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", 9),
    ("1x24 conv(2,k=3) conv(3,k=3,s=2) conv(2,k=3) dense(3)", 40),
    ("1x12 conv(2,k=3) conv(2,k=3) dense(10)", 3),
  ]

  static func denseRank(_ m: ScalarMatrix<UInt64>, prime: UInt64) -> Int { ModularMatrixBox.make(m, prime: prime).rank() }

  @Test(arguments: networks)
  func meanSquaredEqualsDense(arch: String, samples: Int) throws {
    for seed: UInt64 in [4, 5] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: seed)
      for prime in SketchPrimes.draw(count: 2, seed: seed &+ 9) {
        let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, threads: 2)
        let plan = try #require(HeadSchurRank.plan(products), "\(arch)")
        let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: PrimeField(unchecked: prime))
        let hf = Self.denseRank(dense.scaled(.functional), prime: prime)
        let hl = Self.denseRank(dense.scaled(.loss), prime: prime)
        for threads in [1, 2] {
          var options = SketchOptions(threads: threads)
          options.maxBlock = 5  // several blocks of unit directions
          let out = HeadSchurRank.run(products, plan: plan, targets: [.functional, .loss], options: options)
          #expect(out.map(\.target) == [.functional, .loss])
          #expect(out[0].rank == hf, "n·H_f \(arch) seed \(seed) mod \(prime): \(out[0])")
          #expect(out[1].rank == hl, "n·H_L \(arch) seed \(seed) mod \(prime): \(out[1])")
          #expect(out[0].blockRank == HeadBlockBound.functionalLowerBound(products), "\(arch)")
          #expect(out[1].curvatureRank == inst.sampleCount * inst.plan.outputSize)
          // Each target alone gives the same.
          #expect(HeadSchurRank.run(products, plan: plan, targets: [.loss], options: options) == [out[1]])
        }
      }
    }
  }

  /// Cross-entropy at arbitrary probabilities π modulo P: n·H_f with residuals π − y and
  /// n·H_L = n·H_f + Σ_i J_iᵀ(diag π_i − π_i π_iᵀ)J_i, built densely from the definition.
  @Test(arguments: networks.prefix(6))
  func crossEntropyEqualsDense(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 3)
    let prime = SketchPrimes.draw(count: 1, seed: 8)[0]
    let pf = PrimeField(unchecked: prime)
    let n = inst.sampleCount, k = inst.plan.outputSize, p = inst.plan.parameterCount
    let (pi, y, loss) = arbitraryCrossEntropy(samples: n, outputs: k, prime: prime)
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, loss: loss)
    let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
    let jac = dense.jacobian()
    let hf = dense.functionalScaled(residuals: (0..<n).map { i in (0..<k).map { c in pf.subtract(pi[i][c], y[i][c]) } })
    var hl = hf
    for i in 0..<n {
      for c in 0..<k {
        for d in 0..<k {
          let a = pf.subtract(c == d ? pi[i][c] : 0, pf.multiply(pi[i][c], pi[i][d]))
          guard a != 0 else { continue }
          for r in 0..<p where jac[i * k + c, r] != 0 {
            let x = pf.multiply(a, jac[i * k + c, r])
            for q in 0..<p { hl[r, q] = pf.add(hl[r, q], pf.multiply(x, jac[i * k + d, q])) }
          }
        }
      }
    }
    let plan = try #require(HeadSchurRank.plan(products))
    let out = HeadSchurRank.run(products, plan: plan, targets: [.functional, .loss], options: SketchOptions(threads: 2))
    #expect(out[0].rank == Self.denseRank(hf, prime: prime), "n·H_f \(arch)")
    #expect(out[1].rank == Self.denseRank(hl, prime: prime), "n·H_L \(arch)")
  }

  /// Every term of the identity is exercised: on these networks rank(CK) is positive but below m
  /// (so Z is not empty) and the reduced matrix has positive rank, and the parts add up.
  @Test func everyPartIsExercised() throws {
    for (arch, samples) in [("1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)", 9),
                            ("1x16x16 conv(2,k=3) avgpool(k=2) conv(3,k=3) avgpool(k=2) dense(5)", 8)] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: 1)
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 1)[0])
      let plan = try #require(HeadSchurRank.plan(products))
      for o in HeadSchurRank.run(products, plan: plan, targets: [.functional, .loss], options: SketchOptions(threads: 2)) {
        #expect(o.coupling > 0 && o.coupling < o.smallCount, "\(arch) \(o)")
        #expect(o.reduced > 0, "\(arch) \(o)")
        #expect(o.rank == o.blockRank + 2 * o.coupling + o.reduced - o.curvatureRank)
        #expect(o.blockRank > 0 && o.blockRank % 2 == 0)
      }
    }
  }

  /// Through `HessianRanks.compute` (MSE and cross-entropy): the matrix-free method takes the
  /// reduction for H_f and H_L here, its ranks equal the dense modular ones, and their certificate
  /// entries verify after a JSON round trip; a changed rank or part, a composite prime or a
  /// missing t is rejected.
  @Test(arguments: [false, true])
  func certificatesOfTheReduction(crossEntropy: Bool) throws {
    var settings = InstanceSettings(samples: 9, seed: 2, range: 1000)
    if crossEntropy { settings.loss = .crossEntropy }
    let config = NetworkConfig(architecture: try Architecture(parsing: "1x30 conv(4,k=5,bias) conv(4,k=5) dense(2)"), instance: settings)
    let inst = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    var options = HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true)
    options.loss = settings.loss
    let report = try HessianRanks.compute(inst, options: options)
    var dense = HessianRankOptions(method: .modular, primes: 2)
    dense.loss = settings.loss
    #expect(report.results.map(\.rank) == (try HessianRanks.compute(inst, options: dense)).results.map(\.rank))
    let cert = try SketchCertificate(json: SketchCertificate(report: report, config: config).jsonData())
    #expect(try cert.verify().map(\.rank) == report.results.map(\.rank))
    let hf = try #require(cert.entries.firstIndex { $0.kind == .functional })
    let hl = try #require(cert.entries.firstIndex { $0.kind == .loss })
    #expect(cert.entries[hf].reduction != nil && cert.entries[hl].reduction != nil)
    #expect(cert.entries.first { $0.kind == .outer }?.reduction == nil)
    #expect((cert.entries[hf].softmaxT != nil) == crossEntropy)
    func rejected(_ change: (inout SketchCertificate) -> Void) -> Bool {
      var c = cert
      change(&c)
      do { _ = try c.verify(); return false } catch { return true }
    }
    #expect(rejected { $0.entries[hf].rank += 1 })
    #expect(rejected { $0.entries[hl].rank -= 1 })
    #expect(rejected { $0.entries[hf].reduction!.coupling += 1; $0.entries[hf].reduction!.reduced -= 2 })
    #expect(rejected { $0.entries[hl].prime = (1 << 23) + 1 })
    #expect(rejected { $0.entries[hf].softmaxT = crossEntropy ? nil : 5 })  // t missing, or t under MSE
    // Another prime (or t) is another valid proof: the reduction is recomputed there.
    var other = cert
    other.entries[hl].prime = SketchPrimes.draw(count: 1, seed: 77)[0]
    if let t = other.entries[hl].softmaxT { other.entries[hl].softmaxT = t % 1000 + 2 }
    #expect((try? other.verify())?.map(\.rank) == report.results.map(\.rank))
  }

  /// `auto` between p = 600 and 3000 takes matrix-free where the reduction applies (and says why),
  /// with the dense modular ranks; a ReLU before the head keeps it on `modular`.
  @Test func autoTakesTheReduction() throws {
    let inst = try NetworkInstance(architecture: try Architecture(parsing: "1x32 conv(6,k=5) conv(6,k=5) dense(10)"),
                                   settings: InstanceSettings(samples: 16, seed: 1, range: 1000))
    #expect(MatrixFreeRanks.reductionSmallCount(inst, kinds: HessianKind.allCases) == 30 + 160)
    #expect(MatrixFreeRanks.reductionSmallCount(inst, kinds: [.outer]) == nil)
    let report = try HessianRanks.compute(inst, options: HessianRankOptions(primes: 1))
    #expect(report.method == .matrixFree)
    #expect(report.methodReason?.contains("head block") == true)
    #expect(report.results.map(\.rank) == (try HessianRanks.compute(inst, options: HessianRankOptions(method: .modular))).results.map(\.rank))
    let relu = try NetworkInstance(architecture: try Architecture(parsing: "1x32 conv(6,k=5) conv(6,k=5) relu dense(10)"),
                                   settings: InstanceSettings(samples: 16, seed: 1, range: 1000))
    #expect(MatrixFreeRanks.reductionSmallCount(relu, kinds: HessianKind.allCases) == nil)
    #expect(try HessianRanks.compute(relu, options: HessianRankOptions(primes: 1)).method == .modular)
  }

  /// Shapes without a head block get no plan.
  @Test func otherShapesGetNone() throws {
    for (arch, samples) in [("6 dense(5,bias) relu dense(4) relu dense(2)", 20), ("1x16 conv(2,k=3) maxpool(k=3,s=2) dense(3)", 8)] {
      let (inst, pattern) = try instance(arch, samples: samples, seed: 2)
      let products = try BatchedProducts(instance: inst, pattern: pattern, prime: SketchPrimes.draw(count: 1, seed: 3)[0])
      #expect(HeadSchurRank.plan(products) == nil, "\(arch)")
    }
  }
}
