import Foundation

/// How far a float spectrum can be from the exact matrix's singular values.
///
/// Two sources of error separate a computed spectrum s of a float matrix H_float from the
/// singular values σ of the exact matrix H_exact:
/// * the matrix itself: ‖H_float − H_exact‖₂ ≤ `matrixDifference`, a rigorous bound
///   (`DifferenceNormBound`); by Weyl's inequality |σ_i(H_float) − σ_i(H_exact)| ≤ it;
/// * the solver: |s_i − σ_i(H_float)| ≤ `solverError`. LAPACK's SVD and symmetric
///   eigensolvers are backward stable, with |s_i − σ_i| ≤ p(n)·ε·‖H‖₂ for "a modestly
///   growing function p(n)" (LAPACK Users' Guide, 3rd ed., §4.7 and §4.9); the guide's own
///   approximate error bounds take p(n) = 1, i.e. ε·σ_max, and so does
///   `solverEstimate(for:)`. This part is an estimate, not a proof.
///
/// `total` = matrixDifference + solverError, rounded up, bounds |s_i − σ_i(H_exact)|.
public struct ErrorBudget: Sendable, Equatable, Codable {
  /// A rigorous bound on ‖H_float − H_exact‖₂.
  public var matrixDifference: Double
  /// A bound (estimate) on the solver's error in each spectrum value.
  public var solverError: Double

  /// A budget from its two parts (both ≥ 0).
  public init(matrixDifference: Double, solverError: Double) {
    self.matrixDifference = matrixDifference
    self.solverError = solverError
  }

  /// A budget with the solver part estimated by `solverEstimate(for:)`.
  public init(matrixDifference: Double, estimatingSolverErrorFor spectrum: FloatSpectrum) {
    self.init(matrixDifference: matrixDifference, solverError: ErrorBudget.solverEstimate(for: spectrum))
  }

  /// ε·σ_max in the arithmetic the spectrum was computed in (LAPACK Users' Guide's
  /// approximate error bound for computed singular values and symmetric eigenvalues).
  public static func solverEstimate(for spectrum: FloatSpectrum) -> Double {
    spectrum.solverPrecision.epsilon * (spectrum.values.first ?? 0)
  }

  /// matrixDifference + solverError, rounded up.
  public var total: Double {
    let s = matrixDifference + solverError
    return s == 0 ? 0 : s.nextUp
  }
}

/// The verdict on one tolerance rule.
public enum FloatRankVerdict: String, Sendable, Codable {
  /// The rule gives the exact rank, and would for every spectrum within the error budget of
  /// the exact one: its tolerance lies in the provably safe interval.
  case correct = "CORRECT"
  /// The rule gives the exact rank, but a spectrum value within the error budget of the
  /// tolerance could have tipped it: right by luck of the rounding.
  case fragile = "FRAGILE"
  /// The rule does not give the exact rank.
  case wrong = "WRONG"
}

/// A half-open interval [lower, upper) of tolerances; `upper` nil means +∞.
public struct ToleranceInterval: Sendable, Equatable, Codable {
  /// Smallest tolerance in the interval.
  public var lower: Double
  /// The interval holds the tolerances t with lower ≤ t < upper; nil means no upper end.
  public var upper: Double?

  /// The tolerances t with lower ≤ t < upper (upper nil: no upper end).
  public init(lower: Double, upper: Double?) {
    self.lower = lower
    self.upper = upper
  }

  /// True when no tolerance lies in the interval.
  public var isEmpty: Bool { upper.map { lower >= $0 } ?? false }

  /// True when `t` lies in the interval.
  public func contains(_ t: Double) -> Bool { t >= lower && (upper.map { t < $0 } ?? true) }

  /// "[1.0e-06, 3.2e-02)" or "[1.0e-06, ∞)" or "empty".
  public var text: String {
    isEmpty ? "empty" : "[\(FloatRankAnalysis.format(lower)), \(upper.map(FloatRankAnalysis.format) ?? "∞"))"
  }
}

