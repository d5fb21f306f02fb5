import ConvNet
import Exact
import FloatCheck
import Foundation
import Hessian
import Testing
@testable import FloatVerification

/// A small deterministic cross-entropy instance: dyadic weights and inputs of moderate size (so
/// the softmax is far from saturated and float64 has a clean gap), labels i mod K.
enum CrossEntropyFixture {
  static func instance(_ arch: String, samples n: Int) throws -> NetworkInstance {
    let plan = try NetworkPlan(try Architecture(parsing: arch))
    let p = plan.parameterCount, d = plan.inputSize, k = plan.outputSize
    let theta = (0..<p).map { Rational(($0 * 7919 + 3) % 17 - 8, 16) }
    let x = (0..<n).map { i in (0..<d).map { j in Rational((i * 31 + j * 17 + 5) % 13 - 6, 8) } }
    let y = (0..<n).map { i in (0..<k).map { $0 == i % k ? Rational(1) : Rational() } }
    var s = InstanceSettings(samples: n, weights: theta, inputs: x, targetValues: y)
    s.loss = .crossEntropy
    return try NetworkInstance(plan: plan, settings: s)
  }
}

@Suite struct CrossEntropyVerificationTests {
  /// e = 2.718281828459045…: the enclosure of softmax(0, 1) contains 1/(1+e) and e/(1+e), and
  /// its radius is tiny.
  @Test func softmaxEnclosureContainsTheKnownProbabilities() throws {
    let enclosure = SoftmaxEnclosure(logits: [[Rational(0), Rational(1)], [Rational(3, 2), Rational(3, 2), Rational(-40)]])
    #expect(enclosure.radius < Rational(1, 1 << 62))
    let e = M_E
    #expect(abs(Double(nearest: enclosure.centres[0][0]) - 1 / (1 + e)) < 1e-15)
    #expect(abs(Double(nearest: enclosure.centres[0][1]) - e / (1 + e)) < 1e-15)
    // Logits (3/2, 3/2, −40): π_1 = 1/(2 + δ) with δ = e^-41.5, so 1/2 − π_1 = δ/(2(2 + δ)) ≈ 2.36e-19.
    let delta = exp(-41.5)
    #expect(abs(Double(nearest: Rational(1, 2) - enclosure.centres[1][0]) / (delta / (2 * (2 + delta))) - 1) < 1e-9)
    #expect(enclosure.centres[1][0] == enclosure.centres[1][1])
    #expect(abs(Double(nearest: enclosure.centres[1][2]) - exp(-41.5) / (2 + exp(-41.5))) < 1e-30)
    // exp(-u) enclosures bracket the value and are ordered.
    for (u, value) in [(Rational(1), exp(-1.0)), (Rational(7, 3), exp(-7.0 / 3)), (Rational(100), exp(-100.0))] {
      let (lo, hi) = SoftmaxEnclosure.expMinus(u, bits: 128)
      let scale = Rational(BigInt(2).power(128))
      let low = try Rational(lo, BigInt(1)) / scale, high = try Rational(hi, BigInt(1)) / scale
      #expect(low <= high && (high - low) < Rational(1, 1 << 60))
      #expect(abs(Double(nearest: low) - value) <= value * 1e-15 + 1e-38)
    }
  }

