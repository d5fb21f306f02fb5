import ConvNet
import Exact
import ExactLinearAlgebra
import FloatCheck
import Foundation
import Hessian

/// Where the float Hessian to be verified comes from.
public enum FloatHessianSource: Sendable {
  /// A p × p matrix a float program computed and saved (float32 or float64); `file` names it
  /// in the report.
  case file(String, FloatTensor)
  /// The float64 Hessian built by the project itself: the same Toeplitz builder as the exact
  /// one, run over `FloatRing` with the exact activation pattern.
  case builtFloat64
}

/// How the exact rank r* is obtained.
public enum ExactRankMethod: Sendable, Equatable {
  /// `ExactRank.certify`: a nonsingular r*×r* minor and exact kernel vectors checked against
  /// every row — r* is proved. The kernel is solved over Z, so its cost grows with the bit
  /// size of the row-scaled Hessian (dyadic entries of float weights make large integers).
  case certified
  /// `ModularRank.rank` modulo `primes` random word-size primes: a proved lower bound on r*,
  /// equal to it unless every prime divides one nonzero minor (probability bounded in the
  /// report); proved outright when it is full. Fast at any bit size.
  case modular(primes: Int)
}

/// The verdict on a rank someone claims (from a paper, a log, a script's `matrix_rank`).
public struct ClaimedRankResult: Sendable, Equatable, Codable {
  /// The claimed rank.
  public var claimedRank: Int
  /// claimed − exact (0 when CORRECT).
  public var difference: Int
  /// CORRECT when the claim equals the exact rank, WRONG otherwise.
  public var verdict: FloatRankVerdict
  /// The tolerances that would give the claimed rank on this float spectrum (empty when
  /// equal spectrum values make it unreachable).
  public var tolerancesGivingClaim: ToleranceInterval
}

/// The float-vs-exact verification of a network's Hessian at float weights and data.
///
/// Steps: the exact Hessian of the requested kind at the exact values of the floats (over Q);
/// its rank r*, proved (`ExactRank.certify` on the row-scaled integer matrix: a nonsingular
/// r*×r* minor and exact kernel vectors); the float Hessian (given, or built in float64); a
/// rigorous bound on ‖H_float − H_exact‖₂ (`DifferenceNormBound`); the float spectrum as the
/// libraries compute it (LAPACK SVD in the matrix's own precision); and `FloatRankAnalysis`:
/// σ_{r*}, σ_{r*+1}, the gap, the tolerance intervals and one verdict per rule.
public struct FloatHessianVerification: Sendable, Codable {
  /// The architecture string.
  public var architecture: String
  /// Which Hessian.
  public var kind: HessianKind
  /// p.
  public var parameters: Int
  /// n.
  public var samples: Int
  /// K.
  public var outputs: Int
  /// Where the float matrix came from, in words.
  public var floatHessian: String
  /// The loss whose Hessian is verified.
  public var loss: LossFunction
  /// How the loss combines samples (the scale the float Hessian is compared at).
  public var reduction: LossReduction
  /// The exact rank r* of the Hessian at the point.
  public var exactRank: Int
  /// r* and its status in one line (proved, or a lower bound with its probability).
  public var exactRankStatement: String
  /// What the float matrix is compared with: "exact over Q" (MSE), or for cross-entropy H at
  /// enclosed softmax probabilities, whose distance to H is `referenceError`.
  public var reference: String
  /// A rigorous bound on ‖H − H_ref‖₂ (0 when the reference is H itself).
  public var referenceError: Double
  /// The rigorous bound on ‖H_float − H‖₂ the verdicts use: the difference to the reference
  /// plus `referenceError`.
  public var differenceBound: Double
  /// How r* was obtained (the certificate's or the modular method).
  public var exactRankProof: String
  /// True when r* is proved; false for a modular lower bound that is not full rank (then
  /// a rule reporting fewer than r* is still proved WRONG).
  public var exactRankProved: Bool
  /// For an unproved modular r*: a bound on the probability that the rank over Q is larger.
  public var exactRankFailureBound: Double?
  /// max |H_float − H_exact| over the entries, rounded up to a double.
  public var maxEntryDifference: Double
  /// The rigorous bounds on ‖H_float − H_exact‖₂ by each inequality (see `DifferenceNormBound`).
  public var differenceBounds: [String: Double]
  /// The inequality that gave the smallest bound.
  public var differenceMethod: String
  /// Spectrum, intervals and per-rule verdicts.
  public var analysis: FloatRankAnalysis
  /// The verdict on a claimed rank, when one was given.
  public var claimed: ClaimedRankResult?
  /// Hints when the inputs look inconsistent (for instance a Hessian of a differently
  /// normalised loss).
  public var warnings: [String]
  /// True when every rule and the claimed rank are CORRECT.
  public var allCorrect: Bool

