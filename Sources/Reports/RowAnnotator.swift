import ConvNet
import Exact
import Hessian
import RankBounds

extension Verdict {
  /// The verdict of `rank` against the upper bound `value`: TIGHT (=), HOLDS (<), VIOLATED (>).
  public static func compare(rank: BigInt, bound value: BigInt) -> Verdict {
    rank == value ? .tight : rank < value ? .holds : .violated
  }
}

/// One named column a `RowAnnotator` adds to a row: a bound's value and verdict, or a plain value.
public struct Annotation: Equatable, Sendable {
  /// The id of the annotator (bound) that made it, e.g. `fc-outer`.
  public var bound: String
  /// The Hessian the value speaks of (nil for a plain column such as √p).
  public var hessian: HessianKind?
  /// The column header (unique within a table), e.g. `fc-outer` or `rank(H_o) = q*(r+K-q)`.
  public var column: String
  /// The value as exact text (integers, or a decimal for plain float columns); nil when the
  /// bound does not apply to this config.
  public var value: String?
  /// The verdict against the row's rank of `hessian` (nil for plain columns or n/a).
  public var verdict: Verdict?
  /// Why the bound does not apply, or a short remark.
  public var note: String?

  /// An annotation.
  public init(bound: String, hessian: HessianKind?, column: String, value: String?, verdict: Verdict?,
              note: String? = nil) {
    self.bound = bound
    self.hessian = hessian
    self.column = column
    self.value = value
    self.verdict = verdict
    self.note = note
  }

  /// A bound value for `hessian` in column `column` (default: the id) with its verdict against
  /// `rank` (nil rank: not computed); below the value, a claimed formula is SHORT and an upper
  /// bound HOLDS.
  public static func bound(_ id: String, _ hessian: HessianKind, column: String? = nil, value: BigInt, rank: Int?,
                           claim: BoundClaim = .upperBound) -> Annotation {
    Annotation(bound: id, hessian: hessian, column: column ?? id, value: value.description,
               verdict: rank.map { Verdict.judge(rank: BigInt($0), value: value, claim: claim) })
  }

  /// The bound does not apply to this config.
  public static func notApplicable(_ id: String, _ hessian: HessianKind?, column: String? = nil, why: String) -> Annotation {
    Annotation(bound: id, hessian: hessian, column: column ?? id, value: nil, verdict: nil, note: why)
  }
}

/// What an annotator sees of one finished row.
public struct RowContext: Sendable {
  /// The network and instance settings (with the row's seed).
  public let config: NetworkConfig
  /// Number of parameters p.
  public let p: Int
  /// Number of samples n.
  public let n: Int
  /// Number of outputs K.
  public let k: Int
  /// r = rank(X) (the data rank), proved.
  public let dataRank: Int
  /// The exact ranks that were computed.
  public let ranks: [HessianKind: Int]
  /// Whether each rank is proved exactly (otherwise a proved lower bound).
  public let proved: [HessianKind: Bool]
  private let makeInstance: @Sendable () throws -> NetworkInstance

  /// A context; `instance` builds the exact instance on demand (rebuilt from the config when
  /// not supplied).
  public init(config: NetworkConfig, p: Int, n: Int, k: Int, dataRank: Int, ranks: [HessianKind: Int],
              proved: [HessianKind: Bool], instance: (@Sendable () throws -> NetworkInstance)? = nil) {
    self.config = config
    self.p = p
    self.n = n
    self.k = k
    self.dataRank = dataRank
    self.ranks = ranks
    self.proved = proved
    self.makeInstance = instance ?? { try NetworkInstance(architecture: config.architecture, settings: config.instance) }
  }

  /// The exact instance (θ, X, Y) of the row, for annotators that need more than sizes and
  /// ranks (e.g. ρ = rank(T^V X)).
  public func instance() throws -> NetworkInstance { try makeInstance() }

  /// The layer shapes of the network.
  public var layerInfos: [LayerInfo] { (try? config.architecture.layerInfos()) ?? [] }
}

/// Adds named columns (bound values and verdicts, or plain values) to every row of a table.
///
/// `RankBoundAnnotator` wraps the bounds of the `RankBounds` catalog and user formulas;
/// `SquareRootAnnotator` adds √p. Other columns plug in by conforming to this protocol and
/// registering in an `AnnotatorRegistry`.
public protocol RowAnnotator: Sendable {
  /// The id used in sweep files (`"bounds": ["fc-outer"]`) and column names.
  var id: String { get }
  /// One line for `hessrank table --help`: what the columns are and where they come from.
  var summary: String { get }
  /// The columns for one row. Return `Annotation.notApplicable` entries (not an empty list)
  /// when the hypotheses fail, so that the columns are the same for every row.
  func annotate(_ row: RowContext) throws -> [Annotation]
}

/// The annotators a table may use, by id, and an optional parser for user formulas.
public struct AnnotatorRegistry: Sendable {
  /// The registered annotators, in the order the table shows their columns.
  public private(set) var annotators: [any RowAnnotator] = []
  /// Turns the i-th user formula (e.g. `"outer: q*(r+K-q)"`, i from 1) into an annotator whose
  /// id is unique (e.g. `formula-1`); nil when no formula language is available.
  public var formulaParser: (@Sendable (_ text: String, _ number: Int) throws -> any RowAnnotator)?

  /// An empty registry.
  public init() {}

  /// The standard annotators: every bound of the `RankBounds` catalog (`hessrank bounds`),
  /// then `sqrt-p`. (Formulas need a `formulaParser`; the CLI sets one.)
  public static var standard: AnnotatorRegistry {
    var r = AnnotatorRegistry()
    for bound in BoundCatalog.all { r.register(RankBoundAnnotator(bound)) }
    r.register(SquareRootAnnotator())
    return r
  }

  /// Adds (or replaces, keeping its position) an annotator.
  public mutating func register(_ annotator: any RowAnnotator) {
    if let i = annotators.firstIndex(where: { $0.id == annotator.id }) {
      annotators[i] = annotator
    } else {
      annotators.append(annotator)
    }
  }

  /// The annotator with this id.
  public func annotator(id: String) -> (any RowAnnotator)? { annotators.first { $0.id == id } }

  /// The annotators a sweep asks for (all registered ones when `bounds` is nil), then one per
  /// formula.
  /// - Throws: `SweepError` for an unknown id or a formula that does not parse.
  public func resolve(bounds: [String]?, formulas: [String]) throws(SweepError) -> [any RowAnnotator] {
    var out: [any RowAnnotator] = []
    for id in bounds ?? annotators.map(\.id) {
      guard let a = annotator(id: id) else {
        let hint = closestWord(to: id, in: annotators.map(\.id)).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw SweepError("unknown bound \"\(id)\" in \"bounds\"\(hint); known ids: \(annotators.map(\.id).joined(separator: ", "))")
      }
      out.append(a)
    }
    for (i, f) in formulas.enumerated() {
      guard let formulaParser else {
        throw SweepError("formula \"\(f)\": no formula parser is registered; remove \"formulas\" or use bound ids")
      }
      do {
        out.append(try formulaParser(f, i + 1))
      } catch {
        throw SweepError("formula \"\(f)\": \(error)")
      }
    }
    return out
  }
}
