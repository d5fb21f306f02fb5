import ConvNet
import Exact
import Foundation
import Hessian
import Testing
@testable import MatrixFreeRank

/// Networks with cross-entropy: dense, conv with ReLU, and max pooling.
let crossEntropyNetworks: [(String, Int)] = [
  ("6 dense(5) dense(4)", 10),
  ("1x10 conv(3,k=3,bias) relu conv(2,k=2,s=2) dense(3)", 12),
  ("2x8x8 conv(3,k=3,bias) relu maxpool(k=2,s=1) dense(3)", 9),
  ("1x16 conv(2,k=3) maxpool(k=3,s=2) conv(2,k=2) dense(3)", 8),
]

@Suite struct MatrixFreeLossTests {
  /// The cross-entropy products at one prime and one π equal the dense matrices built
  /// independently: n·H_f·V with residuals π − y (`HessianBuilder.functionalScaled(residuals:)`),
  /// A·J·V with A_i = diag π_i − π_i π_iᵀ, and C·J·V with row c = J_i[c] − J_i[K−1].
  @Test(arguments: crossEntropyNetworks)
  func crossEntropyProductsEqualDense(arch: String, samples: Int) throws {
    let (inst, pattern) = try instance(arch, samples: samples, seed: 3)
    let prime = SketchPrimes.draw(count: 1, seed: 8)[0]
    let pf = PrimeField(unchecked: prime)
    let n = inst.sampleCount, k = inst.plan.outputSize, p = inst.plan.parameterCount
    // Arbitrary probabilities modulo P (the algebra does not need Σπ = 1) and one-hot targets.
    var rng = SeededRandom(seed: 5)
    let pi = (0..<n).map { _ in (0..<k).map { _ in rng.next(in: 1...(prime - 1)) } }
    let y = (0..<n).map { i in (0..<k).map { c in UInt64(c == i % k ? 1 : 0) } }
    let loss = CrossEntropySketchLoss(probabilities: pi, targets: y)
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, loss: loss)
    let f = products.field
    let dense = try HessianBuilder(instance: inst, pattern: pattern, ring: pf)
    let jac = dense.jacobian()
    let hf = dense.functionalScaled(residuals: (0..<n).map { i in (0..<k).map { c in pf.subtract(pi[i][c], y[i][c]) } })
    let b = 4
    let v = SketchGram.block(Array(0..<b), seed: 12, rows: p, field: f)
    let (jv, hv) = products.apply(v, width: b, hessian: true, threads: 2)
    func times(_ m: ScalarMatrix<UInt64>) -> [UInt64] {
      var out = [UInt64](repeating: 0, count: m.rows * b)
      for r in 0..<m.rows {
        for c in 0..<b {
          var s: UInt64 = 0
          for q in 0..<m.cols { s = pf.add(s, pf.multiply(m[r, q], f.residue(v[q * b + c]))) }
          out[r * b + c] = s
        }
      }
      return out
    }
    let jvDense = times(jac)
    #expect(hv.map { f.residue($0) } == times(hf), "H_f·V \(arch)")
    // A·J·V entry by entry from the definition.
    var ajv = [UInt64](repeating: 0, count: n * k * b)
    for i in 0..<n {
      for c in 0..<k {
        for j in 0..<b {
          var s: UInt64 = 0
          for d in 0..<k {
            let a = pf.subtract(c == d ? pi[i][c] : 0, pf.multiply(pi[i][c], pi[i][d]))
            s = pf.add(s, pf.multiply(a, jvDense[(i * k + d) * b + j]))
          }
          ajv[(i * k + c) * b + j] = s
        }
      }
    }
    #expect(loss.curvature(jv, samples: n, outputs: k, width: b, field: f).map { f.residue($0) } == ajv, "A·J·V \(arch)")
    let cjv = loss.outerFactor(jv, samples: n, outputs: k, width: b, field: f).map { f.residue($0) }
    #expect(cjv.count == n * (k - 1) * b)
    for i in 0..<n {
      for c in 0..<(k - 1) {
        for j in 0..<b {
          #expect(cjv[(i * (k - 1) + c) * b + j] == pf.subtract(jvDense[(i * k + c) * b + j], jvDense[(i * k + k - 1) * b + j]))
        }
      }
    }
  }

  /// Through `HessianRanks.compute`: matrix-free cross-entropy ranks equal the dense ones (C·J
  /// modulo primes for H_o, `CrossEntropyRanks` at 61-bit primes and another t for H_f, H_L),
  /// for several instance seeds, prime seeds (hence primes, sketches and t).
  @Test(arguments: crossEntropyNetworks)
  func crossEntropyMatrixFreeEqualsDense(arch: String, samples: Int) throws {
    for (seed, primeSeed) in [(UInt64(1), UInt64(21)), (2, 22), (4, 23)] {
      let (inst, _) = try instance(arch, samples: samples, seed: seed)
      var free = HessianRankOptions(method: .matrixFree, primeSeed: primeSeed)
      free.loss = .crossEntropy
      var modular = HessianRankOptions(method: .modular)
      modular.loss = .crossEntropy
      let a = try HessianRanks.compute(inst, options: free)
      let d = try HessianRanks.compute(inst, options: modular)
      #expect(a.method == .matrixFree && d.method == .modular)
      for kind in HessianKind.allCases {
        let r = try #require(a.result(kind))
        #expect(r.rank == d.result(kind)?.rank, "\(kind) \(arch) seed \(seed)")
        #expect(r.sketch?.rank == r.rank)
      }
      // H_o of cross-entropy is the rank of C·J: at most n(K − 1), below MSE's rank(J) here.
      let k = inst.plan.outputSize
      #expect(a.result(.outer)!.rank <= inst.sampleCount * (k - 1))
      #expect(a.result(.outer)!.matrix.hasPrefix("C·J·S (\(inst.sampleCount * (k - 1))×"))
    }
  }

  /// Max pooling and cross-entropy no longer keep `auto` off the matrix-free path at large p.
  @Test func autoPicksMatrixFreeForMaxPoolingAndCrossEntropy() throws {
    for arch in ["1x64 conv(50,k=3) maxpool(k=2) dense(2)", "1500 dense(2) dense(2)"] {
      let inst = try NetworkInstance(architecture: try Architecture(parsing: arch),
                                     settings: InstanceSettings(samples: 3, seed: 1, range: 1000))
      #expect(inst.plan.parameterCount >= HessianRankOptions.autoMatrixFreeFrom)
      for loss in LossFunction.allCases {
        var options = HessianRankOptions(kinds: [.outer])
        options.loss = loss
        let report = try HessianRanks.compute(inst, options: options)
        #expect(report.method == .matrixFree, "\(arch) \(loss)")
        #expect(report.methodReason?.hasPrefix("auto → matrix-free") == true)
        // H_o = rank of J (MSE) or C·J (cross-entropy) at these sizes: full row rank.
        #expect(report.result(.outer)?.rank == 3 * (loss == .mse ? 2 : 1), "\(arch) \(loss)")
      }
    }
  }

  /// A sketch certificate whose config asks for cross-entropy is refused with one line, never
  /// checked as if it were MSE (the format does not record the softmax's t).
  @Test func crossEntropySketchCertificateIsRefused() throws {
    var config = NetworkConfig(architecture: try Architecture(parsing: "6 dense(5) dense(4)"),
                               instance: InstanceSettings(samples: 10, seed: 1, range: 1000))
    let inst = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    let report = try HessianRanks.compute(inst, options: HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true))
    let cert = try SketchCertificate(report: report, config: config)
    #expect(try cert.verify().count == 3)
    config.instance.loss = .crossEntropy
    let relabelled = try SketchCertificate(json: SketchCertificate(config: config, entries: cert.entries).jsonData())
    #expect(relabelled.config.instance.loss == .crossEntropy)
    do {
      _ = try relabelled.verify()
      Issue.record("a cross-entropy sketch certificate was accepted")
    } catch let e as HessianCertificateError {
      #expect(e.description.contains("MSE loss only") && !e.description.contains("\n"))
    }
    // Writing one is refused too.
    var ce = HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true)
    ce.loss = .crossEntropy
    #expect(throws: LossError.self) { try HessianRanks.compute(inst, options: ce) }
  }
}
