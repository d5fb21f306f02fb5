import CGMP
import Dispatch
import Exact

extension IntegerMatrix {
  /// MᵀM over Z (cols × cols, symmetric), computed in the cheapest exact arithmetic:
  /// machine words when every entry fits and rows·max|M|² < 2^63 (no partial sum can
  /// overflow), 128-bit accumulators when entries fit in 63 bits and rows·max|M|² < 2^126,
  /// GMP otherwise. Output rows are split over `threads`.
  public func gram(threads: Int = ModularElimination.defaultThreads) -> IntegerMatrix {
    let n = cols
    let out = IntegerMatrix(rows: n, cols: n)
    if n == 0 || rows == 0 { return out }
    let parts = max(1, min(threads, n / 32))
    // Rows of the output, interleaved so that the triangle's work is balanced.
    @Sendable func rowsOf(_ part: Int) -> StrideThrough<Int> { stride(from: part, through: n - 1, by: parts) }
    let shared = _SharedPointer(base: out.storage)
    if let words = wordEntries() {
      let maxAbs = words.reduce(0) { max($0, $1.magnitude) }
      let bits = UInt.bitWidth - maxAbs.leadingZeroBitCount
      let rowBits = Int.bitWidth - rows.leadingZeroBitCount
      let m = rows
      let t = UnsafeMutablePointer<Int>.allocate(capacity: words.count)
      defer { t.deallocate() }
      for i in 0..<m {
        for j in 0..<n { t[j * m + i] = words[i * n + j] }  // column-major: columns contiguous
      }
      let columns = _SharedPointer(base: t)
      // Column dot products in the accumulator type A (no partial sum can overflow it).
      func dots<A: FixedWidthInteger & SignedInteger & SendableMetatype>(_: A.Type) {
        DispatchQueue.concurrentPerform(iterations: parts) { part in
          for a in rowsOf(part) {
            let x = columns.base + a * m
            for c in a..<n {
              let y = columns.base + c * m
              var s: A = 0
              for i in 0..<m { s &+= A(x[i]) &* A(y[i]) }
              Self.setInt128(shared.base + a * n + c, Int128(s))
              if c != a { __gmpz_set(shared.base + c * n + a, shared.base + a * n + c) }
            }
          }
        }
      }
      if 2 * bits + rowBits <= 62 {
        dots(Int.self)
        return out
      }
      if 2 * bits + rowBits <= 126 {
        if gramInDoubles(words, bits: bits, rowBits: rowBits, into: out, threads: threads) { return out }
        dots(Int128.self)
        return out
      }
    }
    let src = _SharedPointer(base: storage)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      for a in rowsOf(part) {
        for c in a..<n {
          let dst = shared.base + a * n + c
          for i in 0..<self.rows { __gmpz_addmul(dst, src.base + i * n + a, src.base + i * n + c) }
          if c != a { __gmpz_set(shared.base + c * n + a, dst) }
        }
      }
    }
    return out
  }

  /// MᵀM through one exact product in doubles (BLAS), into `out`; false (nothing written)
  /// when the sizes do not allow it or the matrix is too small to gain.
  ///
  /// Each entry is split as x = x₁·2^h + x₀ (h = ⌈bits/2⌉, 0 ≤ x₀ < 2^h, |x₁| ≤ 2^(bits−h)),
  /// so that every product of two halves is below 2^(2h) in magnitude and every partial sum
  /// of `rows` of them below 2^(2h + rowBits) ≤ 2^53: exact in doubles in any order. With
  /// L = [X₁ᵀ; X₀ᵀ] and U = [X₁ | X₀], the blocks of L·U give
  /// MᵀM = X₁ᵀX₁·2^(2h) + (X₁ᵀX₀ + X₀ᵀX₁)·2^h + X₀ᵀX₀, summed exactly in 128-bit words
  /// (the caller has checked that rows·max|M|² < 2^126).
  func gramInDoubles(_ words: [Int], bits: Int, rowBits: Int, into out: IntegerMatrix, threads: Int) -> Bool {
    let m = rows, n = cols
    let h = (bits + 1) / 2
    guard 2 * h + rowBits <= 53, n >= 32, m >= 32 else { return false }
    let w = 2 * n
    let l = UnsafeMutablePointer<Double>.allocate(capacity: w * m)  // (2n)×m
    let u = UnsafeMutablePointer<Double>.allocate(capacity: m * w)  // m×(2n)
    let c = UnsafeMutablePointer<Double>.allocate(capacity: w * w)
    defer {
      l.deallocate()
      u.deallocate()
      c.deallocate()
    }
    let mask = (1 << h) - 1
    for i in 0..<m {
      for a in 0..<n {
        let x = words[i * n + a]
        let hi = Double(x >> h), lo = Double(x & mask)  // x = hi·2^h + lo, 0 ≤ lo < 2^h
        l[a * m + i] = hi
        l[(n + a) * m + i] = lo
        u[i * w + a] = hi
        u[i * w + n + a] = lo
      }
    }
    c.initialize(repeating: 0, count: w * w)
    // Any accepted prime: the product is not reduced (`reducing: false`); c = −L·U.
    let ar = _CentredArithmetic(prime: 16_777_259)!
    ar.multiplySubtract(c: c, ldc: w, l: l, u: u, ldu: w, rows: w, cols: w, k: m, reducing: false, threads: threads)
    for a in 0..<n {
      for b in a..<n {
        let high = Int128(Int64(c[a * w + b]))
        let middle = Int128(Int64(c[a * w + n + b])) + Int128(Int64(c[(n + a) * w + b]))
        let low = Int128(Int64(c[(n + a) * w + n + b]))
        let v = -((high << (2 * h)) + (middle << h) + low)
        Self.setInt128(out.storage + a * n + b, v)
        if b != a { __gmpz_set(out.storage + b * n + a, out.storage + a * n + b) }
      }
    }
    return true
  }

  /// The rows×cols matrix with the given row-major 128-bit entries.
  public convenience init(rows: Int, cols: Int, int128Entries entries: [Int128]) {
    precondition(entries.count == rows * cols, "\(entries.count) entries for a \(rows)×\(cols) matrix")
    self.init(rows: rows, cols: cols)
    for k in 0..<entries.count where entries[k] != 0 { Self.setInt128(storage + k, entries[k]) }
  }

  /// Sets a GMP integer to a 128-bit value.
  static func setInt128(_ z: UnsafeMutablePointer<__mpz_struct>, _ v: Int128) {
    if let small = Int(exactly: v) {
      __gmpz_set_si(z, small)
      return
    }
    let m = v.magnitude
    __gmpz_set_ui(z, UInt(truncatingIfNeeded: m >> 64))
    __gmpz_mul_2exp(z, z, 64)
    __gmpz_add_ui(z, z, UInt(truncatingIfNeeded: m))
    if v < 0 { __gmpz_neg(z, z) }
  }

  /// self + other over Z (same shape).
  public func adding(_ other: IntegerMatrix) -> IntegerMatrix {
    precondition(rows == other.rows && cols == other.cols, "shapes differ")
    let out = IntegerMatrix(rows: rows, cols: cols)
    for k in 0..<(rows * cols) { __gmpz_add(out.storage + k, storage + k, other.storage + k) }
    return out
  }
}
