import CGMP
import Exact

/// The fraction-free reduced echelon form d·[I | X] of a matrix's pivot rows.
struct FractionFreeReducedForm {
  /// The rank.
  let rank: Int
  /// Original indices of the pivot rows, in pivot order.
  let pivotRows: [Int]
  /// The pivot columns (in the order of the column sequence that was eliminated).
  let pivotCols: [Int]
  /// The common denominator d = ±det of the pivot minor (positive or negative, nonzero).
  let denominator: BigInt
  /// Row t holds d·(row t of the reduced echelon form): d at pivotCols[t], 0 at the other
  /// pivot columns, and the integers d·X elsewhere.
  let reduced: IntegerMatrix
}

extension IntegerMatrix {
  /// Fraction-free Gauss–Jordan elimination over the columns in `columnOrder` (default: all,
  /// increasing). After step k every entry is a minor of the matrix (Sylvester's identity),
  /// so the divisions by the previous pivot are exact; pivot rows end as d·[I | X] with
  /// d the last pivot.
  func fractionFreeReducedForm(columnOrder: [Int]? = nil, stopAfter limit: Int? = nil) -> FractionFreeReducedForm {
    let order = columnOrder ?? Array(0..<cols)
    let a = copy()
    let m = rows, n = cols
    let s = a.storage
    var perm = Array(0..<m)
    var pivotCols: [Int] = []
    var isPivot = [Bool](repeating: false, count: n)
    let scratch = MPZScratch(2)
    let prev = scratch[0], t = scratch[1]
    __gmpz_set_ui(prev, 1)
    var r = 0
    let maxRank = min(limit ?? m, m)
    for c in order where r < maxRank {
      var piv = -1
      var best = Int.max
      for i in r..<m where cgmp_mpz_sgn(s + (i * n + c)) != 0 {
        let size = cgmp_mpz_size(s + (i * n + c))
        if size < best {
          best = size
          piv = i
        }
      }
      if piv < 0 { continue }
      if piv != r {
        for j in 0..<n { __gmpz_swap(s + (piv * n + j), s + (r * n + j)) }
        perm.swapAt(piv, r)
      }
      let prow = s + r * n
      let pivot = prow + c
      let divide = __gmpz_cmp_ui(prev, 1) != 0
      for i in 0..<m where i != r {
        let row = s + i * n
        let lead = row + c
        let leadZero = cgmp_mpz_sgn(lead) == 0
        if i > r && leadZero && !divide && __gmpz_cmp_ui(pivot, 1) == 0 { continue }
        for j in 0..<n where j != c {
          let x = row + j
          if isPivot[j] {
            // Other pivot columns: the diagonal entry of an earlier pivot row becomes the
            // new pivot; off-diagonal entries stay 0.
            if cgmp_mpz_sgn(x) != 0 { __gmpz_set(x, pivot) }
            continue
          }
          if leadZero && cgmp_mpz_sgn(x) == 0 { continue }
          __gmpz_mul(t, pivot, x)
          if !leadZero { __gmpz_submul(t, lead, prow + j) }
          if divide { __gmpz_divexact(x, t, prev) } else { __gmpz_swap(x, t) }
        }
        __gmpz_set_ui(lead, 0)
      }
      __gmpz_set(prev, pivot)
      isPivot[c] = true
      pivotCols.append(c)
      r += 1
    }
    let reduced = IntegerMatrix(rows: r, cols: n)
    for i in 0..<r {
      for j in 0..<n { __gmpz_swap(reduced.entry(i, j), s + (i * n + j)) }
    }
    return FractionFreeReducedForm(
      rank: r, pivotRows: Array(perm[0..<r]), pivotCols: pivotCols,
      denominator: BigInt(copying: prev), reduced: reduced)
  }

  /// A basis of the kernel {v : M v = 0} over Q as primitive integer vectors (each vector's
  /// entries have gcd 1): one vector per non-pivot column j, with v[j] > 0 and zeros at the
  /// other non-pivot columns. `cols − rank` vectors.
  public func nullspace() -> [[BigInt]] {
    let form = fractionFreeReducedForm()
    return IntegerMatrix.kernelVectors(from: form, cols: cols).map { v in
      var dense = [BigInt](repeating: BigInt(0), count: cols)
      for (j, x) in zip(v.indices, v.values) { dense[j] = x }
      return dense
    }
  }

  /// Sparse kernel vectors read off a fraction-free reduced form: for each non-pivot column
  /// j, v[pivotCols[t]] = −(d·X)[t][j], v[j] = d, divided by the gcd and signed so v[j] > 0.
  static func kernelVectors(from form: FractionFreeReducedForm, cols: Int) -> [SparseIntegerVector] {
    var isPivot = [Bool](repeating: false, count: cols)
    for c in form.pivotCols { isPivot[c] = true }
    var out: [SparseIntegerVector] = []
    for j in 0..<cols where !isPivot[j] {
      var pairs: [(Int, BigInt)] = [(j, form.denominator)]
      for t in 0..<form.rank {
        let x = form.reduced[t, j]
        if !x.isZero { pairs.append((form.pivotCols[t], -x)) }
      }
      out.append(SparseIntegerVector(pairs: pairs).normalized(positiveAt: j))
    }
    return out
  }
}

/// An integer vector given by its nonzero positions (strictly increasing) and values.
public struct SparseIntegerVector: Sendable, Equatable {
  /// Positions of the nonzero entries, strictly increasing.
  public var indices: [Int]
  /// The entries at `indices`.
  public var values: [BigInt]

  /// A vector from its indices and values (the caller keeps them aligned).
  public init(indices: [Int], values: [BigInt]) {
    self.indices = indices
    self.values = values
  }

  /// The nonzero entries of a dense vector.
  public init(dense: [BigInt]) {
    var idx: [Int] = [], vals: [BigInt] = []
    for (j, x) in dense.enumerated() where !x.isZero {
      idx.append(j)
      vals.append(x)
    }
    self.init(indices: idx, values: vals)
  }

  /// A vector from (index, value) pairs in any order; zero values are dropped.
  init(pairs: [(Int, BigInt)]) {
    let sorted = pairs.filter { !$0.1.isZero }.sorted { $0.0 < $1.0 }
    self.init(indices: sorted.map { $0.0 }, values: sorted.map { $0.1 })
  }

  /// The dense vector of length `count`.
  public func dense(count: Int) -> [BigInt] {
    var v = [BigInt](repeating: BigInt(0), count: count)
    for (j, x) in zip(indices, values) { v[j] = x }
    return v
  }

  /// Divided by the gcd of its entries, where `seed` is one of them (typically the positive
  /// common denominator): the gcd is accumulated starting from `seed` and usually reaches 1
  /// after an entry or two, so this costs far less than a full gcd.
  func dividedByContent(startingWith seed: BigInt) -> SparseIntegerVector {
    var g = seed.magnitude
    for x in values {
      if g == BigInt(1) { return self }
      g = BigInt.gcd(g, x)
    }
    if g == BigInt(1) || g.isZero { return self }
    return SparseIntegerVector(indices: indices, values: values.map { $0.dividedExactly(by: g) })
  }

  /// Divided by the gcd of its entries, signed so that the entry at `position` is positive.
  func normalized(positiveAt position: Int) -> SparseIntegerVector {
    guard let k = indices.firstIndex(of: position) else { return self }
    var g = BigInt(0)
    for x in values { g = BigInt.gcd(g, x) }
    if values[k].signum < 0 { g = -g }
    if g == BigInt(1) { return self }
    return SparseIntegerVector(indices: indices, values: values.map { $0.dividedExactly(by: g) })
  }
}
