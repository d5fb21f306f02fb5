import ConvNet
import Exact
import ExactLinearAlgebra

/// The block of n·H_f between the weights of the last hidden parametric layer L and a dense head
/// reached from L through fixed linear maps only (proofs/deep-cnn-bounds.md, Proposition 2′).
///
/// With the branches fixed at the point, f_c(x_i) = W_c · F(T_L(v) h_i + b_L) + b_c, h_i the
/// input of L and F the fixed maps, is linear in L's weights v and in the head's weights W, so
/// n·H_f restricted to (W, v) is [[0, N], [Nᵀ, 0]] with N[(c, a), j] = (F T_L(e_j) H_c)_a and
/// H_c = Σ_i δ_ic h_i. When L's weights split into groups (weights sharing an output row: the
/// output channels of a conv layer, the rows of a dense one) whose images under F occupy disjoint
/// head inputs, N is block diagonal with one block N_g per group: rows the head weights (c, a)
/// of the inputs a the group reaches, columns the group's weights.
///
/// Head weights of inputs no group reaches, and weights of a group that reaches none, belong to
/// blocks with no columns or no rows (their rows of the block are zero).
struct HeadBlock {
  /// One block N_g: its rows (head weights) and columns (L's weights) as indices into θ.
  struct Group {
    /// θ-indices of the head weights (c, a), c-major over the reached inputs a (increasing).
    let head: [Int]
    /// θ-indices of the group's weights of L.
    let layer: [Int]
    /// L's local weight indices of the columns (for building the block).
    let localWeights: [Int]
    /// The head inputs reached, increasing.
    let reach: [Int]
  }

  let groups: [Group]
  let products: BatchedProducts
  let layer: ParametricGathers
  let fixed: [FixedGathers]
  /// H_c = Σ_i δ_ic h_i, centred, one row per output c.
  let residualInputs: [[Double]]

  /// The head block of `products`, or nil when the network does not have the shape above or the
  /// products carry no residuals.
  init?(_ products: BatchedProducts) {
    let n = products.sampleCount, k = products.outputCount
    guard products.supportsHessian, products.residuals.count == n, n > 0,
          let shape = Self.shape(products.stages, outputs: k) else { return nil }
    let t = shape.layer.structure, field = products.field
    var h = [[Double]](repeating: [Double](repeating: 0, count: t.cols), count: k)
    for i in 0..<n {
      let input = products.values[i][shape.layerIndex]
      for c in 0..<k where products.residuals[i][c] != 0 {
        let d = field.centred(products.residuals[i][c])
        for q in 0..<t.cols { h[c][q] = field.reduce(h[c][q] + field.reduce(d * input[q])) }
      }
    }
    self.groups = shape.groups
    self.products = products
    self.layer = shape.layer
    self.fixed = shape.fixed
    residualInputs = h
  }