/// One rule's result.
public struct RuleResult: Sendable, Equatable, Codable {
  /// The rule as text (`numpy`, `torch`, `rtol=1e-08`, …).
  public var rule: String
  /// How the rule forms its tolerance.
  public var formula: String
  /// The tolerance the rule uses on this spectrum.
  public var tolerance: Double
  /// The numerical rank: spectrum values strictly greater than the tolerance.
  public var rank: Int
  /// rank − exact rank (0 unless WRONG).
  public var difference: Int
  /// CORRECT, FRAGILE or WRONG.
  public var verdict: FloatRankVerdict
  /// Why, in one sentence.
  public var reason: String
}

/// The comparison of a float spectrum with an exact rank.
///
/// Notation: the exact matrix H_exact has rank r* and singular values σ₁ ≥ … ≥ σ_k
/// (k = min(M, N)), so σ_i = 0 for i > r* and σ_{r*} > 0. The float spectrum is
/// s₁ ≥ … ≥ s_k, and E is the error budget's total, so |s_i − σ_i| ≤ E for all i (Weyl's
/// inequality plus the solver's error; see `ErrorBudget`). A rule with tolerance t reports
/// #{i : s_i > t}.
///
/// * **Tolerances giving r* on this spectrum**: exactly s_{r*+1} ≤ t < s_{r*} (with
///   s_{k+1} := 0 and s_0 := +∞). The rules count strictly greater values, so the interval is
///   closed below and open above.
/// * **Provably safe tolerances**: those that give r* for *every* spectrum s′ within E of
///   the exact one — every float computation of this Hessian whose error stays within the
///   budget. Such s′ has s′_i ≤ σ_i + E = E for i > r*, and s′_{r*} ≥ σ_{r*} − E. σ_{r*} is
///   not known exactly, but σ_{r*} ≥ s_{r*} − E, or a caller-supplied rigorous lower bound
///   L. So t is safe when E ≤ t < σ_low − E with σ_low = max(s_{r*} − E, L): the noise can
///   never exceed t and the smallest true singular value can never fall to t. (For r* = 0
///   the upper end is +∞; for r* = k the lower end is 0.) When the interval is empty, the
///   float matrix cannot certify its rank at this precision: its rank gap is narrower than
///   its error.
/// * **Consistency**: Weyl forces s_{r*+1} ≤ E. A larger s_{r*+1} means the inputs
///   contradict each other (a wrong exact rank, a wrong matrix, or a solver error beyond
///   the estimate), and is reported.
/// * **Verdicts**: WRONG when the rule's rank differs from r*. Otherwise CORRECT when the
///   rule's tolerance is provably safe — for rules with a relative part, for every σ_max
///   within 2E of s₁ (the range σ′_max can take: |s′₁ − σ₁| ≤ E and |σ₁ − s₁| ≤ E) — and
///   FRAGILE when it is not: a zero singular value could have surfaced above it, or the
///   smallest nonzero one sunk to it, within the error budget.
public struct FloatRankAnalysis: Sendable, Equatable, Codable {
  /// The exact rank r*.
  public var exactRank: Int
  /// Rows M and columns N of the matrix.
  public var rows: Int
  /// Columns N.
  public var cols: Int
  /// The matrix's floating-point format.
  public var precision: FloatPrecision
  /// The arithmetic the spectrum was computed in.
  public var solverPrecision: FloatPrecision
  /// Singular values or |eigenvalues|.
  public var spectrumKind: SpectrumKind
  /// s₁, the largest spectrum value (0 for an empty spectrum).
  public var sigmaMax: Double
  /// s_{r*}, the smallest value that should count (nil when r* = 0).
  public var sigmaAtRank: Double?
  /// s_{r*+1}, the largest value that should not count (nil when r* = k).
  public var sigmaAfterRank: Double?
  /// s_{r*} − s_{r*+1} (with the missing one taken as 0; nil when r* = 0).
  public var gap: Double?
  /// log10(s_{r*} / s_{r*+1}): decades between them (nil when either is missing or 0).
  public var gapDecades: Double?
  /// The error budget.
  public var errorBudget: ErrorBudget
  /// A caller-supplied rigorous lower bound on σ_{r*}(H_exact), if any.
  public var exactSigmaLowerBound: Double?
  /// The tolerances that give r* on this spectrum.
  public var exactRankTolerances: ToleranceInterval
  /// The tolerances that give r* for every spectrum within the error budget.
  public var provablySafeTolerances: ToleranceInterval
  /// False when s_{r*+1} > E (the inputs contradict Weyl's inequality).
  public var consistent: Bool
  /// One result per rule.
  public var rules: [RuleResult]