  /// The worst verdict of the rules and the claimed rank: WRONG over FRAGILE over CORRECT.
  public var verdict: FloatRankVerdict

  static func worst(_ verdicts: [FloatRankVerdict]) -> FloatRankVerdict {
    if verdicts.contains(.wrong) { return .wrong }
    if verdicts.contains(.fragile) { return .fragile }
    return .correct
  }

  /// The exact Hessian of `kind` at the instance (over Q, not scaled). A ReLU pre-activation
  /// exactly 0 is `FloatVerificationError.nonDifferentiable`.
  public static func exactHessian(_ instance: NetworkInstance, kind: HessianKind) throws -> ScalarMatrix<Rational> {
    let p = instance.plan.parameterCount
    let reference = try MSEVerification().reference(instance, pattern: try pattern(instance), kind: kind, progress: { _ in })
    return ScalarMatrix(rows: p, cols: p, storage: reference.entries)
  }

  /// The float64 Hessian of `kind` at the instance under `loss` (mean reduction): the exact
  /// builder's operations in IEEE double arithmetic (`FloatRing`; cross-entropy's softmax with
  /// the max-shifted `exp`), n·H divided by n at the end, with the activation branches of the
  /// exact forward pass.
  public static func floatHessian(_ instance: NetworkInstance, kind: HessianKind,
                                  loss: LossFunction = .mse) throws -> ScalarMatrix<Double> {
    let n = Double(instance.sampleCount)
    return try loss.verification.floatScaledHessian(instance, pattern: try pattern(instance), kind: kind).map { $0 / n }
  }

  static func pattern(_ instance: NetworkInstance) throws -> ActivationPattern {
    do {
      return try instance.activationPattern().pattern
    } catch InstanceError.nonDifferentiable(let layer, let sample, let position, _) {
      throw FloatVerificationError.nonDifferentiable(layer: layer, sample: sample, position: position)
    }
  }

