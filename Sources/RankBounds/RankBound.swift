import Foundation
import ConvNet
import Hessian

/// Whether a bound claims the rank itself or only caps it.
public enum BoundClaim: String, Sendable, Codable, CaseIterable {
  /// rank = formula for generic weights, data and targets (TIGHT is expected).
  case equality = "formula"
  /// rank ≤ formula.
  case upperBound = "upper-bound"

  /// "=" or "≤".
  public var symbol: String { self == .equality ? "=" : "≤" }
}

/// How sure we are of a bound, by where it comes from.
public enum BoundStatus: String, Sendable, Codable, CaseIterable {
  /// A published formula (proved in the paper).
  case paper
  /// Derived (a derivation is sketched or written in proofs/); not a published theorem.
  case derived
  /// A regularity seen in checks, with no derivation.
  case observed
  /// Always true, for a reason given in the statement.
  case trivial
  /// Given on the command line.
  case user
}

/// A condition in the formula language with its meaning in words.
public struct HypothesisCondition: Sendable, Equatable {
  /// The condition (nonzero = holds).
  public let formula: Formula
  /// What it says.
  public let words: String

  /// A condition; the text must parse (catalog conditions are checked by the tests).
  public init(_ text: String, _ words: String) {
    do {
      formula = try Formula(parsing: text)
    } catch {
      preconditionFailure("catalog condition '\(text)' does not parse: \(error)")
    }
    self.words = words
  }
}

/// The conditions under which a bound is claimed.
public struct Hypotheses: Sendable, Equatable {
  /// Which activations the network may have.
  public enum ActivationRequirement: String, Sendable, Equatable {
    /// Every activation is the identity.
    case linear
    /// At least one ReLU, no leaky ReLU.
    case relu
    /// Any activations.
    case any
  }

  /// Whether layers may have biases.
  public enum BiasRequirement: String, Sendable, Equatable {
    /// No layer has a bias.
    case none
    /// Biases allowed.
    case allowed
  }

  /// The architecture classes the bound applies to (empty: any).
  public var classes: [ArchitectureClass]
  /// The input dimensions it applies to (empty: any).
  public var dimensions: [Int]
  /// The activations.
  public var activation: ActivationRequirement
  /// Biases.
  public var bias: BiasRequirement
  /// Whether the formula assumes generic residuals (random targets, not all zero).
  public var genericTargets: Bool
  /// Further conditions in the formula language (all must hold), e.g. `L >= 2`.
  public var conditions: [HypothesisCondition]

  /// Hypotheses; conditions are parsed (a catalog condition that does not parse is a programming error).
  public init(classes: [ArchitectureClass] = [], dimensions: [Int] = [], activation: ActivationRequirement = .linear,
              bias: BiasRequirement = .none, genericTargets: Bool = false, conditions: [HypothesisCondition] = []) {
    self.classes = classes
    self.dimensions = dimensions
    self.activation = activation
    self.bias = bias
    self.genericTargets = genericTargets
    self.conditions = conditions
  }

  /// No restriction at all.
  public static let anyNetwork = Hypotheses(activation: .any, bias: .allowed)

  /// Why the hypotheses fail for a network's structure and targets (nil when they hold so far;
  /// the conditions are checked separately, with the variables).
  public func structuralMismatch(_ facts: NetworkFacts, targets: TargetMode, explicitTargets: Bool) -> String? {
    if !classes.isEmpty && !classes.contains(facts.architectureClass) {
      return "needs a \(classes.map(\.phrase).joined(separator: " or a ")); this is a \(facts.architectureClass.phrase)"
    }
    if !dimensions.isEmpty && !dimensions.contains(facts.dimensions) {
      return "needs a \(dimensions.map { "\($0)-D" }.joined(separator: " or ")) input; this input is \(facts.dimensions)-D"
    }
    switch activation {
    case .linear where !facts.isLinear:
      return "needs a linear network (identity activations); this one has \(facts.hasReLU ? "ReLU" : "leaky ReLU")"
    case .relu where !facts.hasReLU || facts.hasLeaky:
      return facts.hasLeaky ? "needs ReLU activations; this network has leaky ReLU" : "needs a ReLU network; this one has no ReLU"
    default: break
    }
    if bias == .none && facts.hasBias { return "needs layers without bias; this network has biases" }
    if genericTargets && targets == .zero && !explicitTargets {
      return "assumes generic residuals; the targets are all zero (--targets zero)"
    }
    return nil
  }