  /// The structure alone (no values): the layer L, its stage index, the fixed maps and the groups,
  /// or nil when the stages do not end in a head block.
  static func shape(_ stages: [ProductStage], outputs k: Int)
    -> (layer: ParametricGathers, layerIndex: Int, fixed: [FixedGathers], groups: [Group])? {
    guard let last = stages.indices.last, case .parametric(let head) = stages[last],
          Self.isDenseHead(head.structure, outputs: k) else { return nil }
    var fixed: [FixedGathers] = []
    var layerIndex = last - 1
    while layerIndex >= 0, case .fixed(let m) = stages[layerIndex] {
      fixed.insert(m, at: 0)
      layerIndex -= 1
    }
    guard layerIndex >= 0, case .parametric(let layer) = stages[layerIndex], !layer.parStart.isEmpty else { return nil }
    let t = layer.structure
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
    // θ-index of head weight (c, a).
    let hs = head.structure
    var headWeight = [Int](repeating: -1, count: k * hs.cols)
    for c in 0..<k { for e in hs.rowStart[c]..<hs.rowStart[c + 1] { headWeight[c * hs.cols + hs.column[e]] = head.offset + hs.parameter[e] } }
    var owned = [Bool](repeating: false, count: hs.cols)
    var groups: [Group] = []
    for weights in members.values.sorted(by: { $0[0] < $1[0] }) {
      // The head inputs the group can reach (structurally, whatever the values): disjoint
      // between groups, else the block is not block diagonal.
      var reach = Set(weights.flatMap { j in layer.parRow[layer.parStart[j]..<layer.parStart[j + 1]] })
      for m in fixed { reach = Set(reach.flatMap { q in m.colRow[m.colStart[q]..<m.colStart[q + 1]] }) }
      for a in reach {
        guard !owned[a] else { return nil }
        owned[a] = true
      }
      let sortedReach = reach.sorted()
      groups.append(Group(head: (0..<k).flatMap { c in sortedReach.map { headWeight[c * hs.cols + $0] } },
                          layer: weights.map { layer.offset + $0 }, localWeights: weights, reach: sortedReach))
    }
    let unreached = (0..<hs.cols).filter { !owned[$0] }
    if !unreached.isEmpty {
      groups.append(Group(head: (0..<k).flatMap { c in unreached.map { headWeight[c * hs.cols + $0] } },
                          layer: [], localWeights: [], reach: unreached))
    }
    return (layer, layerIndex, fixed, groups)
  }

  /// The number of parameters outside the head block of `plan` (the reduction's m), or nil when
  /// the network does not end in a head block. Structure only: no instance values are needed.
  static func smallParameterCount(_ plan: NetworkPlan) -> Int? {
    let zeroField = CentredResidues(prime: CentredResidues.primeRange.lowerBound + 9)  // 2^23 + 9, a prime
    let stages: [ProductStage] = plan.stages.map { stage in
      switch stage {
      case .parametric(let t, let off, _): return .parametric(ParametricGathers(t, offset: off))
      case .fixed(let m, _): return .fixed(FixedGathers(m, residues: [UInt64](repeating: 0, count: m.column.count), field: zeroField))
      case .activation(_, let size, _): return .activation(index: 0, size: size)
      case .selection(let w, _): return .selection(index: 0, rows: w.rows)
      }
    }
    guard let shape = shape(stages, outputs: plan.outputSize) else { return nil }
    return plan.parameterCount - shape.groups.reduce(0) { $0 + $1.head.count + $1.layer.count }
  }

  /// N_g restricted to its first `rowLimit` rows (all rows by default), as residues.
  func block(_ g: Int, rowLimit: Int = .max) -> ModularMatrix {
    let group = groups[g], field = products.field
    let width = group.localWeights.count, reachCount = group.reach.count
    let rowCount = min(rowLimit, group.head.count)
    var nm = ModularMatrix(rows: rowCount, cols: width, field: PrimeField(unchecked: field.prime))
    guard rowCount > 0, width > 0 else { return nm }
    var position = [Int: Int]()
    for (r, a) in group.reach.enumerated() { position[a] = r }
    var scratch = fixed.map { [Double](repeating: 0, count: $0.rows) }
    let outputsUsed = min(products.outputCount, (rowCount + reachCount - 1) / reachCount)
    nm.withUnsafeMutableBufferPointer { buf in
      for c in 0..<outputsUsed {
        let hc = residualInputs[c]
        for (col, j) in group.localWeights.enumerated() {
          // Column j of N_g at output c: F·T_L(e_j)·H_c, sparse.
          var entries = (layer.parStart[j]..<layer.parStart[j + 1]).map { e in (layer.parRow[e], hc[layer.parColumn[e]]) }
          for (f, m) in fixed.enumerated() { entries = Self.apply(m, entries, field: field, scratch: &scratch[f]) }
          for (a, x) in entries {
            let r = c * reachCount + position[a]!
            if r < rowCount { buf[r * width + col] = field.residue(field.reduce(field.centred(buf[r * width + col]) + x)) }
          }
        }
      }
    }
    return nm
  }

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
