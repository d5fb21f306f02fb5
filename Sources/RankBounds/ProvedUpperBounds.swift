import ConvNet
import Exact
import Hessian

/// Catalog upper bounds that hold at every point (`RankBound.upperBoundProof`), evaluated for one
/// instance: a proved lower bound (e.g. a sketch certificate's minor) that reaches one of them is
/// the exact rank, TIGHT.
public enum ProvedUpperBounds {
  /// Per Hessian whose `lowerBounds` value equals the value of an applicable catalog bound with
  /// a proof of its upper side: that bound's id and proof. Bounds whose formulas use Hessian
  /// ranks are not used (those ranks are only bounded here); the data rank r is exact.
  public static func reached(instance: NetworkInstance, dataRank: Int, lowerBounds: [HessianKind: Int])
    -> [HessianKind: (id: String, proof: String)]
  {
    let settings = instance.settings
    let catalog = settings.loss == .mse ? BoundCatalog.all : BoundCatalog.crossEntropy
    let plan = BoundPlan(bounds: catalog, facts: NetworkFacts(instance.plan.architecture), settings: settings)
    let variables = NetworkVariables(instance: instance, dataRank: dataRank, names: plan.variableNames)
    var out: [HessianKind: (id: String, proof: String)] = [:]
    bounds: for (b, why) in zip(plan.bounds, plan.structural) where why == nil && out[b.hessian] == nil {
      guard let proof = b.upperBoundProof, let lower = lowerBounds[b.hessian],
            !b.formula.variableNames.contains(where: { $0.hasPrefix("rank_") }) else { continue }
      for condition in b.hypotheses.conditions {
        guard !condition.formula.variableNames.contains(where: { $0.hasPrefix("rank_") }),
              (try? condition.formula.holds(in: variables)) == true else { continue bounds }
      }
      guard let value = try? b.formula.evaluate(in: variables), value == BigInt(lower) else { continue }
      out[b.hessian] = (b.id, proof)
    }
    return out
  }
}
