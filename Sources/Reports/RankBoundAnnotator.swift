import ConvNet
import Exact
import Hessian
import RankBounds

/// A bound of the `RankBounds` catalog (or a user formula) as a table column: its value at the
/// row's instance and the verdict against the row's exact rank, judged as `hessrank certify`
/// judges it (structural hypotheses, then conditions, then the formula over the exact
/// variables r, ρ, r̂, …).
public struct RankBoundAnnotator: RowAnnotator {
  /// The bound.
  public let bound: RankBound

  /// An annotator for `bound`.
  public init(_ bound: RankBound) { self.bound = bound }

  /// The catalog id (for a user formula: the id it was given).
  public var id: String { bound.id }

  /// The column header: the id, or for a user formula its claim ("rank(H_o) = q*(r+K-q)").
  public var column: String { bound.status == .user ? bound.claimText : bound.id }

  /// One line for the help text: id, claim and status.
  public var summary: String {
    "\(bound.id.padding(toLength: 25, withPad: " ", startingAt: 0)) \(bound.claimText) (\(bound.status.rawValue))"
  }

  /// The value and verdict at one row, or why the bound does not apply.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    func notApplicable(_ why: String) -> [Annotation] {
      [.notApplicable(id, bound.hessian, column: column, why: why)]
    }
    let settings = row.config.instance
    if let why = bound.lossMismatch(settings.loss) { return notApplicable(why) }
    if let why = bound.hypotheses.structuralMismatch(NetworkFacts(row.config.architecture), targets: settings.targets,
                                                      explicitTargets: settings.targetValues != nil) {
      return notApplicable(why)
    }
    let names = Set(bound.formula.variableNames + bound.hypotheses.conditions.flatMap(\.formula.variableNames))
    let variables = NetworkVariables(instance: try row.instance(), dataRank: row.dataRank, ranks: row.ranks, names: names)
    for condition in bound.hypotheses.conditions {
      do {
        if !(try condition.formula.holds(in: variables)) { return notApplicable("needs \(condition.words) [\(condition.formula.text)]") }
      } catch {
        return notApplicable("needs \(condition.words): \(error.message)")
      }
    }
    let value: BigInt
    do {
      value = try bound.formula.evaluate(in: variables)
    } catch {
      return notApplicable(error.message)
    }
    var a = Annotation.bound(id, bound.hessian, column: column, value: value, rank: row.ranks[bound.hessian],
                                 claim: bound.claim)
    let unproved = HessianKind.allCases.filter { bound.formula.variableNames.contains("rank_\($0.rawValue)") && row.proved[$0] != true }
    if !unproved.isEmpty {
      a.note = "the value uses \(unproved.map(\.symbol).joined(separator: ", ")) known only as a lower bound"
    }
    return [a]
  }
}