  /// The integer route to n·H_o(π̃) equals the direct sum Σ_i J_iᵀ(diag π̃ − π̃π̃ᵀ)J_i over Q.
  @Test func weightedGramEqualsTheDirectSumOverQ() throws {
    let instance = try CrossEntropyFixture.instance("1x6 conv(2,k=3) dense(3)", samples: 4)
    let (pattern, logits) = try instance.activationPattern()
    let jac = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing()).jacobian()
    let pi = SoftmaxEnclosure(logits: logits, bits: 40).centres
    let k = 3, p = instance.plan.parameterCount
    let (fast, frobenius) = CrossEntropyVerification.weightedGram(jac, probabilities: pi, bits: 40, outputs: k)
    var direct = [Rational](repeating: Rational(), count: p * p)
    var fro = Rational()
    for q in jac.storage { fro += q * q }
    for i in 0..<4 {
      for c in 0..<k {
        for d in 0..<k {
          let a = (c == d ? pi[i][c] : Rational()) - pi[i][c] * pi[i][d]
          for r in 0..<p {
            let x = jac.storage[(i * k + c) * p + r]
            if x.isZero { continue }
            for s in 0..<p { direct[r * p + s] += x * a * jac.storage[(i * k + d) * p + s] }
          }
        }
      }
    }
    #expect(fast == direct)
    #expect(frobenius == fro)
  }

  /// Float64 CE Hessians with a clean gap: every rule CORRECT, r* = rank --loss ce's ranks
  /// (computed independently by HessianRanks), the rigorous distance far below the gap.
  @Test(arguments: [HessianKind.outer, .functional, .loss])
  func builtFloat64CrossEntropyHessianIsCorrect(kind: HessianKind) throws {
    let instance = try CrossEntropyFixture.instance("1x6 conv(2,k=3) dense(3)", samples: 5)
    var options = HessianRankOptions(kinds: [kind], method: .certified)
    options.loss = .crossEntropy
    let expected = try #require(try HessianRanks.compute(instance, options: options).result(kind)).rank
    let v = try FloatHessianVerification(instance: instance, kind: kind, floatHessian: .builtFloat64, loss: .crossEntropy)
    #expect(v.exactRank == expected)
    #expect(v.verdict == .correct, "\(v.text)")
    #expect(v.differenceBound < 1e-13 && v.referenceError < 1e-30)
    #expect(v.exactRankProved == (kind == .outer || expected == instance.plan.parameterCount))
    #expect(v.text.contains(kind == .outer ? "proved: rank(C·J) over Q" : "at the point"))
  }

  /// Reductions scale the Hessian: sum = n × mean (CE and MSE), sum-all = 2n × mean and
  /// mean-all = (2/K) × mean (MSE). Each scaled float Hessian verifies at its own reduction;
  /// at the mean it is flagged as far, with the matching reduction named.
  @Test(arguments: [(LossFunction.crossEntropy, LossReduction.sum), (.mse, .sum), (.mse, .sumAll), (.mse, .meanAll)])
  func reductionsScaleTheHessian(loss: LossFunction, reduction: LossReduction) throws {
    let instance = try CrossEntropyFixture.instance("1x6 conv(2,k=3) dense(3)", samples: 4)
    let mean = try FloatHessianVerification.floatHessian(instance, kind: .loss, loss: loss)
    let s = Double(nearest: reduction.scale(samples: 4, outputs: 3))
    let tensor = FloatTensor(name: "H", shape: [mean.rows, mean.cols], values: mean.storage.map { $0 * s }, dtype: .float64)
    let scaled = try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .file("H.npy", tensor),
                                              loss: loss, reduction: reduction)
    #expect(scaled.verdict == .correct, "\(scaled.text)")
    let built = try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .builtFloat64,
                                             loss: loss, reduction: reduction)
    #expect(built.verdict == .correct && built.exactRank == scaled.exactRank)
    #expect(abs(built.analysis.sigmaMax / scaled.analysis.sigmaMax - 1) < 1e-12)
    let unscaled = try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .builtFloat64, loss: loss)
    #expect(abs(scaled.analysis.sigmaMax / unscaled.analysis.sigmaMax / s - 1) < 1e-12)
    let atMean = try FloatHessianVerification(instance: instance, kind: .loss, floatHessian: .file("H.npy", tensor), loss: loss)
    #expect(atMean.warnings.contains { $0.contains("matches --reduction \(reduction.rawValue)") }, "\(atMean.warnings)")
  }

  @Test func elementwiseReductionsAreMSEOnly() throws {
    let instance = try CrossEntropyFixture.instance("1x6 conv(2,k=3) dense(3)", samples: 4)
    #expect(throws: FloatVerificationError.reductionForLoss("mean-all", loss: "cross-entropy")) {
      try FloatHessianVerification(instance: instance, kind: .outer, floatHessian: .builtFloat64,
                                   loss: .crossEntropy, reduction: .meanAll)
    }
  }
}
