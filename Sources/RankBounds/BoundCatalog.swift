import Hessian

/// The named bounds `hessrank bounds` lists and `hessrank certify` checks.
///
/// Sources: the fully connected formulas are published (Singh, Bachmann & Hofmann, NeurIPS
/// 2021); the CNN formulas were derived or observed by this project (see proofs/ and
/// docs/bounds.md), and each is labelled with how sure we are of it.
public enum BoundCatalog {
  static let paper = "Singh, Bachmann & Hofmann, \"Analytic Insights into Structure and Rank of Neural Network Hessian Maps\", NeurIPS 2021 (arXiv 2106.16225): their published rank formula for deep linear fully connected networks"
  static let earlierConjecture = "this project's own earlier conjecture (its reference notes, checked in float64 only) for the CNN model of Singh, Hofmann & Schölkopf (ICML 2023, arXiv 2305.09088) — NOT a statement of that paper, whose theorem statements we do not have"
  static let observed = "observed in float64 by this project (reference notes); no derivation"

  /// Linear conv layers and a dense head, no bias, no padding after the first conv layer.
  static let deepLinear = Hypotheses(classes: [.oneConv, .deepCNN], conditions: [
    HypothesisCondition("sum(l=2..Lc, Pmax[l]) == 0", "no padding on conv layers 2…Lc (padding on the first is allowed)"),
  ])

