import CLapack
import Dispatch
import Exact

/// Arithmetic modulo a prime p < 2^26 on integers carried exactly by `Double`s.
///
/// Residues are kept centred, |x| ≤ h = ⌊p/2⌋ + 8. Every value formed is an integer below
/// 2^53 in magnitude, so every `Double` operation is exact: this is integer arithmetic done by
/// the floating-point unit (the FFLAS-FFPACK technique), not an approximation. Reduction is
/// x ↦ x − p·round(x·(1/p)); the rounded quotient can be off by one near a half-integer,
/// hence the margin 8 in h. Up to `delay` = ⌊(2^53 − p − h) / h²⌋ products of two reduced
/// values can be summed onto a reduced value before reducing again (31 or more for
/// p < 2^25, 127 for p < 2^24).
struct _CentredArithmetic: Sendable {
  let p: Double
  let pInverse: Double
  let pInt: UInt64
  let delay: Int
  /// 1.5·2^52: adding and subtracting it rounds a double of magnitude < 2^51 to an integer.
  static let roundingConstant: Double = 6_755_399_441_055_744.0

  init?(prime: UInt64) {
    guard let d = ModularElimination.delay(forPrime: prime) else { return nil }
    p = Double(prime)
    pInverse = 1.0 / Double(prime)
    pInt = prime
    delay = d
  }

  @inline(__always) func reduce(_ x: Double) -> Double {
    let q = (x * pInverse + Self.roundingConstant) - Self.roundingConstant
    return x - q * p
  }

  @inline(__always) func reduce(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let c = SIMD4<Double>(repeating: Self.roundingConstant)
    let q = (x * pInverse + c) - c
    return x - q * p
  }

  /// The centred form of a residue in [0, p) (or any value, reduced first).
  @inline(__always) func centred(_ x: UInt64) -> Double {
    let y = x < pInt ? x : x % pInt
    return y > pInt / 2 ? -Double(pInt - y) : Double(y)
  }

  /// The residue in [0, p) of a centred value.
  @inline(__always) func residue(_ x: Double) -> UInt64 {
    let v = Int64(reduce(x))
    return v < 0 ? UInt64(Int64(pInt) + v) : UInt64(v)
  }

  /// The centred inverse of a value that is nonzero modulo p.
  func inverse(_ x: Double) -> Double {
    centred(PrimeField(unchecked: pInt).inverse(residue(x))!)  // x ≢ 0 by contract
  }