  /// Analyzes `spectrum` against the exact rank `exactRank` with the given error budget.
  /// `exactSigmaLowerBound`, when known, is a rigorous lower bound on σ_{r*}(H_exact).
  public init(exactRank: Int, spectrum: FloatSpectrum, errorBudget: ErrorBudget,
              rules: [ToleranceRule] = ToleranceRule.standard, exactSigmaLowerBound: Double? = nil) throws {
    let s = spectrum.values
    let k = s.count
    guard k == min(spectrum.rows, spectrum.cols) else {
      throw SpectrumError.invalidSpectrum("\(k) values for a \(spectrum.rows)×\(spectrum.cols) matrix (expected \(min(spectrum.rows, spectrum.cols)))")
    }
    guard s.allSatisfy({ $0.isFinite && $0 >= 0 }), zip(s, s.dropFirst()).allSatisfy({ $0 >= $1 }) else {
      throw SpectrumError.invalidSpectrum("values must be finite, non-negative and descending")
    }
    guard (0...k).contains(exactRank) else {
      throw SpectrumError.invalidSpectrum("exact rank \(exactRank) is outside 0...\(k)")
    }
    let budget = [errorBudget.matrixDifference, errorBudget.solverError]
    guard budget.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
      throw SpectrumError.invalidSpectrum("error bounds must be finite and non-negative")
    }
    if let l = exactSigmaLowerBound, !(l.isFinite && l >= 0) {
      throw SpectrumError.invalidSpectrum("the lower bound on σ_{r*} must be finite and non-negative")
    }
    let r = exactRank
    let e = errorBudget.total
    self.exactRank = r
    self.rows = spectrum.rows
    self.cols = spectrum.cols
    self.precision = spectrum.precision
    self.solverPrecision = spectrum.solverPrecision
    self.spectrumKind = spectrum.kind
    self.sigmaMax = s.first ?? 0
    self.errorBudget = errorBudget
    self.exactSigmaLowerBound = exactSigmaLowerBound
    let at: Double? = r > 0 ? s[r - 1] : nil
    let after: Double? = r < k ? s[r] : nil
    self.sigmaAtRank = at
    self.sigmaAfterRank = after
    self.gap = at.map { $0 - (after ?? 0) }
    if let a = at, let b = after, a > 0, b > 0 { self.gapDecades = log10(a / b) } else { self.gapDecades = nil }
    self.exactRankTolerances = ToleranceInterval(lower: after ?? 0, upper: at)
    self.consistent = (after ?? 0) <= e

    // σ_low: a lower bound on σ_{r*}(H_exact), rounded down. Safe interval [E, σ_low − E).
    let sigmaLow: Double? = at.map { max(($0 - e).nextDown, exactSigmaLowerBound ?? 0) }
    let safeLower = r < k ? e : 0
    let safeUpper: Double? = sigmaLow.map { max(($0 - e).nextDown, 0) }
    self.provablySafeTolerances = ToleranceInterval(lower: safeLower, upper: safeUpper)

