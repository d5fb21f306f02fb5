import ConvNet
import Hessian
import RankBounds

extension SweepSpec {
  /// The losses the sweep's rows rank: the base loss, or the values of a `"loss"` axis.
  public var losses: Set<LossFunction> {
    let values = groups.flatMap(\.axes).filter { $0.name == "loss" }.flatMap(\.values)
    return values.isEmpty ? [base.loss] : Set(values.compactMap(LossFunction.init(rawValue:)))
  }
}

extension AnnotatorRegistry {
  /// The standard annotators for rows of these losses: the catalog bounds of each loss (MSE:
  /// `BoundCatalog.all`; cross-entropy: `BoundCatalog.crossEntropy`), then `sqrt-p`. A bound
  /// of the other loss shows "n/a" on a row (`RankBound.lossMismatch`).
  public static func standard(losses: Set<LossFunction>) -> AnnotatorRegistry {
    var r = AnnotatorRegistry()
    if losses.contains(.mse) { for bound in BoundCatalog.all { r.register(RankBoundAnnotator(bound)) } }
    if losses.contains(.crossEntropy) { for bound in BoundCatalog.crossEntropy { r.register(RankBoundAnnotator(bound)) } }
    r.register(SquareRootAnnotator())
    return r
  }
}
