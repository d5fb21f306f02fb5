import ConvNet
import Exact
import ExactLinearAlgebra
import HessianReference
import Testing
@testable import Hessian

/// The cross-entropy loss: Lemma 1 of proofs/cross-entropy.md (rank H_o = rank of the stacked
/// C·J_i), the K → K − 1 rule of Singh, Bachmann & Hofmann (2021) on fully connected nets, and
/// cross-entropy with max pooling.
@Suite struct CrossEntropyTests {
  func exactRank(_ m: ScalarMatrix<Rational>) -> Int {
    ExactRank.certify(IntegerMatrix(rationalRows: m.nestedRows), seed: 7).rank
  }

  /// Σ_i J_iᵀ(diag π_i − π_i π_iᵀ)J_i with the reference J and arbitrary positive rational
  /// probabilities has the rank of the Toeplitz builder's stacked C·J_i (two constructions).
  @Test(arguments: 0..<4)
  func outerRankIsRankOfCJ(trial: Int) throws {
    var rng = SeededRandom(seed: 1300 + UInt64(trial))
    var checked = 0
    while checked < 3 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 40, maxPooling: trial % 2 == 1)
      let k = arch.outputCount
      guard k >= 2 else { continue }
      let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 3, seed: rng.next() % 1000, range: 4))
      guard let (pattern, _) = try? instance.activationPattern() else { continue }
      let ref = try ReferenceHessians(architecture: arch, theta: instance.theta, inputs: instance.inputs, targets: instance.targets)
      let p = instance.plan.parameterCount, n = instance.sampleCount
      var h = ScalarMatrix(rows: p, cols: p, storage: [Rational](repeating: Rational(), count: p * p))
      for i in 0..<n {
        let weights = (0..<k).map { _ in Rational(rng.nextInt(in: 1...9)) }
        let total = weights.reduce(Rational(), +)
        let pi = weights.map { $0 / total }
        for a in 0..<p {
          for b in 0..<p {
            var s = Rational()
            for c in 0..<k {
              for d in 0..<k {
                let w = (c == d ? pi[c] : Rational()) - pi[c] * pi[d]
                s += ref.jacobian[i * k + c][a] * w * ref.jacobian[i * k + d][b]
              }
            }
            h.storage[a * p + b] += s
          }
        }
      }
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let cj = LossFunction.crossEntropy.outerFactor(builder.jacobian(), outputs: k, ring: RationalRing())
      #expect(cj.rows == n * (k - 1))
      #expect(exactRank(h) == exactRank(cj), "\(arch)")
      checked += 1
    }
  }

  /// Deep linear fully connected nets: the published formulas with K replaced by K − 1,
  /// q = min(r, K − 1, M_i), s = min(r, K − 1); H_o exact (certified), H_f and H_L at random t.
  @Test(arguments: [(6, [4, 3], 10), (5, [3, 4], 12), (4, [5, 2, 3], 9), (8, [6], 10), (3, [2, 5], 8)])
  func fullyConnectedKMinusOne(d: Int, widths: [Int], n: Int) throws {
    let arch = fc(d, widths)
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: n, seed: 3, range: 4))
    var options = HessianRankOptions(method: .certified)
    options.loss = .crossEntropy
    let report = try HessianRanks.compute(instance, options: options)
    let k = widths.last! - 1, r = min(d, n), hidden = widths.dropLast()
    let q = ([r, k] + hidden).min()!, s = min(r, k), layers = widths.count
    let outer = q * (r + k - q)
    #expect(report.result(.outer)?.rank == outer, "\(arch)")
    #expect(report.result(.outer)?.isProved == true)
    if layers >= 2 {
      #expect(report.result(.functional)?.rank == 2 * q * hidden.reduce(0, +) + 2 * q * s - layers * q * q, "\(arch)")
      #expect(report.result(.loss)?.rank == 2 * q * hidden.reduce(0, +) + q * (r + k) - layers * q * q, "\(arch)")
    } else {
      #expect(report.result(.functional)?.rank == 0)  // f is linear in θ
      #expect(report.result(.loss)?.rank == outer)
    }
    // The MSE ranks of the same point use K.
    let mse = try HessianRanks.compute(instance, options: HessianRankOptions(method: .certified))
    let qm = ([r, k + 1] + hidden).min()!
    #expect(mse.result(.outer)?.rank == qm * (r + k + 1 - qm))
  }

  /// Softmax exponents: π at t is t^{a_ic}/S_i(t), rows sum to 1, and a constant shift of a
  /// sample's logits changes nothing.
  @Test func softmaxExponents() throws {
    let logits: [[Rational]] = [[Rational(1, 2), 0, Rational(-3, 4)], [2, 2, 2]]
    let s = SoftmaxExponents(logits: logits)
    #expect(s.denominator == BigInt(4))
    #expect(s.exponents == [[BigInt(5), BigInt(3), BigInt(0)], [BigInt(0), BigInt(0), BigInt(0)]])
    #expect(s.degreeSum == BigInt(5))
    let f = PrimeField(unchecked: 2_305_843_009_213_693_951)
    let pi = try #require(s.probabilities(at: 12345, prime: f))
    for row in pi { #expect(row.reduce(0) { f.add($0, $1) } == 1) }
    #expect(pi[1] == Array(repeating: f.inverse(3)!, count: 3))
    let shifted = SoftmaxExponents(logits: logits.map { $0.map { $0 + Rational(9, 4) } })  // same D
    #expect(shifted.probabilities(at: 12345, prime: f) == pi)
  }

  /// Cross-entropy with max pooling: rank H_o ≤ n(K − 1) and below the MSE rank, and a
  /// cross-entropy certificate that survives a JSON round trip and re-verifies to the same ranks.
  @Test func withMaxPooling() throws {
    let arch = try Architecture(parsing: "1x6x6 conv(2,k=3,bias) relu maxpool(k=2) dense(3)")
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 4, seed: 2, range: 50))
    var options = HessianRankOptions()
    options.loss = .crossEntropy
    let report = try HessianRanks.compute(instance, options: options)
    let outer = try #require(report.result(.outer))
    #expect(outer.rank <= 4 * 2)
    #expect(outer.matrix.hasPrefix("C·J (8×"))
    let mse = try HessianRanks.compute(instance, options: HessianRankOptions())
    #expect(outer.rank < mse.result(.outer)!.rank)
    #expect(report.result(.loss)!.rank >= 1)
    options.wantCertificates = true
    let certified = try HessianRanks.compute(instance, options: options)
    var config = NetworkConfig(architecture: arch, instance: instance.settings)
    config.instance.loss = .crossEntropy
    let cert = try CrossEntropyCertificate(report: certified, config: config)
    let read = try CrossEntropyCertificate(json: cert.jsonData())
    #expect(read.entries.map(\.proof) == cert.entries.map(\.proof))
    let v = try read.verify()
    #expect(v.dataRank == certified.dataRank)
    for r in v.results {
      #expect(r.rank == certified.result(r.kind)!.rank, "\(r.kind)")
      #expect(r.exact == (r.kind == .outer || r.rank == instance.plan.parameterCount))
    }
    // The certificate of an MSE config is refused at verification (it is about another loss).
    var relabelled = read
    relabelled.config.instance.loss = .mse
    #expect(throws: HessianCertificateError.self) { _ = try relabelled.verify() }
  }

  /// The recorded failure probability is p·Δ/(q − 1 − Σd_i), Δ = Σd_i for H_f and 2Σd_i for H_L,
  /// and nil where it reaches 1.
  @Test func failureBoundIsSchwartzZippelInT() throws {
    let s = SoftmaxExponents(logits: [[Rational(0), Rational(2), Rational(5)], [Rational(1), Rational(1), Rational(-2)]])
    #expect(s.degreeSum == BigInt(8))  // spreads 5 and 3
    let q: UInt64 = 2_305_843_009_213_693_967  // a prime above 2^61
    #expect(CrossEntropyRanks.failureBound(kind: .functional, parameters: 10, softmax: s, prime: q)
            == (try Rational(BigInt(80), BigInt(q - 1) - BigInt(8))))
    #expect(CrossEntropyRanks.failureBound(kind: .loss, parameters: 10, softmax: s, prime: q)
            == (try Rational(BigInt(160), BigInt(q - 1) - BigInt(8))))
    #expect(CrossEntropyRanks.failureBound(kind: .loss, parameters: 10, softmax: s, prime: 101) == nil)
  }
}