  /// Runs the verification. `progress` is called with a short message before each phase.
  /// Bad input (a kink, a float Hessian of the wrong shape or type, a claimed rank outside
  /// 0...p, a reduction the loss does not have) throws a `FloatVerificationError`; NaN or
  /// infinity in the float Hessian throws `TensorFileError.nonFinite`.
  ///
  /// - Parameters:
  ///   - loss: the loss whose Hessian `floatHessian` is (its own seam, `VerificationLoss`).
  ///   - reduction: how that loss combines samples; the reference is scaled to match.
  public init(instance: NetworkInstance, kind: HessianKind, floatHessian source: FloatHessianSource,
              loss: LossFunction = .mse, reduction: LossReduction = .mean,
              rules: [ToleranceRule] = ToleranceRule.standard, claimedRank: Int? = nil,
              rankMethod: ExactRankMethod = .certified, progress: (String) -> Void = { _ in }) throws {
    let p = instance.plan.parameterCount, n = instance.sampleCount, k = instance.plan.outputSize
    if let c = claimedRank, !(0...p).contains(c) {
      throw FloatVerificationError.claimedRankOutOfRange(c, parameters: p)
    }
    guard reduction.applies(to: loss) else {
      throw FloatVerificationError.reductionForLoss(reduction.rawValue, loss: loss.name)
    }
    let bytes = HessianRanks.exactMemoryEstimate(p: p, rows: n * k, bits: 256)
    guard bytes <= HessianRanks.memoryBudget else {
      throw FloatVerificationError.tooLarge(parameters: p, bytes: bytes, budget: HessianRanks.memoryBudget)
    }
    let model = loss.verification
    let pattern = try Self.pattern(instance)
    // The float matrix first: its shape and values are input to check before heavy work.
    var floatValues: [Double]
    var precision: FloatPrecision
    switch source {
    case .file(let file, let tensor):
      guard tensor.shape == [p, p] else {
        throw FloatVerificationError.hessianShape(file: file, shape: tensor.shape, parameters: p)
      }
      guard let prec = tensor.dtype.precision, prec == .float32 || prec == .float64 else {
        throw FloatVerificationError.hessianDType(file: file, dtype: tensor.dtype.rawValue)
      }
      try tensor.checkFinite()
      floatValues = tensor.values
      precision = prec
      self.floatHessian = "\(file) (\(prec.rawValue))"
    case .builtFloat64:
      progress("float64 Hessian (FloatRing)")
      floatValues = try model.floatScaledHessian(instance, pattern: pattern, kind: kind).storage
        .map { reduction.fromScaled($0, samples: n, outputs: k) }
      precision = .float64
      self.floatHessian = "built by hessrank in float64"
    }
    let reference = try model.reference(instance, pattern: pattern, kind: kind, progress: progress)
    let outcome = try model.exactRank(instance, kind: kind, reference: reference, method: rankMethod, progress: progress)
    let rank = outcome.rank
    self.exactRankProof = outcome.proof
    self.exactRankProved = outcome.proved
    self.exactRankFailureBound = outcome.failureBound
    self.exactRankStatement = outcome.statement
    progress("bound on ‖H_float − H‖₂")
    let scale = reduction.scale(samples: n, outputs: k)
    let exact = scale == Rational(1) ? reference.entries : reference.entries.map { $0 * scale }
    let bound = try DifferenceNormBound(float: floatValues, exact: exact, rows: p, cols: p)
    let referenceError = reference.error * scale
    let total = referenceError.isZero ? bound.upperBound
      : RationalBounds.upperBound(try Rational(exactly: bound.upperBound) + referenceError)
    progress("float spectrum (LAPACK, \(precision.rawValue))")
    let spectrum = try FloatSpectrum.singularValues(of: floatValues, rows: p, cols: p, precision: precision)
    let budget = ErrorBudget(matrixDifference: total, estimatingSolverErrorFor: spectrum)
    let analysis = try FloatRankAnalysis(exactRank: rank, spectrum: spectrum, errorBudget: budget,
                                         rules: rules)

    self.loss = loss
    self.reduction = reduction
    self.reference = reference.description
    self.referenceError = RationalBounds.upperBound(referenceError)
    self.differenceBound = total
    self.architecture = instance.plan.architecture.description
    self.kind = kind
    self.parameters = p
    self.samples = n
    self.outputs = k
    self.exactRank = rank
    self.maxEntryDifference = RationalBounds.upperBound(bound.maxEntryDifference)
    self.differenceBounds = bound.bounds
    self.differenceMethod = bound.method
    self.analysis = analysis
    if let c = claimedRank {
      let s = spectrum.values
      let interval = ToleranceInterval(lower: c < s.count ? s[c] : 0, upper: c > 0 ? s[c - 1] : nil)
      self.claimed = ClaimedRankResult(claimedRank: c, difference: c - rank,
                                       verdict: c == rank ? .correct : .wrong,
                                       tolerancesGivingClaim: interval)
    } else {
      self.claimed = nil
    }
    self.warnings = Self.scaleWarnings(float: floatValues, exact: exact, bound: total,
                                       sigmaMax: analysis.sigmaMax, n: n, k: k, loss: loss, reduction: reduction)
    self.verdict = Self.worst(analysis.rules.map(\.verdict) + (claimed.map { [$0.verdict] } ?? []))
    self.allCorrect = verdict == .correct
  }