  /// The hypotheses in words, one item per line.
  public var lines: [String] {
    var out: [String] = []
    out.append("architecture: " + (classes.isEmpty ? "any" : classes.map(\.phrase).joined(separator: " or ")))
    if !dimensions.isEmpty { out.append("input: " + dimensions.map { "\($0)-D" }.joined(separator: " or ")) }
    switch activation {
    case .linear: out.append("activations: linear only (identity)")
    case .relu: out.append("activations: ReLU")
    case .any: out.append("activations: any")
    }
    out.append(bias == .none ? "bias: none" : "bias: allowed")
    if genericTargets { out.append("targets: generic (random), so the residuals are generic") }
    for c in conditions { out.append("condition: \(c.words) [\(c.formula.text)]") }
    return out
  }
}

/// A named bound on the rank of one loss Hessian.
public struct RankBound: Sendable, Equatable {
  /// The identifier (`hessrank bounds ID`).
  public let id: String
  /// Which Hessian it speaks of.
  public let hessian: HessianKind
  /// Formula (equality) or upper bound.
  public let claim: BoundClaim
  /// Where it comes from.
  public let status: BoundStatus
  /// The statement in words.
  public let statement: String
  /// When the bound applies.
  public let hypotheses: Hypotheses
  /// The citation or reason.
  public let source: String
  /// The formula (`Formula` language).
  public let formula: Formula
  /// When rank ≤ formula is proved at every point of the hypotheses (so that TIGHT at a point
  /// proves the rank there without a kernel certificate): where that proof is.
  public let upperBoundProof: String?
  /// Remarks: what is known about it, where it fails.
  public let notes: String?

  /// A bound; the formula text must parse (catalog entries are checked by the tests).
  public init(id: String, hessian: HessianKind, claim: BoundClaim, status: BoundStatus, statement: String,
              hypotheses: Hypotheses, source: String, formula: String, upperBoundProof: String? = nil, notes: String? = nil) {
    self.id = id
    self.hessian = hessian
    self.claim = claim
    self.status = status
    self.statement = statement
    self.hypotheses = hypotheses
    self.source = source
    do {
      self.formula = try Formula(parsing: formula)
    } catch {
      preconditionFailure("bound \(id): formula '\(formula)' does not parse: \(error)")
    }
    self.upperBoundProof = upperBoundProof
    self.notes = notes
  }

  /// A bound from a parsed user formula.
  public init(userFormula formula: Formula, id: String, hessian: HessianKind, claim: BoundClaim) {
    self.id = id
    self.hessian = hessian
    self.claim = claim
    status = .user
    statement = "rank(\(hessian.symbol)) \(claim.symbol) \(formula.text) (given on the command line)"
    hypotheses = .anyNetwork
    source = "command line"
    self.formula = formula
    upperBoundProof = nil
    notes = nil
  }

  /// "rank(H_o) = q*(r+K-q)".
  public var claimText: String { "rank(\(hessian.symbol)) \(claim.symbol) \(formula.text)" }
}

extension HessianKind {
  /// Parses "outer", "functional", "loss" or "H_o", "H_f", "H_L" (also "o", "f", "L").
  public init?(word: String) {
    let w = word.trimmingCharacters(in: .whitespaces)
    if let k = HessianKind(rawValue: w.lowercased()) {
      self = k
      return
    }
    switch w {
    case "H_o", "Ho", "o": self = .outer
    case "H_f", "Hf", "f": self = .functional
    case "H_L", "HL", "H_l", "L": self = .loss
    default: return nil
    }
  }
}