    var results: [RuleResult] = []
    for rule in rules {
      let t = rule.tolerance(for: spectrum)
      let rank = s.reduce(0) { $0 + ($1 > t ? 1 : 0) }
      var verdict: FloatRankVerdict
      var reason: String
      if rank != r {
        verdict = .wrong
        if rank < r {
          reason = "tolerance \(Self.format(t)) ≥ s_\(r) = \(Self.format(at ?? 0)): \(r - rank) nonzero singular value(s) counted as zero"
        } else {
          reason = "tolerance \(Self.format(t)) < s_\(r + 1) = \(Self.format(after ?? 0)): \(rank - r) rounding-error value(s) counted as rank"
        }
      } else {
        // The tolerance over every σ_max a computation within the budget could produce.
        var tLow = t, tHigh = t
        if rule.isRelative {
          tLow = min(t, rule.tolerance(sigmaMax: max(sigmaMax - 2 * e, 0), rows: rows, cols: cols,
                                       epsilon: spectrum.precision.epsilon))
          tHigh = max(t, rule.tolerance(sigmaMax: sigmaMax + 2 * e, rows: rows, cols: cols,
                                        epsilon: spectrum.precision.epsilon))
        }
        let noiseSafe = r == k || tLow >= safeLower
        let signalSafe = safeUpper.map { tHigh < $0 } ?? true
        if noiseSafe && signalSafe {
          verdict = .correct
          reason = "tolerance \(Self.format(t)) lies in the provably safe interval \(provablySafeTolerances.text)"
        } else {
          verdict = .fragile
          if !noiseSafe {
            reason = "tolerance \(Self.format(t)) is below the error bound E = \(Self.format(e)): a zero singular value may be computed as large as E"
          } else {
            reason = "tolerance \(Self.format(t)) is within E = \(Self.format(e)) of σ_\(r) ≥ \(Self.format(sigmaLow ?? 0)): it may be computed below the tolerance"
          }
        }
      }
      results.append(RuleResult(rule: rule.description, formula: rule.formula, tolerance: t, rank: rank,
                                difference: rank - r, verdict: verdict, reason: reason))
    }
    self.rules = results
  }

  /// True when every rule is CORRECT.
  public var allCorrect: Bool { rules.allSatisfy { $0.verdict == .correct } }

  /// The report for people, one fact per line.
  public var text: String {
    var lines: [String] = []
    lines.append("exact rank r* = \(exactRank) of a \(rows)×\(cols) matrix (\(precision.rawValue))")
    lines.append("float spectrum: \(spectrumKind.rawValue) computed in \(solverPrecision.rawValue), σ_max = \(Self.format(sigmaMax))")
    var boundary: [String] = []
    if let a = sigmaAtRank { boundary.append("s_\(exactRank) = \(Self.format(a))") }
    if let b = sigmaAfterRank { boundary.append("s_\(exactRank + 1) = \(Self.format(b))") }
    if let g = gap { boundary.append("gap = \(Self.format(g))") }
    if let d = gapDecades { boundary.append(String(format: "%.1f decades", d)) }
    if !boundary.isEmpty { lines.append(boundary.joined(separator: ", ")) }
    lines.append("error bound E = \(Self.format(errorBudget.total)): ‖H_float − H_exact‖₂ ≤ \(Self.format(errorBudget.matrixDifference)) (rigorous) + solver \(Self.format(errorBudget.solverError)) (estimate)")
    if !consistent {
      lines.append("warning: s_\(exactRank + 1) exceeds E, which Weyl's inequality forbids: the exact rank, the matrix or the solver estimate is off")
    }
    lines.append("tolerances giving rank \(exactRank) on this spectrum: \(exactRankTolerances.text)")
    lines.append("provably safe tolerances: \(provablySafeTolerances.text)"
      + (provablySafeTolerances.isEmpty ? " (the gap is narrower than the error: no tolerance certifies the rank)" : ""))
    let width = max(6, rules.map(\.rule.count).max() ?? 0)
    lines.append("rule".padding(toLength: width, withPad: " ", startingAt: 0) + "  tolerance   rank  verdict")
    for r in rules {
      let diff = r.difference == 0 ? "" : " (\(r.difference > 0 ? "+" : "")\(r.difference))"
      lines.append(r.rule.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
        + Self.format(r.tolerance).padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
        + String(r.rank).padding(toLength: 4, withPad: " ", startingAt: 0) + "  " + r.verdict.rawValue + diff)
      lines.append(String(repeating: " ", count: width + 2) + r.reason)
    }
    return lines.joined(separator: "\n")
  }

  /// The report as pretty-printed JSON with sorted snake_case keys (`exact_rank`,
  /// `provably_safe_tolerances`, `rules[].verdict`, …); absent values are omitted.
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  /// Reads back a report written by `json()`.
  public init(json: String) throws {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    self = try decoder.decode(FloatRankAnalysis.self, from: Data(json.utf8))
  }

  /// "1.234e-05" (four significant digits).
  static func format(_ x: Double) -> String {
    x == 0 ? "0" : String(format: "%.3e", x)
  }
}