  /// A hint when H_float is far from H_exact but close to a multiple of it: the usual cause
  /// is a loss reduced differently (a sum instead of a mean, no factor 1/2) or another kind.
  static func scaleWarnings(float: [Double], exact: [Rational], bound: Double, sigmaMax: Double, n: Int, k: Int,
                            loss: LossFunction, reduction: LossReduction) -> [String] {
    let reference = exact.map(Double.init(nearest:))
    let xx = reference.reduce(0) { $0 + $1 * $1 }
    guard xx > 0, bound > 1e-3 * max(sigmaMax, .leastNormalMagnitude) else { return [] }
    let c = zip(float, reference).reduce(0) { $0 + $1.0 * $1.1 } / xx
    var line = String(format: "the float Hessian is far from the exact one (‖H_float − H_exact‖₂ ≤ %.3e against σ_max = %.3e)", bound, sigmaMax)
    let fit = zip(float, reference).reduce(0) { $0 + ($1.0 - c * $1.1) * ($1.0 - c * $1.1) }
    if abs(c - 1) > 1e-3, fit <= 1e-6 * xx * c * c {
      line += String(format: "; it is close to %.6g × H_exact", c)
      // The reductions this float Hessian would match, relative to the one asked for.
      let here = Double(nearest: reduction.scale(samples: n, outputs: k))
      let matching = LossReduction.allCases.filter { r in
        r != reduction && r.applies(to: loss) && abs(Double(nearest: r.scale(samples: n, outputs: k)) / here / c - 1) < 1e-6
      }
      let named: [(Double, String)] = [(Double(n), "n"), (2 * Double(n), "2n"), (2, "2"), (0.5, "1/2"),
                                       (2 / Double(k), "2/K"), (Double(k) / 2, "K/2")]
      if let m = named.first(where: { abs(c / $0.0 - 1) < 1e-6 }) { line += " (\(m.1))" }
      if let m = matching.first {
        line += ": it matches --reduction \(m.rawValue) (ℓ = \(m.formula(loss)))"
      } else {
        line += ": is the loss ℓ = \(reduction.formula(loss)) as here? (see --loss, --reduction)"
      }
    } else {
      line += ": is it the Hessian of the same kind, loss, weights and data?"
    }
    return [line]
  }

  /// The report for people: the network, the exact rank and its proof, the float analysis,
  /// the claimed rank, and a final verdict line.
  public var text: String {
    var lines = [
      "network    \(architecture): p = \(parameters), K = \(outputs), n = \(samples) (weights, inputs, targets read exactly)",
      "Hessian    \(kind.symbol) (\(kind.rawValue))"
        + (loss == .mse && reduction == .mean ? "" : " of ℓ = \(reduction.formula(loss)) (\(loss.name), --reduction \(reduction.rawValue))")
        + ", float matrix \(floatHessian)",
      "exact      \(exactRankStatement)",
    ]
    if referenceError == 0 {
      lines.append("difference max entry \(Self.format(maxEntryDifference)); ‖H_float − H_exact‖₂ ≤ \(Self.format(differenceBound)) (\(differenceMethod), rigorous)")
    } else {
      lines.append("reference  \(reference); ‖H − H_ref‖₂ ≤ \(Self.format(referenceError))")
      lines.append("difference max entry vs H_ref \(Self.format(maxEntryDifference)); ‖H_float − H‖₂ ≤ \(Self.format(differenceBound)) (\(differenceMethod) to H_ref + ‖H − H_ref‖₂, rigorous)")
    }
    lines += [
      "",
      analysis.text,
    ]
    if let c = claimed {
      lines.append("")
      let diff = c.difference == 0 ? "" : " (\(c.difference > 0 ? "+" : "")\(c.difference))"
      lines.append("claimed rank \(c.claimedRank): \(c.verdict.rawValue)\(diff); tolerances giving \(c.claimedRank) on this spectrum: \(c.tolerancesGivingClaim.text)")
    }
    for w in warnings { lines.append("warning: \(w)") }
    lines.append("")
    var judged = analysis.rules.map { ($0.rule, $0.verdict, $0.difference) }
    if let c = claimed { judged.append(("claimed rank", c.verdict, c.difference)) }
    let others = judged.filter { $0.1 != .correct }.map { name, v, d in
      "\(name) \(v.rawValue)" + (d == 0 ? "" : " (\(d > 0 ? "+" : "")\(d))")
    }
    switch verdict {
    case .correct:
      let names = analysis.rules.map(\.rule).joined(separator: ", ")
      var line = "verdict: CORRECT — "
      if !analysis.rules.isEmpty { line += "every rule (\(names)) gives the exact rank \(exactRank)\(exactRankProved ? "" : " (r*, see its status above)") with a provably safe tolerance" }
      if claimed != nil { line += (analysis.rules.isEmpty ? "" : "; ") + "the claimed rank is the exact rank" }
      lines.append(line)
    case .fragile, .wrong:
      lines.append("verdict: \(verdict.rawValue) — \(others.joined(separator: ", "))")
    }
    return lines.joined(separator: "\n")
  }

  /// "1.234e-05" (four significant digits), as `FloatRankAnalysis.text` prints numbers.
  static func format(_ x: Double) -> String {
    x == 0 ? "0" : String(format: "%.3e", x)
  }

  /// The report as pretty-printed JSON with sorted snake_case keys.
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
