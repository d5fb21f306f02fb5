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
    let (pi, y, loss) = arbitraryCrossEntropy(samples: n, outputs: k, prime: prime)
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

  /// Cross-entropy sketch certificates: written by the matrix-free path with t per prime and each
  /// minor's value; they verify after a JSON round trip with the ranks of the run (= the dense
  /// CE ranks, checked in `crossEntropyRanksEqualDense`), and every tampered field is rejected.
  @Test(arguments: ["6 dense(5) dense(4)", "1x10 conv(3,k=3,bias) relu conv(2,k=2,s=2) dense(3)"])
  func crossEntropySketchCertificates(arch: String) throws {
    var settings = InstanceSettings(samples: 10, seed: 1, range: 1000)
    settings.loss = .crossEntropy
    let config = NetworkConfig(architecture: try Architecture(parsing: arch), instance: settings)
    let inst = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    var options = HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true)
    options.loss = .crossEntropy
    let report = try HessianRanks.compute(inst, options: options)
    let cert = try SketchCertificate(json: SketchCertificate(report: report, config: config).jsonData())
    #expect(try cert.verify().map(\.rank) == report.results.map(\.rank))
    let hf = try #require(cert.entries.firstIndex { $0.kind == .functional })
    let ho = try #require(cert.entries.firstIndex { $0.kind == .outer })
    #expect(cert.entries[hf].softmaxT != nil && cert.entries[ho].softmaxT == nil)
    #expect(cert.entries.allSatisfy { $0.minorDeterminant != nil && $0.minorDeterminant != 0 })

    func rejected(_ what: String, _ expected: String, _ change: (inout SketchCertificate) -> Void) {
      var c = cert
      change(&c)
      do {
        _ = try c.verify()
        Issue.record("\(arch): \(what) was accepted")
      } catch let e as HessianCertificateError {
        #expect(e.description.contains(expected) && !e.description.contains("\n"), "\(what): \(e.description)")
      } catch {
        Issue.record("\(what): \(error)")
      }
    }
    let t = cert.entries[hf].softmaxT!, prime = cert.entries[hf].prime
    rejected("another t", "recorded as") { $0.entries[hf].softmaxT = t == prime - 1 ? 1 : t + 1 }
    rejected("t = 0", "π is undefined") { $0.entries[hf].softmaxT = 0 }
    rejected("t ≥ P", "π is undefined") { $0.entries[hf].softmaxT = prime }
    rejected("no t", "must record the residue") { $0.entries[hf].softmaxT = nil }
    rejected("t on H_o", "records no t") { $0.entries[ho].softmaxT = t }
    rejected("no minor value", "must record") { $0.entries[hf].minorDeterminant = nil }
    rejected("another minor value", "recorded as") { $0.entries[ho].minorDeterminant! ^= 1 }
    rejected("another sketch seed", "recorded as") { $0.entries[hf].sketchSeed &+= 1 }
    rejected("another prime", "H_f: ") { $0.entries[hf].prime = SketchPrimes.draw(count: 1, seed: 99)[0] }
    rejected("a composite prime", "not a prime") { $0.entries[hf].prime = (1 << 23) + 1 }
    rejected("rank without pivots", "rows and") { $0.entries[hf].rank += 1 }
    rejected("another pivot", "recorded as") { $0.entries[hf].pivotCols[0] = $0.entries[hf].pivotCols.max()! + 1 }
    rejected("another instance seed", "recorded as") { $0.config.instance.seed = 2 }
    rejected("loss relabelled MSE", "recorded as") { $0.config.instance.loss = .mse }

    // An MSE certificate relabelled cross-entropy has no t: rejected, never checked as MSE.
    let msePlain = try HessianRanks.compute(inst, options: HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true))
    var relabelled = try SketchCertificate(report: msePlain, config: config)
    relabelled.config.instance.loss = .crossEntropy
    #expect(throws: HessianCertificateError.self) { try relabelled.verify() }
  }
}
