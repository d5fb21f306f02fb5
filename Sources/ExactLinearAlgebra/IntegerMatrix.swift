import CGMP
import Exact

/// A dense matrix of arbitrary-precision integers stored as one contiguous buffer of GMP
/// integers in row-major order.
///
/// This is a reference type: the buffer lives at a stable address for the lifetime of the
/// object, so hot loops can call GMP directly on `entry(i, j)`. Use `copy()` for an
/// independent matrix. Rational matrices enter through `init(rationalRows:)`, which scales
/// every row by the least common multiple of its denominators (this changes neither the
/// rank, nor which minors vanish, nor the kernel).
///
/// Memory: 16 bytes per entry plus the limbs of nonzero entries (GMP ≥ 6.2 allocates no
/// limbs for a freshly initialised zero).
public final class IntegerMatrix: @unchecked Sendable {
  // @unchecked Sendable: like any class, concurrent mutation is the caller's responsibility;
  // the library never writes to a matrix while another thread reads it.

  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let cols: Int
  /// rows·cols initialised `mpz_t`s, row-major.
  @usableFromInline let storage: UnsafeMutablePointer<__mpz_struct>

  /// A `rows`×`cols` zero matrix.
  public init(rows: Int, cols: Int) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
    precondition(!overflow, "matrix too large")
    self.rows = rows
    self.cols = cols
    storage = .allocate(capacity: max(count, 1))
    for k in 0..<count { __gmpz_init(storage + k) }
  }

  /// Takes ownership of `storage`: rows·cols initialised `mpz_t`s (capacity at least 1).
  init(adopting storage: UnsafeMutablePointer<__mpz_struct>, rows: Int, cols: Int) {
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  deinit {
    for k in 0..<(rows * cols) { __gmpz_clear(storage + k) }
    storage.deallocate()
  }

  /// The matrix with the given rows of machine integers; all rows must have equal length.
  public convenience init(_ rowValues: [[Int]]) {
    let c = rowValues.first?.count ?? 0
    self.init(rows: rowValues.count, cols: c)
    for (i, row) in rowValues.enumerated() {
      precondition(row.count == c, "ragged rows")
      for (j, v) in row.enumerated() { __gmpz_set_si(entry(i, j), v) }
    }
  }

  /// The matrix with the given rows of big integers; all rows must have equal length.
  public convenience init(_ rowValues: [[BigInt]]) {
    let c = rowValues.first?.count ?? 0
    self.init(rows: rowValues.count, cols: c)
    for (i, row) in rowValues.enumerated() {
      precondition(row.count == c, "ragged rows")
      for (j, v) in row.enumerated() { v.copy(into: entry(i, j)) }
    }
  }

  /// An integer matrix with the same rank as the rational matrix `rationalRows`: each row is
  /// multiplied by the least common multiple of its denominators (`rowScales(of:)`). All
  /// rows must have equal length.
  public convenience init(rationalRows: [[Rational]]) {
    let c = rationalRows.first?.count ?? 0
    self.init(rows: rationalRows.count, cols: c)
    let scales = IntegerMatrix.rowScales(of: rationalRows)
    for (i, row) in rationalRows.enumerated() {
      precondition(row.count == c, "ragged rows")
      let scale = scales[i]
      let unscaled = scale == BigInt(1)
      for (j, q) in row.enumerated() {
        let v = unscaled ? q.numerator : q.numerator * scale.dividedExactly(by: q.denominator)
        v.copy(into: entry(i, j))
      }
    }
  }

  /// The factor by which `init(rationalRows:)` scales each row: the lcm of its denominators.
  public static func rowScales(of rationalRows: [[Rational]]) -> [BigInt] {
    rationalRows.map { row in
      var l = BigInt(1)
      for q in row where !q.isInteger { l = BigInt.lcm(l, q.denominator) }
      return l
    }
  }

  /// A pointer to entry (i, j) for direct GMP calls; valid while the matrix is alive.
  @inlinable public func entry(_ i: Int, _ j: Int) -> UnsafeMutablePointer<__mpz_struct> {
    precondition(i >= 0 && i < rows && j >= 0 && j < cols, "index (\(i), \(j)) out of range")
    return storage + (i * cols + j)
  }

  /// A pointer to the first entry of row `i` (the row's `cols` entries are contiguous).
  @inlinable public func rowPointer(_ i: Int) -> UnsafeMutablePointer<__mpz_struct> {
    precondition(i >= 0 && i < rows, "row \(i) out of range")
    return storage + i * cols
  }

  /// Entry (i, j) as a value.
  public subscript(i: Int, j: Int) -> BigInt {
    get { BigInt(copying: entry(i, j)) }
    set { newValue.copy(into: entry(i, j)) }
  }

  /// An independent copy.
  public func copy() -> IntegerMatrix {
    let m = IntegerMatrix(rows: rows, cols: cols)
    for k in 0..<(rows * cols) { __gmpz_set(m.storage + k, storage + k) }
    return m
  }

  /// The transpose.
  public func transposed() -> IntegerMatrix {
    let t = IntegerMatrix(rows: cols, cols: rows)
    for i in 0..<rows {
      for j in 0..<cols { __gmpz_set(t.storage + (j * rows + i), storage + (i * cols + j)) }
    }
    return t
  }

  /// The submatrix with the given rows and columns, in the given order.
  public func submatrix(rows rowIndices: [Int], cols colIndices: [Int]) -> IntegerMatrix {
    let s = IntegerMatrix(rows: rowIndices.count, cols: colIndices.count)
    for (a, i) in rowIndices.enumerated() {
      for (b, j) in colIndices.enumerated() { __gmpz_set(s.entry(a, b), entry(i, j)) }
    }
    return s
  }

  /// The entries as rows of values.
  public var rowArrays: [[BigInt]] {
    (0..<rows).map { i in (0..<cols).map { j in self[i, j] } }
  }

  /// True when every entry is zero.
  public var isZero: Bool {
    for k in 0..<(rows * cols) where cgmp_mpz_sgn(storage + k) != 0 { return false }
    return true
  }

  /// The largest bit length of an entry's absolute value (0 for the zero matrix).
  public var maxEntryBits: Int {
    var b = 0
    for k in 0..<(rows * cols) where cgmp_mpz_sgn(storage + k) != 0 {
      b = max(b, mpzBitLength(storage + k))
    }
    return b
  }

  /// The bytes held by the entries: the `mpz_t` headers plus their allocated limbs.
  public var memoryFootprint: Int {
    var bytes = rows * cols * MemoryLayout<__mpz_struct>.stride
    for k in 0..<(rows * cols) { bytes += Int(storage[k]._mp_alloc) * MemoryLayout<mp_limb_t>.stride }
    return bytes
  }

  /// The residues of all entries modulo the field's prime.
  public func residues(modulo field: PrimeField) -> ModularMatrix {
    var m = ModularMatrix(rows: rows, cols: cols, field: field)
    let p = UInt(field.p)
    let count = rows * cols
    let src = storage
    m.withUnsafeMutableBufferPointer { buf in
      for k in 0..<count { buf[k] = UInt64(__gmpz_fdiv_ui(src + k, p)) }
    }
    return m
  }

  /// The product M·v over Z; `v.count` must equal `cols`.
  public func multiply(_ v: [BigInt]) -> [BigInt] {
    precondition(v.count == cols, "vector length \(v.count) does not match \(cols) columns")
    let sum = MPZScratch(1)
    return (0..<rows).map { i in
      __gmpz_set_ui(sum[0], 0)
      let row = storage + i * cols
      for j in 0..<cols { v[j].withMPZ { __gmpz_addmul(sum[0], row + j, $0) } }
      return BigInt(copying: sum[0])
    }
  }

  /// True when M·v = 0 over Z for the sparse vector v with the given nonzero positions and
  /// values (`indices` must lie in 0..<cols). Stops at the first nonzero entry of M·v.
  ///
  /// When the matrix entries fit in a machine word (the usual case), each row's sum is
  /// accumulated at the limb level, positive and negative products in two separate
  /// accumulators (`mpn_addmul_1`), and the two are compared at the end.
  public func annihilates(indices: [Int], values: [BigInt]) -> Bool {
    annihilates(indices: indices, values: values, words: wordEntries())
  }

  /// The entries as machine integers (row-major), or nil when one does not fit.
  func wordEntries() -> [Int]? {
    var out = [Int](repeating: 0, count: rows * cols)
    for k in 0..<(rows * cols) {
      guard cgmp_mpz_fits_slong_p(storage + k) != 0 else { return nil }
      out[k] = __gmpz_get_si(storage + k)
    }
    return out
  }

  /// `annihilates(indices:values:)` with the word entries computed once by the caller.
  func annihilates(indices: [Int], values: [BigInt], words: [Int]?) -> Bool {
    precondition(indices.count == values.count, "indices and values differ in length")
    precondition(indices.allSatisfy { $0 >= 0 && $0 < cols }, "index out of range")
    let k = indices.count
    if k == 0 || rows == 0 { return true }
    // Word-size vectors (small kernels) first, without copying them into GMP integers.
    if let words, let small = Self.annihilatesInWords(indices: indices, values: values, words: words, cols: cols) {
      return small
    }
    let v = MPZScratch(k)
    var maxLimbs = 0
    for t in 0..<k {
      values[t].copy(into: v[t])
      maxLimbs = max(maxLimbs, Int(v[t].pointee._mp_size.magnitude))
    }
    guard let words = words else { return annihilatesExactly(indices: indices, v: v) }
    // Σ of k products < k·2^64·2^(64·maxLimbs): two extra limbs suffice for k < 2^64.
    let width = maxLimbs + 2
    let acc = UnsafeMutablePointer<mp_limb_t>.allocate(capacity: 2 * width)
    defer { acc.deallocate() }
    let positive = acc, negative = acc + width
    let limbs = (0..<k).map { v[$0].pointee._mp_d }
    let sizes = (0..<k).map { Int(v[$0].pointee._mp_size) }
    return words.withUnsafeBufferPointer { w in
      for i in 0..<rows {
        acc.initialize(repeating: 0, count: 2 * width)
        let row = i * cols
        for t in 0..<k {
          let a = w[row + indices[t]]
          let size = sizes[t]
          if a == 0 || size == 0 { continue }
          let n = size.magnitude
          let target = (a > 0) == (size > 0) ? positive : negative
          var carry = __gmpn_addmul_1(target, limbs[t], mp_size_t(n), a.magnitude)
          var idx = Int(n)
          while carry != 0 {
            let (sum, overflow) = target[idx].addingReportingOverflow(carry)
            target[idx] = sum
            carry = overflow ? 1 : 0
            idx += 1
          }
        }
        for x in 0..<width where positive[x] != negative[x] { return false }
      }
      return true
    }
  }

  /// M·v = 0 for a vector of machine-word entries, in checked 128-bit sums: nil when a value
  /// does not fit a word or a sum overflows (the caller then uses the limb loop).
  static func annihilatesInWords(indices: [Int], values: [BigInt], words: [Int], cols: Int) -> Bool? {
    var v = [Int](repeating: 0, count: values.count)
    for t in 0..<values.count {
      guard let x = values[t].intValue else { return nil }
      v[t] = x
    }
    let rows = words.count / max(cols, 1)
    return words.withUnsafeBufferPointer { w in
      for i in 0..<rows {
        var sum: Int128 = 0
        let row = i * cols
        for t in 0..<indices.count {
          let a = w[row + indices[t]]
          if a == 0 { continue }
          let (s, overflow) = sum.addingReportingOverflow(Int128(a) * Int128(v[t]))  // |a·v| < 2^126
          if overflow { return nil }
          sum = s
        }
        if sum != 0 { return false }
      }
      return true
    }
  }

  /// The general path of `annihilates`: exact sums with `mpz_addmul`.
  private func annihilatesExactly(indices: [Int], v: MPZScratch) -> Bool {
    let sum = MPZScratch(1)
    for i in 0..<rows {
      __gmpz_set_ui(sum[0], 0)
      let row = storage + i * cols
      for (t, j) in indices.enumerated() { __gmpz_addmul(sum[0], row + j, v[t]) }
      if cgmp_mpz_sgn(sum[0]) != 0 { return false }
    }
    return true
  }

  /// The product self·other over Z.
  public func multiply(_ other: IntegerMatrix) -> IntegerMatrix {
    precondition(cols == other.rows, "inner dimensions differ: \(cols) vs \(other.rows)")
    let out = IntegerMatrix(rows: rows, cols: other.cols)
    for i in 0..<rows {
      for k in 0..<cols where cgmp_mpz_sgn(storage + (i * cols + k)) != 0 {
        let a = storage + (i * cols + k)
        let src = other.storage + k * other.cols
        let dst = out.storage + i * other.cols
        for j in 0..<other.cols { __gmpz_addmul(dst + j, a, src + j) }
      }
    }
    return out
  }
}

extension IntegerMatrix: Equatable {
  /// Same shape and the same entries.
  public static func == (a: IntegerMatrix, b: IntegerMatrix) -> Bool {
    guard a.rows == b.rows, a.cols == b.cols else { return false }
    for k in 0..<(a.rows * a.cols) where __gmpz_cmp(a.storage + k, b.storage + k) != 0 { return false }
    return true
  }
}

extension IntegerMatrix: CustomStringConvertible {
  /// One line per row, entries separated by spaces (the matrix text format).
  public var description: String {
    (0..<rows).map { i in (0..<cols).map { self[i, $0].description }.joined(separator: " ") }
      .joined(separator: "\n")
  }
}

/// The bit length of |z| (0 for 0), read from its limbs (`mpz_sizeinbase(z, 2)` without the call).
@inline(__always) func mpzBitLength(_ z: UnsafePointer<__mpz_struct>) -> Int {
  let size = Int(z.pointee._mp_size.magnitude)
  guard size > 0, let limbs = z.pointee._mp_d else { return 0 }
  return size * 64 - UInt64(limbs[size - 1]).leadingZeroBitCount
}
