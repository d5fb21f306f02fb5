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
    let stages = products.stages, n = products.sampleCount, k = products.outputCount
    guard products.supportsHessian, products.residuals.count == n, n > 0, let last = stages.indices.last,
          case .parametric(let head) = stages[last], isDenseHead(head.structure, outputs: k) else { return nil }
    var fixed: [FixedGathers] = []
    var layerIndex = last - 1
    while layerIndex >= 0, case .fixed(let m) = stages[layerIndex] {
      fixed.insert(m, at: 0)
      layerIndex -= 1
    }
    guard layerIndex >= 0, case .parametric(let layer) = stages[layerIndex], !layer.parStart.isEmpty else { return nil }
    let t = layer.structure, field = products.field
    // H_c = Σ_i δ_ic h_i (centred residues).
    var h = [[Double]](repeating: [Double](repeating: 0, count: t.cols), count: k)
    for i in 0..<n {
      let input = products.values[i][layerIndex]
      for c in 0..<k where products.residuals[i][c] != 0 {
        let d = field.centred(products.residuals[i][c])
        for q in 0..<t.cols { h[c][q] = field.reduce(h[c][q] + field.reduce(d * input[q])) }
      }
    }
    // Weight groups: weights that share an output row, joined.
    var parent = Array(0..<t.weightCount)
    func root(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
      return x
    }
    for a in 0..<t.rows {
      let first = t.rowStart[a] < t.rowStart[a + 1] ? t.parameter[t.rowStart[a]] : -1
      for e in t.rowStart[a]..<t.rowStart[a + 1] { parent[root(t.parameter[e])] = root(first) }
    }
    var members: [Int: [Int]] = [:]
    for j in 0..<t.weightCount { members[root(j), default: []].append(j) }
    var owner = [Int](repeating: -1, count: head.structure.cols)
    var scratch = fixed.map { [Double](repeating: 0, count: $0.rows) }
    var total = 0
    for (g, weights) in members.values.sorted(by: { $0[0] < $1[0] }).enumerated() {
      // The head inputs the group can reach (structurally, whatever the values): disjoint
      // between groups, else the map is not block diagonal and no bound is given.
      var reach = Set(weights.flatMap { j in layer.parRow[layer.parStart[j]..<layer.parStart[j + 1]] })
      for m in fixed { reach = Set(reach.flatMap { q in m.colRow[m.colStart[q]..<m.colStart[q + 1]] }) }
      for a in reach {
        guard owner[a] == -1 else { return nil }
        owner[a] = g
      }
      guard !reach.isEmpty else { continue }
      // N_g: rows (c, head input a), a in the reach, c = 0, 1, … up to rowCap rows.
      let rowsOfGroup = reach.sorted(), width = weights.count
      let outputsUsed = min(k, (rowCap(columns: width) + rowsOfGroup.count - 1) / rowsOfGroup.count)
      let rowCount = min(rowCap(columns: width), outputsUsed * rowsOfGroup.count)
      var position = [Int: Int]()
      for (r, a) in rowsOfGroup.enumerated() { position[a] = r }
      var nm = ModularMatrix(rows: rowCount, cols: width, field: PrimeField(unchecked: field.prime))
      nm.withUnsafeMutableBufferPointer { buf in
        for c in 0..<outputsUsed {
          for (col, j) in weights.enumerated() {
            // Column j of N_g at output c: F·T_L(e_j)·H_c, sparse.
            var entries = (layer.parStart[j]..<layer.parStart[j + 1]).map { e in (layer.parRow[e], h[c][layer.parColumn[e]]) }
            for (f, m) in fixed.enumerated() { entries = apply(m, entries, field: field, scratch: &scratch[f]) }
            for (a, x) in entries {
              let r = c * rowsOfGroup.count + position[a]!
              if r < rowCount { buf[r * width + col] = field.residue(field.reduce(field.centred(buf[r * width + col]) + x)) }
            }
          }
        }
      }
      total += nm.rank(threads: threads)
    }
    return 2 * total
  }

  /// Rows of N_g kept: enough for any rank up to its column count, with room.
  static func rowCap(columns: Int) -> Int { 2 * columns + 16 }

  /// A dense head: K rows, each reading every input once, every entry its own weight.
  static func isDenseHead(_ t: ToeplitzStructure, outputs k: Int) -> Bool {
    guard t.rows == k, t.nonzeroCount == t.rows * t.cols, t.weightCount == t.nonzeroCount else { return false }
    var seenWeight = [Bool](repeating: false, count: t.weightCount)
    for a in 0..<t.rows {
      guard t.rowStart[a + 1] - t.rowStart[a] == t.cols else { return false }
      var seenColumn = [Bool](repeating: false, count: t.cols)
      for e in t.rowStart[a]..<t.rowStart[a + 1] {
        guard !seenColumn[t.column[e]], !seenWeight[t.parameter[e]] else { return false }
        seenColumn[t.column[e]] = true
        seenWeight[t.parameter[e]] = true
      }
    }
    return true
  }

  /// m·v for a fixed map on a sparse vector (index, centred residue), reduced; `scratch` has
  /// m.rows zeros and is left so (an index whose sum cancels and returns is listed once).
  static func apply(_ m: FixedGathers, _ v: [(Int, Double)], field: CentredResidues, scratch: inout [Double]) -> [(Int, Double)] {
    var touched: [Int] = []
    for (q, x) in v where x != 0 {
      for e in m.colStart[q]..<m.colStart[q + 1] {
        let a = m.colRow[e]
        if scratch[a] == 0 { touched.append(a) }
        scratch[a] = field.reduce(scratch[a] + field.reduce(m.colCoefficient[e] * x))
      }
    }
    var out: [(Int, Double)] = []
    for a in Set(touched).sorted() {
      out.append((a, scratch[a]))
      scratch[a] = 0
    }
    return out
  }
}
