import ConvNet
import Exact
import ExactLinearAlgebra

/// A proved lower bound on rank(n·H_f) from the block between the last hidden parametric layer
/// and a dense head (proofs/deep-cnn-bounds.md, Proposition 2′), computed in seconds where the
/// sketches would need a width beyond any memory budget.
///
/// Shape required (else nil): the last stage is a dense head (K rows, every input read once by
/// its own weight), preceded only by fixed linear maps F (average pooling) back to a parametric
/// layer L. With the branches fixed at the point, f_c(x_i) = W_c · F T_L(v_L) h_i, h_i the input
/// of layer L, is linear in v_L and in W, so the principal submatrix of n·H_f on the weights of
/// v_L and W is [[0, A], [Aᵀ, 0]], A(δv, δW) = Σ_c δW_c · F T_L(δv) H_c with H_c = Σ_i δ_ic h_i,
/// and rank n·H_f ≥ 2 rank A (a principal submatrix). As W is dense, rank A is the rank of
/// δv ↦ (F T_L(δv) H_c)_c; when the weights of L split into groups (rows sharing a weight: the
/// output channels of a conv layer, the rows of a dense one) whose images under F occupy
/// disjoint rows, that map is block diagonal with blocks N_g, so rank A = Σ_g rank N_g.
/// Everything is modulo P, and rank modulo P ≤ rank over Q: the bound is proved at the point.
/// Rows of N_g may be left out (a submatrix's rank is a lower bound too): at most
/// `rowCap(columns)` are kept per group.
public enum HeadBlockBound {
  /// 2·Σ_g rank N_g (a proved lower bound on rank(n·H_f) over Q), or nil when the network does
  /// not have the shape above or the products carry no residuals.
  public static func functionalLowerBound(_ products: BatchedProducts, threads: Int = 1) -> Int? {
    guard let block = HeadBlock(products) else { return nil }
    var total = 0
    for (g, group) in block.groups.enumerated() where !group.head.isEmpty && !group.layer.isEmpty {
      total += block.block(g, rowLimit: rowCap(columns: group.layer.count)).rank(threads: threads)
    }
    return 2 * total
  }

  /// Rows of N_g kept: enough for any rank up to its column count, with room.
  static func rowCap(columns: Int) -> Int { 2 * columns + 16 }
}
