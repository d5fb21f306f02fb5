import ConvNet
import Hessian

extension BoundCatalog {
  /// The source of the cross-entropy entries.
  static let paperCrossEntropy = "Singh, Bachmann & Hofmann, \"Analytic Insights into Structure and Rank of Neural Network Hessian Maps\", NeurIPS 2021 (arXiv 2106.16225): the cross-entropy rule for deep linear fully connected networks, their formulas with K − 1 in place of K"

  /// The cross-entropy versions of the fully connected formulas (K → K − 1).
  ///
  /// Their hypothesis includes the loss: they speak of `LossFunction.crossEntropy` ranks
  /// (`HessianRankOptions.loss`), so they are kept out of `all`, whose entries are checked
  /// against MSE ranks. Checked exactly in Tests/RankBoundsTests/CrossEntropyCatalogTests.swift.
  public static let crossEntropy: [RankBound] = [
    RankBound(
      id: "fc-ce-outer", hessian: .outer, claim: .equality, status: .paper,
      statement: "Cross-entropy loss (softmax over K outputs, mean over samples). For a deep linear fully connected net, rank(H_o) = q′(r + K − 1 − q′) with q′ = min(r, K − 1, M_1, …, M_{L−1}): the MSE formula with K → K − 1.",
      hypotheses: Hypotheses(classes: [.fullyConnected]),
      source: paperCrossEntropy, formula: "min(q,K-1)*(r+K-1-min(q,K-1))", upperBoundProof: paperCrossEntropy,
      notes: "Loss: cross-entropy. rank(H_o) = rank of the stacked C·J_i (proofs/cross-entropy.md, Lemma 1), computed exactly."),
    RankBound(
      id: "fc-ce-functional", hessian: .functional, claim: .equality, status: .paper,
      statement: "Cross-entropy loss. For a deep linear fully connected net with L ≥ 2 layers, rank(H_f) = 2q′ Σ_{i=1}^{L−1} M_i + 2q′s′ − L q′², q′ = min(r, K − 1, M_i), s′ = min(r, K − 1).",
      hypotheses: Hypotheses(classes: [.fullyConnected], genericTargets: true, conditions: [HypothesisCondition("L >= 2", "at least two layers")]),
      source: paperCrossEntropy, formula: "2*min(q,K-1)*sum(l=1..L-1, M[l]) + 2*min(q,K-1)*min(s,K-1) - L*min(q,K-1)^2", upperBoundProof: paperCrossEntropy,
      notes: "Loss: cross-entropy. The rank at a rational point is computed modulo primes at random t = e^(1/D) (proofs/cross-entropy.md): a proved lower bound, exact with the stated probability."),
    RankBound(
      id: "fc-ce-loss", hessian: .loss, claim: .equality, status: .paper,
      statement: "Cross-entropy loss. For a deep linear fully connected net with L ≥ 2 layers, rank(H_L) = 2q′ Σ_{i=1}^{L−1} M_i + q′(r + K − 1) − L q′², q′ = min(r, K − 1, M_i).",
      hypotheses: Hypotheses(classes: [.fullyConnected], genericTargets: true, conditions: [HypothesisCondition("L >= 2", "at least two layers")]),
      source: paperCrossEntropy, formula: "2*min(q,K-1)*sum(l=1..L-1, M[l]) + min(q,K-1)*(r+K-1) - L*min(q,K-1)^2", upperBoundProof: paperCrossEntropy,
      notes: "Loss: cross-entropy. Same status as fc-ce-functional."),
  ]
}

extension RankBound {
  /// The loss a catalog bound speaks of: cross-entropy for `BoundCatalog.crossEntropy`, MSE for
  /// the other catalog bounds; nil for user formulas (judged against whichever loss was ranked).
  public var loss: LossFunction? {
    if status == .user { return nil }
    return BoundCatalog.crossEntropy.contains { $0.id == id } ? .crossEntropy : .mse
  }

  /// Why the bound does not apply to ranks of `ranked`, or nil when it does.
  public func lossMismatch(_ ranked: LossFunction) -> String? {
    guard let loss, loss != ranked else { return nil }
    return "a bound for the \(loss.name) loss; these ranks are of the \(ranked.name) loss"
  }
}
