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
    // Judged as any certify run is, with the lower bounds as evidence: a TIGHT check is proved
    // exactly when the bound's upper side is a theorem (the evidence has no upper proof), and
    // bounds whose formulas or conditions need Hessian ranks are skipped (no values here).
    let evidence = lowerBounds.mapValues {
      RankEvidence(rank: $0, isExact: false, lowerProof: "a nonzero \($0)×\($0) minor", upperProof: nil)
    }
    guard let checks = try? plan.judge(variables: variables, evidence: evidence, seed: settings.seed).checks else { return [:] }
    var out: [HessianKind: (id: String, proof: String)] = [:]
    for c in checks where c.verdict == .tight && c.proved && out[c.bound.hessian] == nil {
      if let proof = c.bound.upperBoundProof { out[c.bound.hessian] = (c.bound.id, proof) }
    }
    return out
  }
}