  /// Every catalog bound, in listing order.
  public static let all: [RankBound] = [
    // Fully connected, paper.
    RankBound(
      id: "fc-outer", hessian: .outer, claim: .equality, status: .paper,
      statement: "For a deep linear fully connected net f(x) = W_L⋯W_1 x with hidden widths M_1…M_{L−1}, rank(H_o) = q(r + K − q) with q = min(r, K, M_1, …, M_{L−1}).",
      hypotheses: Hypotheses(classes: [.fullyConnected]),
      source: paper, formula: "q*(r+K-q)", upperBoundProof: paper),
    RankBound(
      id: "fc-functional", hessian: .functional, claim: .equality, status: .paper,
      statement: "For a deep linear fully connected net with L ≥ 2 layers, rank(H_f) = 2q Σ_{i=1}^{L−1} M_i + 2qs − L q² (the sum runs over the hidden widths).",
      hypotheses: Hypotheses(classes: [.fullyConnected], genericTargets: true, conditions: [HypothesisCondition("L >= 2", "at least two layers")]),
      source: paper, formula: "2*q*sum(l=1..L-1, M[l]) + 2*q*s - L*q^2", upperBoundProof: paper),
    RankBound(
      id: "fc-loss", hessian: .loss, claim: .equality, status: .paper,
      statement: "For a deep linear fully connected net with L ≥ 2 layers, rank(H_L) = 2q Σ_{i=1}^{L−1} M_i + q(r + K) − L q².",
      hypotheses: Hypotheses(classes: [.fullyConnected], genericTargets: true, conditions: [HypothesisCondition("L >= 2", "at least two layers")]),
      source: paper, formula: "2*q*sum(l=1..L-1, M[l]) + q*(r+K) - L*q^2", upperBoundProof: paper),

    // One conv layer + dense head.
    RankBound(
      id: "one-conv-outer-rho", hessian: .outer, claim: .equality, status: .derived,
      statement: "One linear conv layer (m channels, patch size k̃ = c0·k, d′ output positions) and a dense head: rank(H_o) = Kρ + min(q(r̃ − q), K(r − ρ)) with ρ = rank(T^V X), r̃ = min(k̃, r), q = min(m, r̃).",
      hypotheses: Hypotheses(classes: [.oneConv]),
      source: earlierConjecture + "; refuted in proofs/one-conv-outer.md", formula: "K*rho + min(q*(rt-q), K*(r-rho))",
      notes: "Refuted in general (proofs/one-conv-outer.md): when r < k̃ the patch rank r̂ can exceed r̃, and when K > m·d′ only min(K, m·d′)(r − ρ) directions are reachable; e.g. 4x6 conv(1,k=5) dense(3) with n = 10 has rank(H_o) = 22 > 15. See one-conv-outer for the corrected formula."),
    RankBound(
      id: "one-conv-outer-1d", hessian: .outer, claim: .equality, status: .derived,
      statement: "One linear 1-D conv layer and a dense head, where generically ρ = min(m d′, r): rank(H_o) = min(K r, q(r̃ + K d′ − q)) (paper 2's shape with r → r̃ and K → K d′).",
      hypotheses: Hypotheses(classes: [.oneConv], dimensions: [1]),
      source: earlierConjecture + "; refuted in proofs/one-conv-outer.md", formula: "min(K*r, q*(rt + K*dp - q))",
      notes: "Same caveats as one-conv-outer-rho (it is that formula with ρ = min(m d′, r))."),
    RankBound(
      id: "one-conv-outer", hessian: .outer, claim: .equality, status: .derived,
      statement: "One linear conv layer (1-D or 2-D) and a dense head, with stride 1 or K ≥ m: rank(H_o) = Kρ + min(q̂(r̂ − q̂), min(K, m d′)(r_c − ρ)), with ρ = rank(T^V X), r̂ = rank of all input patches, q̂ = min(m, r̂), r_c the rank of the data on the input entries the layer reads (r_c = r for stride 1).",
      hypotheses: Hypotheses(classes: [.oneConv], conditions: [
        HypothesisCondition("Pmax[1] == 0 || (Smax[1] == 1 && dilmax[1] == 1)", "no padding, or stride 1 and no dilation (with both a stride and padding the taps can decouple)"),
        HypothesisCondition("Smax[1] == 1 || K >= m[1]", "stride 1, or K ≥ m (with a stride and K < m the dense weights, upsampled, can fit inside the kernel and give extra kernel directions of J)"),
      ]),
      source: "derived in this project: proofs/one-conv-outer.md (corrects one-conv-outer-rho)",
      formula: "K*rho + min(qhat*(rhat-qhat), min(K, m[1]*dp)*(rc-rho))",
      notes: "Proved: Kρ ≤ rank ≤ Kρ + min(K, m d′)(r_c − ρ) at every point, so rank = K r_c whenever ρ = r_c; the q̂(r̂ − q̂) cap holds at generic points. That the minimum is attained is checked, not proved (certificates in proofs/certificates/; the audit, docs/audit.md). Outside the hypotheses it fails: with both stride and padding (1x11 conv(3,k=11,s=2,p=1) dense(5), n = 20: 53 < 54); with a stride and K < m by the syzygy directions of proofs/one-conv-outer.md (1x5x5 conv(2,k=3,s=2) dense(1), n = 40: 21 < 22, and 2x5x5 …: 38 < 40; certificates not-attained-one-conv-outer-stride-*)."),
    RankBound(
      id: "one-conv-functional", hessian: .functional, claim: .equality, status: .derived,
      statement: "One linear conv layer without bias and a dense head: rank(H_f) = 2m·min(k̃, s d′), with s = min(r, K) (usually 2 m c0 k). A bias on the dense head changes nothing (f is affine in it).",
      hypotheses: Hypotheses(classes: [.oneConv], bias: .allowed, genericTargets: true, conditions: [
        HypothesisCondition("bias[1] == 0", "no bias on the conv layer"),
        HypothesisCondition("Pmax[1] == 0 || (Smax[1] == 1 && dilmax[1] == 1)", "no padding, or stride 1 and no dilation (output positions that read only padding add nothing)"),
      ]),
      source: "derived in this project: proofs/one-conv-functional.md",
      formula: "2*m[1]*min(kt, s*dp)", upperBoundProof: "proofs/one-conv-functional.md (rank H_f = 2m·rank G ≤ 2m·min(k̃, d′·rank(XΔ)) at every point)",
      notes: "Equality is proved for c0 = 1, stride 1, no padding, no dilation; otherwise the lower bound is checked case by case."),
    RankBound(
      id: "one-conv-functional-bias", hessian: .functional, claim: .equality, status: .derived,
      statement: "One linear conv layer with bias and a dense head: rank(H_f) = 2m·min(k̃ + 1, min(r₁, K)·d′), r₁ = rank [X; 1ᵀ]; with enough data this is the observed 2m(k̃ + 1).",
      hypotheses: Hypotheses(classes: [.oneConv], bias: .allowed, genericTargets: true, conditions: [
        HypothesisCondition("bias[1] == 1", "the conv layer has a bias"),
        HypothesisCondition("Pmax[1] == 0 || (Smax[1] == 1 && dilmax[1] == 1)", "no padding, or stride 1 and no dilation"),
      ]),
      source: "observed as 2m(k̃ + 1) in float64 by this project (reference notes); the general form is derived in this project: proofs/one-conv-functional.md (a bias is a weight on a constant input)",
      formula: "2*m[1]*min(kt+1, min(r1, K)*dp)",
      upperBoundProof: "proofs/one-conv-functional.md, bias section (the same argument with the data [X; 1ᵀ])",
      notes: "The reference's 2m(k̃ + 1) is not attained when min(r₁, K)·d′ < k̃ + 1, e.g. 2x7 conv(1,k=6,bias) dense(4,bias): 16, not 26."),
    RankBound(
      id: "one-conv-functional-relu", hessian: .functional, claim: .equality, status: .observed,
      statement: "One conv layer with ReLU and a dense head: rank(H_f) = 2m·min(k̃, s d′) still (2 m k with one input channel).",
      hypotheses: Hypotheses(classes: [.oneConv], activation: .relu, genericTargets: true),
      source: observed, formula: "2*m[1]*min(kt, s*dp)",
      upperBoundProof: "proofs/one-conv-functional.md, ReLU section (rank H_f = 2 Σ_j rank G_j, each ≤ min(k̃, s d′), at every differentiable point)",
      notes: "Not attained when few samples are active (seen for n ≤ 3); tight in every check with n ≥ 20."),
    RankBound(
      id: "one-conv-loss", hessian: .loss, claim: .equality, status: .observed,
      statement: "One linear conv layer and a dense head, with one input channel or full-rank data: rank(H_L) = min(p, rank(H_o) + rank(H_f) − c0²).",
      hypotheses: Hypotheses(classes: [.oneConv], genericTargets: true, conditions: [HypothesisCondition("c0 == 1 || r == D", "one input channel or full-rank data (r = c0·d)")]),
      source: "this project's own earlier conjecture, observed in float64 (reference notes: \"rank(H_o) + rank(H_f) − 1 with one input channel and room, deficit c0² with full-rank data, larger near p\"; the min with p is our reading of \"room\"); not a statement of either paper; refuted (proofs/certificates/counterexample-one-conv-loss.json)",
      formula: "min(p, rank_outer + rank_functional - c0^2)",
      notes: "Refuted as stated: 2x9 conv(3,k=6) dense(1) with n = 40 (full-rank data) has rank(H_L) = 41 > 38 (the deficit is 1, not c0² = 4); with one channel it can also fall short (1x12 conv(5,k=12) dense(2), n = 12: 40 < 43)."),

    // Deeper CNNs.
    RankBound(
      id: "two-conv-functional", hessian: .functional, claim: .equality, status: .observed,
      statement: "Two linear 1-D conv layers with one input channel and m_1, m_2 ≥ 3, and a dense head: rank(H_f) = 2 Σ_l m_l RF_l − 1, RF_l the receptive field of layer l.",
      hypotheses: Hypotheses(classes: [.deepCNN], dimensions: [1], genericTargets: true, conditions: [
        HypothesisCondition("Lc == 2", "two conv layers"), HypothesisCondition("c0 == 1", "one input channel"),
        HypothesisCondition("m[1] >= 3 && m[2] >= 3", "m_1, m_2 ≥ 3"),
      ]),
      source: observed, formula: "2*sum(l=1..Lc, m[l]*RF[l]) - 1",
      notes: "Holds in a narrower regime than recorded: in 30 random configs with n = 100 it was attained in 16 and fell short in 14 (never exceeded), e.g. whenever the second kernel has size 1 (1x7 conv(3,k=3) conv(3,k=1) dense(2): 27 < 35) or the formula nears p."),
    RankBound(
      id: "cnn-functional-upper", hessian: .functional, claim: .upperBound, status: .derived,
      statement: "Linear CNNs (conv layers and a dense head, no bias, no padding after the first conv layer): rank(H_f) ≤ 2 c0 Σ_l m_l RF_l over the conv layers, at every point. First observed in float64 by this project; now a corollary of cnn-functional-sharp.",
      hypotheses: deepLinear, source: "observed in float64 by this project (reference notes); proved in this project: proofs/deep-cnn-bounds.md",
      formula: "2*c0*sum(l=1..Lc, m[l]*RF[l])",
      upperBoundProof: "proofs/deep-cnn-bounds.md, Theorem 2 (cnn-functional-sharp ≤ this)",
      notes: "Not tight for two or more conv layers in the checks (e.g. 63 < 64 for 1x12 conv(4,k=3) conv(4,k=3) dense(2)) nor for c0 ≥ 2 (cnn-functional-sharp is smaller there)."),

    // Deep linear CNNs: upper bounds proved at every point (this project, proofs/deep-cnn-bounds.md).
    RankBound(
      id: "cnn-functional-sharp", hessian: .functional, claim: .upperBound, status: .derived,
      statement: "Linear CNNs (conv layers and a dense head, no bias, no padding after the first conv layer): rank(H_f) ≤ 2 Σ_l m_l·min(c0·RF_l, m_{l−1}·k_l, s·d_l) over the conv layers, at every point (d_l = d_out[l], s = min(r, K)). For one conv layer this is one-conv-functional's 2m·min(k̃, s d′).",
      hypotheses: deepLinear, source: "derived in this project: proofs/deep-cnn-bounds.md, Theorem 2",
      formula: "2*sum(l=1..Lc, m[l]*min(c0*RF[l], m[l-1]*k[l], s*d_out[l]))",
      upperBoundProof: "proofs/deep-cnn-bounds.md, Theorem 2 (H_f = U + Uᵀ with U block upper triangular; row block l factors through the effective kernels' perturbation times X Δᵀ)"),
    RankBound(
      id: "cnn-outer-upper", hessian: .outer, claim: .upperBound, status: .derived,
      statement: "Linear CNNs (conv layers and a dense head, no bias): rank(H_o) ≤ min(nK, K r, p − Σ_l m_l·min(m_l, m_{l−1} k_l)), at every point (the GL(m_l) channel-mixing symmetry of every conv layer: each layer's mixing, absorbed by the next layer or the head, keeps f fixed).",
      hypotheses: Hypotheses(classes: [.oneConv, .deepCNN]),
      source: "derived in this project: proofs/deep-cnn-bounds.md, Theorem 1",
      formula: "min(n*K, K*r, p - sum(l=1..Lc, m[l]*min(m[l], m[l-1]*k[l])))",
      upperBoundProof: "proofs/deep-cnn-bounds.md, Theorem 1 (symmetry directions in ker J at generic points, then lower semicontinuity of the rank)"),
    RankBound(
      id: "cnn-loss-upper", hessian: .loss, claim: .upperBound, status: .derived,
      statement: "Linear CNNs (conv layers and a dense head, no bias, no padding after the first conv layer): rank(H_L) ≤ min(p, min(nK, K r) + 2 Σ_l m_l·min(c0·RF_l, m_{l−1}·k_l, s·d_l)), at every point (subadditivity with outer-linear and cnn-functional-sharp).",
      hypotheses: deepLinear, source: "derived in this project: proofs/deep-cnn-bounds.md, Corollary 3",
      formula: "min(p, min(n*K, K*r) + 2*sum(l=1..Lc, m[l]*min(c0*RF[l], m[l-1]*k[l], s*d_out[l])))",
      upperBoundProof: "proofs/deep-cnn-bounds.md, Corollary 3"),

    // Trivial bounds.
    RankBound(
      id: "outer-linear", hessian: .outer, claim: .upperBound, status: .trivial,
      statement: "A linear network without bias computes f(x) = M(θ)x, so J maps δθ to δM·X, whose rows lie in the row space of X: rank(H_o) = rank(J) ≤ min(p, K r, n K).",
      hypotheses: Hypotheses(), source: "trivial (H_o = JᵀJ/n, J is nK × p, and its image lies in R^K ⊗ rowspace(X))",
      formula: "min(p, K*r, n*K)", upperBoundProof: "trivial (see the statement)"),
    RankBound(
      id: "outer-any", hessian: .outer, claim: .upperBound, status: .trivial,
      statement: "Any network: rank(H_o) = rank(J) ≤ min(p, n K), since J is nK × p.",
      hypotheses: .anyNetwork, source: "trivial (J is nK × p)", formula: "min(p, n*K)",
      upperBoundProof: "trivial (see the statement)"),
    RankBound(
      id: "functional-at-most-p", hessian: .functional, claim: .upperBound, status: .trivial,
      statement: "Any network: rank(H_f) ≤ p (H_f is p × p).",
      hypotheses: .anyNetwork, source: "trivial (H_f is p × p)", formula: "p",
      upperBoundProof: "trivial (see the statement)"),
    RankBound(
      id: "loss-subadditive", hessian: .loss, claim: .upperBound, status: .trivial,
      statement: "Any network: rank(H_L) ≤ min(p, rank(H_o) + rank(H_f)), since H_L = H_o + H_f is p × p and rank is subadditive.",
      hypotheses: .anyNetwork, source: "trivial (rank(A + B) ≤ rank A + rank B)",
      formula: "min(p, rank_outer + rank_functional)", upperBoundProof: "trivial (see the statement)"),
  ]

  /// The bound with this id.
  public static func bound(id: String) -> RankBound? { everyLoss.first { $0.id == id } }

  /// Every catalog bound of every loss: `all` (MSE) then `crossEntropy`.
  public static var everyLoss: [RankBound] { all + crossEntropy }

  /// "unknown bound 'fc-outr' (did you mean 'fc-outer'?)".
  public static func unknownMessage(_ id: String) -> String {
    let close = everyLoss.map(\.id).filter { editDistance($0, id) <= max(2, id.count / 4) }
    let hint = close.isEmpty ? "" : " (did you mean \(close.prefix(3).map { "'\($0)'" }.joined(separator: " or "))?)"
    return "unknown bound '\(id)'\(hint); 'hessrank bounds' lists them"
  }
}
