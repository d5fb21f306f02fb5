import ConvNet
import Exact

/// The index maps the batched products walk for one parametric stage: the layer's Toeplitz
/// structure in CSR order by output row (forward), regrouped by input column (backward) and
/// by parameter (gradient). All three list the same nonzero positions of T(θ).
struct ParametricGathers: Sendable {
  /// The layer's structure (CSR by output row: `rowStart`, `column`, `parameter`, `biasOfRow`).
  let structure: ToeplitzStructure
  /// Offset of the layer's parameters in θ.
  let offset: Int
  /// By input column c: entries colStart[c]..<colStart[c+1] with output row `colRow` and local parameter `colParameter`.
  let colStart: [Int]
  let colRow: [Int]
  let colParameter: [Int]
  /// By local weight j: entries parStart[j]..<parStart[j+1] with output row `parRow` and input column `parColumn`.
  let parStart: [Int]
  let parRow: [Int]
  let parColumn: [Int]
  /// By bias b (local index weightCount + b): output rows biasStart[b]..<biasStart[b+1] in `biasRow`.
  let biasStart: [Int]
  let biasRow: [Int]
  /// The channel-shared layout (conv, dense) whose forward tangent goes through BLAS, if any.
  let shared: SharedWeightLayout?

  /// The maps of `t`; without `backward` only the forward ones (the transposed maps stay empty).
  init(_ t: ToeplitzStructure, offset: Int, backward: Bool = true) {
    structure = t
    self.offset = offset
    shared = SharedWeightLayout(t)
    guard backward else {
      (colStart, colRow, colParameter, parStart, parRow, parColumn, biasStart, biasRow) = ([], [], [], [], [], [], [], [])
      return
    }
    var rowOf = [Int](repeating: 0, count: t.nonzeroCount)
    for a in 0..<t.rows { for e in t.rowStart[a]..<t.rowStart[a + 1] { rowOf[e] = a } }
    (colStart, colRow, colParameter) = Self.group(keys: t.column, keyCount: t.cols, first: rowOf, second: t.parameter)
    (parStart, parRow, parColumn) = Self.group(keys: t.parameter, keyCount: t.weightCount, first: rowOf, second: t.column)
    var bStart = [Int](repeating: 0, count: t.biasCount + 1)
    var bRow: [Int] = []
    if t.biasCount > 0 {
      let keys = t.biasOfRow.map { $0 - t.weightCount }
      (bStart, bRow, _) = Self.group(keys: keys, keyCount: t.biasCount, first: Array(0..<t.rows), second: Array(0..<t.rows))
    }
    biasStart = bStart
    biasRow = bRow
  }

  /// Counting sort of entries by key, carrying two payloads; stable (increasing entry order).
  static func group(keys: [Int], keyCount: Int, first: [Int], second: [Int]) -> ([Int], [Int], [Int]) {
    var start = [Int](repeating: 0, count: keyCount + 1)
    for k in keys { start[k + 1] += 1 }
    for k in 0..<keyCount { start[k + 1] += start[k] }
    var fill = start
    var a = [Int](repeating: 0, count: keys.count), b = [Int](repeating: 0, count: keys.count)
    for (e, k) in keys.enumerated() {
      a[fill[k]] = first[e]
      b[fill[k]] = second[e]
      fill[k] += 1
    }
    return (start, a, b)
  }
}

/// A fixed linear map (average pooling) with its coefficients as centred residues, by output row
/// (forward) and by input column (backward).
struct FixedGathers: Sendable {
  let rows: Int
  let cols: Int
  let rowStart: [Int]
  let column: [Int]
  let coefficient: [Double]
  let colStart: [Int]
  let colRow: [Int]
  let colCoefficient: [Double]

  init(_ m: FixedLinearMap, residues: [UInt64], field: CentredResidues) {
    rows = m.rows
    cols = m.cols
    rowStart = m.rowStart
    column = m.column
    let coefficient = residues.map { field.centred($0) }
    self.coefficient = coefficient
    var rowOf = [Int](repeating: 0, count: m.column.count)
    for a in 0..<m.rows { for e in m.rowStart[a]..<m.rowStart[a + 1] { rowOf[e] = a } }
    let (s, r, idx) = ParametricGathers.group(keys: m.column, keyCount: m.cols, first: rowOf, second: Array(0..<m.column.count))
    colStart = s
    colRow = r
    colCoefficient = idx.map { coefficient[$0] }
  }
}

/// One stage of the network as the batched products see it.
///
/// A new kind of stage needs a case here, its forward gather and its transposed gather in
/// `BatchedProducts`; the sketch, Gram and rank code do not change.
enum ProductStage: Sendable {
  /// A conv or dense layer.
  case parametric(ParametricGathers)
  /// A fixed linear map.
  case fixed(FixedGathers)
  /// An elementwise activation with fixed branches: `index` among the activation stages.
  case activation(index: Int, size: Int)
  /// Max pooling with its selection fixed at the point (a sample-dependent 0/1 matrix, like an
  /// activation's mask): `index` among the selection stages, `rows` outputs.
  case selection(index: Int, rows: Int)
}