  /// C[rows×cols] −= L[rows×k]·U[k×cols], with L packed (row stride k) and strides ldc, ldu.
  ///
  /// With `reducing`, C and L, U hold reduced residues and the result is reduced, the sum
  /// being reduced every `delay` products. Without, the caller guarantees that every partial
  /// sum stays below 2^53 (plain exact integer arithmetic). Rows are split over `threads`.
  func multiplySubtract(
    c: UnsafeMutablePointer<Double>, ldc: Int, l: UnsafePointer<Double>, u: UnsafePointer<Double>,
    ldu: Int, rows: Int, cols: Int, k: Int, reducing: Bool, threads: Int
  ) {
    if rows == 0 || cols == 0 || k == 0 { return }
    if rows * cols * k >= Self.blasThreshold {
      if !reducing {
        // Exact in any order: the caller bounds every partial sum below 2^53.
        multiplySubtractBLAS(
          c: c, ldc: ldc, l: l, ldl: k, u: u, ldu: ldu, rows: rows, cols: cols, k: k, reduce: false, threads: threads)
        return
      }
      // Inner dimension in chunks of `delay` products, one reduction after each.
      var kb = 0
      while kb < k {
        let kc = min(delay, k - kb)
        multiplySubtractBLAS(
          c: c, ldc: ldc, l: l + kb, ldl: k, u: u + kb * ldu, ldu: ldu, rows: rows, cols: cols, k: kc, reduce: true,
          threads: threads)
        kb += kc
      }
      return
    }
    let chunk = reducing ? delay : Int.max
    let work = rows * cols * k
    let parts = work >= 1 << 18 ? min(max(1, threads), max(1, rows / 8)) : 1
    let perPart = ((rows + parts - 1) / parts + 3) & ~3
    let shared = (_SharedPointer(base: c), _SharedPointer(base: UnsafeMutablePointer(mutating: l)),
                  _SharedPointer(base: UnsafeMutablePointer(mutating: u)))
    let body: @Sendable (Int) -> Void = { t in
      let start = t * perPart
      let end = min(rows, start + perPart)
      if start < end {
        // Each multiplier is stored twice, so that one aligned load is a broadcast pair
        // (baseline x86-64 has no broadcast load).
        let count = (end - start) * k
        let pairs = UnsafeMutablePointer<SIMD2<Double>>.allocate(capacity: count)
        defer { pairs.deallocate() }
        let src = shared.1.base + start * k
        for e in 0..<count { pairs[e] = SIMD2(repeating: src[e]) }
        self.kernel(
          c: shared.0.base + start * ldc, ldc: ldc, l: pairs, ldl: k,
          u: shared.2.base, ldu: ldu, rows: end - start, cols: cols, k: k, chunk: chunk, reducing: reducing)
      }
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
  }

  /// Products at least this large (rows·cols·k) go to BLAS.
  static let blasThreshold = 1 << 15

  /// C −= L·U through BLAS `dgemm` (L with row stride `ldl`), then, with `reduce`, one
  /// reduction per entry.
  ///
  /// Exact: with `reduce`, k ≤ `delay` and C and L, U are reduced (|x| ≤ h), so every partial
  /// sum of C − Σ_{t<k} L·U is an integer of magnitude ≤ h + k·h² < 2^53, whatever order (or
  /// fused multiply-adds) BLAS uses; without, the caller bounds Σ|C| + Σ|L·U| below 2^53.
  /// Rows are split over `threads`, one single-threaded `dgemm` each.
  private func multiplySubtractBLAS(
    c: UnsafeMutablePointer<Double>, ldc: Int, l: UnsafePointer<Double>, ldl: Int, u: UnsafePointer<Double>,
    ldu: Int, rows: Int, cols: Int, k: Int, reduce: Bool, threads: Int
  ) {
    _ = _singleThreadedBLAS
    let parts = rows * cols * k >= 1 << 20 ? min(max(1, threads), max(1, rows / 16)) : 1
    let shared = (_SharedPointer(base: c), _SharedPointer(base: UnsafeMutablePointer(mutating: l)),
                  _SharedPointer(base: UnsafeMutablePointer(mutating: u)))
    let body: @Sendable (Int) -> Void = { t in
      let start = rows * t / parts, end = rows * (t + 1) / parts
      if start >= end { return }
      let cPart = shared.0.base + start * ldc
      cblas_dgemm(
        101, 111, 111, Int32(end - start), Int32(cols), Int32(k), -1, shared.1.base + start * ldl, Int32(ldl),
        shared.2.base, Int32(ldu), 1, cPart, Int32(ldc))
      if !reduce { return }
      for i in 0..<(end - start) {
        let row = cPart + i * ldc
        var j = 0
        while j + 4 <= cols {
          let x = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
          UnsafeMutableRawPointer(row + j).storeBytes(of: self.reduce(x), as: SIMD4<Double>.self)
          j += 4
        }
        while j < cols {
          row[j] = self.reduce(row[j])
          j += 1
        }
      }
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
  }

  @inline(__always) func reduce2(_ x: SIMD2<Double>) -> SIMD2<Double> {
    let c = SIMD2<Double>(repeating: Self.roundingConstant)
    let q = (x * pInverse + c) - c
    return x - q * p
  }

  /// The single-threaded product: 4×4 register blocks (eight pairs) over panels of at most
  /// 32 rows of U by 128 columns (32 KiB, held in L1 cache); the sum is reduced after each
  /// panel when `reducing` (a panel never exceeds `delay` products).
  private func kernel(
    c: UnsafeMutablePointer<Double>, ldc: Int, l: UnsafePointer<SIMD2<Double>>, ldl: Int,
    u: UnsafePointer<Double>, ldu: Int, rows: Int, cols: Int, k: Int, chunk: Int, reducing: Bool
  ) {
    @inline(__always) func load2(_ x: UnsafePointer<Double>) -> SIMD2<Double> {
      UnsafeRawPointer(x).loadUnaligned(as: SIMD2<Double>.self)
    }
    @inline(__always) func store2(_ v: SIMD2<Double>, _ x: UnsafeMutablePointer<Double>) {
      UnsafeMutableRawPointer(x).storeBytes(of: v, as: SIMD2<Double>.self)
    }
    let slab = 128
    let depth = min(chunk, 32)
    var kb = 0
    while kb < k {
      let ke = min(k, kb + depth)
      var jb = 0
      while jb < cols {
        let je = min(cols, jb + slab)
        var i = 0
        while i + 4 <= rows {
          let l0 = l + i * ldl, l1 = l0 + ldl, l2 = l1 + ldl, l3 = l2 + ldl
          let c0 = c + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
          var j = jb
          while j + 4 <= je {
            var a0 = load2(c0 + j), b0 = load2(c0 + j + 2)
            var a1 = load2(c1 + j), b1 = load2(c1 + j + 2)
            var a2 = load2(c2 + j), b2 = load2(c2 + j + 2)
            var a3 = load2(c3 + j), b3 = load2(c3 + j + 2)
            var t = kb
            while t < ke {
              let ux = load2(u + t * ldu + j), uy = load2(u + t * ldu + j + 2)
              let x0 = l0[t], x1 = l1[t], x2 = l2[t], x3 = l3[t]
              a0 -= x0 * ux
              b0 -= x0 * uy
              a1 -= x1 * ux
              b1 -= x1 * uy
              a2 -= x2 * ux
              b2 -= x2 * uy
              a3 -= x3 * ux
              b3 -= x3 * uy
              t += 1
            }
            if reducing {
              a0 = reduce2(a0); b0 = reduce2(b0); a1 = reduce2(a1); b1 = reduce2(b1)
              a2 = reduce2(a2); b2 = reduce2(b2); a3 = reduce2(a3); b3 = reduce2(b3)
            }
            store2(a0, c0 + j); store2(b0, c0 + j + 2)
            store2(a1, c1 + j); store2(b1, c1 + j + 2)
            store2(a2, c2 + j); store2(b2, c2 + j + 2)
            store2(a3, c3 + j); store2(b3, c3 + j + 2)
            j += 4
          }
          while j < je {
            // The last columns, one at a time (no array of row pointers: this runs per entry).
            for q in 0..<4 {
              let cr = c0 + q * ldc, lr = l0 + q * ldl
              var sum = cr[j]
              for t in kb..<ke { sum -= lr[t].x * u[t * ldu + j] }
              cr[j] = reducing ? reduce(sum) : sum
            }
            j += 1
          }
          i += 4
        }
        while i < rows {
          let lr = l + i * ldl, cr = c + i * ldc
          for j in jb..<je {
            var sum = cr[j]
            for t in kb..<ke { sum -= lr[t].x * u[t * ldu + j] }
            cr[j] = reducing ? reduce(sum) : sum
          }
          i += 1
        }
        jb = je
      }
      kb = ke
    }
  }
}

/// A pointer that may cross into `concurrentPerform` (each thread touches disjoint rows).
struct _SharedPointer<T>: @unchecked Sendable {
  let base: UnsafeMutablePointer<T>
}

/// OpenBLAS runs single-threaded inside the eliminations: their callers split the work
/// over threads themselves (several primes side by side, or row slabs of one product).
private let _singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()
