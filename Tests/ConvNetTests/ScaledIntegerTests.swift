@testable import ConvNet
import Exact
import HessianReference
import Testing

/// The Int128 forward pass equals the one over Q, and steps aside when values are too big.
@Suite struct ScaledIntegerTests {
  /// Rationals → numerators over the least common denominator → the same rationals.
  @Test func roundTrip() throws {
    var rng = SeededRandom(seed: 5)
    for round in 0..<40 {
      let values = (0..<12).map { _ in rng.nextRational(bound: round % 2 == 0 ? 1_000_000 : 5, maxDenominator: 1 + round % 7) }
      let s = try #require(ScaledIntegers(values))
      #expect(s.rationals == values)
    }
    let s = try #require(ScaledIntegers([Rational(1, 2), Rational(-3, 4), Rational(5)]))
    #expect(s.denominator == 4 && s.numerators == [2, -3, 20])
    // Beyond Int64 but inside Int128: kept; 2^127 and beyond: nil.
    let big = BigInt(1 << 62) * BigInt(1 << 62)  // 2^124
    let w = try #require(ScaledIntegers([Rational(big), Rational(BigInt(0) - big - BigInt(3))]))
    #expect(w.numerators == [Int128(1) << 124, -(Int128(1) << 124) - 3])
    #expect(w.rationals == [Rational(big), Rational(BigInt(0) - big - BigInt(3))])
    #expect(ScaledIntegers([Rational(big * BigInt(8))]) == nil)
    #expect(ScaledIntegers([try Rational(BigInt(1), big * BigInt(8))]) == nil)
  }

  /// Random architectures (ReLU, leaky ReLU, max and average pooling) at ranges 5, 1000, 10^6,
  /// integer and fractional: whenever the Int128 pass answers, it gives the rational pass's
  /// branches, selections and outputs; and `activationPattern` (which falls back per sample)
  /// equals the rational pass on every sample. Both the Int128 answer and the fallback occur.
  @Test func scaledPassEqualsRationalPass() throws {
    var rng = SeededRandom(seed: 77)
    var answered = 0, fellBack = 0
    for round in 0..<90 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 150, maxPooling: round % 2 == 0)
      let range = [5, 1000, 1_000_000][round % 3]
      let settings = InstanceSettings(samples: 3, seed: UInt64(round + 1), range: range,
                                      maxDenominator: round % 4 == 3 ? 4 : 1)
      guard let instance = try? NetworkInstance(architecture: arch, settings: settings),
        let reference = try? instance.inputs.indices.map({ try instance.rationalForward(sample: $0, allowKinks: false) })
      else { continue }  // a kink or tie at this point: the rational pass throws, nothing to compare
      let pass = try #require(ScaledForwardPass(plan: instance.plan, theta: instance.theta))
      for (i, x) in instance.inputs.enumerated() {
        if let r = pass.run(x, allowKinks: false) {
          #expect(r.masks == reference[i].masks && r.selections == reference[i].selections && r.output == reference[i].output)
          answered += 1
        } else {
          fellBack += 1
        }
      }
      let (pattern, outputs) = try instance.activationPattern()
      #expect(pattern.positive == reference.map(\.masks))
      #expect(outputs == reference.map(\.output))
    }
    #expect(answered > 100)
    #expect(fellBack > 0)
  }

  /// A deep dense chain at range 10^6 overflows Int128 and falls back to the rational pass,
  /// with the same outputs; a zero pre-activation (a kink) is left to the rational pass too.
  @Test func overflowAndKinksFallBack() throws {
    let arch = try Architecture(parsing: "4 dense(4) dense(4) dense(4) dense(4) dense(4) dense(4) dense(4) dense(2)")
    let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 2, seed: 3, range: 1_000_000))
    let pass = try #require(ScaledForwardPass(plan: instance.plan, theta: instance.theta))
    #expect(pass.run(instance.inputs[0], allowKinks: false) == nil)
    let (_, outputs) = try instance.activationPattern()
    #expect(outputs[0] == (try instance.rationalForward(sample: 0, allowKinks: false)).output)
    #expect(outputs[0].contains { $0.magnitude > Rational(BigInt(1 << 62) * BigInt(1 << 62) * BigInt(8)) })
    // A ReLU whose pre-activation is exactly 0: nil here; with kinks allowed the branch is the
    // non-positive one, as over Q.
    let plan = try NetworkPlan(try Architecture(parsing: "2 dense(1) relu dense(1)"))
    let theta = [Rational(1), Rational(-1), Rational(2)]
    let zero = try #require(ScaledForwardPass(plan: plan, theta: theta))
    #expect(zero.run([Rational(3), Rational(3)], allowKinks: false) == nil)
    #expect(zero.run([Rational(3), Rational(3)], allowKinks: true)?.masks == [[false]])
    #expect(zero.run([Rational(3), Rational(1)], allowKinks: false)?.output == [Rational(4)])
  }

  /// Without ReLU, leaky ReLU or max pooling no exact pass is needed: the pattern-only call
  /// returns all-positive identity branches at once, and the modular ranks are unchanged.
  @Test func linearNetworksNeedNoForwardPass() throws {
    let linear = try NetworkInstance(architecture: try Architecture(parsing: "1x8 conv(2,k=3) avgpool(k=2) dense(2)"),
                                     settings: InstanceSettings(samples: 2, range: 1_000_000))
    #expect(!linear.hasPiecewiseStages)
    #expect(try linear.activationPatternOnly().positive == [[], []])
    let relu = try NetworkInstance(architecture: try Architecture(parsing: "1x8 conv(2,k=3) relu maxpool(k=2) dense(2)"),
                                   settings: InstanceSettings(samples: 2, range: 1000))
    #expect(relu.hasPiecewiseStages)
    #expect(try relu.activationPatternOnly() == relu.activationPattern().pattern)
  }
}
