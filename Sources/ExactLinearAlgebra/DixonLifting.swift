import CGMP
import Dispatch
import Exact
import Synchronization

/// Exact solution of B·X = C for a nonsingular integer matrix B by p-adic lifting (Dixon
/// 1982, "Exact solution of linear equations using p-adic expansions").
///
/// With B⁻¹ modulo a prime p, each step finds the next p-adic digit X_i = B⁻¹·R_i mod p and
/// the next residual R_{i+1} = (R_i − B·X_i)/p (an exact division), so that
/// B·(X_0 + X_1 p + … + X_{k−1} p^{k−1}) ≡ C (mod p^k). By Cramer's rule every entry of X is
/// a/b with |a| ≤ N and 0 < b ≤ D, where D and N are Hadamard bounds for det B and for B with
/// one column replaced by a column of C; once p^k > 2·N·D·2^40 the fractions are recovered
/// by rational reconstruction, one denominator per column.
///
/// All word-level arithmetic runs in the exact-double kernel of `_CentredArithmetic`: B·X_i
/// is an exact integer product of w-bit slices of B (each slice product stays below 2^53; the
/// residual is kept in words or, for large entries, in GMP integers), and B⁻¹·R_i is a
/// product modulo p with delayed reduction. The result is not trusted by the callers: kernel vectors built from it are verified exactly (M·v = 0).
enum DixonLifting {
  /// Integers Z and d_k > 0 with B·Z[:, k] = d_k·C[:, k] for every column k (Z = B⁻¹C·diag(d)), or nil when B is singular modulo p or
  /// p is not usable by the double kernel. Entries of any size are accepted.
  ///
  /// - Parameter workBudget: the lifting gives up (nil) once its estimated word operations
  ///   (`workPerStep` per step) would pass this without an early candidate having been
  ///   accepted, so that a caller can fall back on a route whose cost it knows.
  static func solve(_ b: IntegerMatrix, _ c: IntegerMatrix, prime: UInt64, threads: Int, workBudget: Int = .max)
    -> (numerators: IntegerMatrix, denominators: [BigInt])?
  {
    let r = b.rows, s = c.cols
    precondition(b.cols == r && c.rows == r, "shape mismatch")
    if s == 0 || r == 0 { return (IntegerMatrix(rows: r, cols: s), Array(repeating: BigInt(1), count: s)) }
    guard let ar = _CentredArithmetic(prime: prime) else { return nil }
    // B·X_i is formed as Σ_l B_l·X_i·2^(l·w) with slices |B_l| < 2^w small enough that each
    // product is exact in doubles (r·2^w·(p/2 + 8) < 2^52), summed in Int64 (needs
    // r·|B|·p < 2^62). The residual stays below |C| + r·|B| < 2^53.
    let logR = Int.bitWidth - (r - 1).leadingZeroBitCount  // ⌈log2 r⌉
    let bitsB = b.maxEntryBits, bitsC = c.maxEntryBits
    let digitCeilBits = Int(UInt64.bitWidth - prime.leadingZeroBitCount)  // ⌈log2 p⌉ (p not a power of 2)
    let w = 52 - logR - digitCeilBits
    guard w >= 1 else { return nil }
    // Small entries keep the residual in Int64 words; larger ones (e.g. the 89-bit entries of
    // n·H_o at --range 1000) keep it in GMP integers, O(r·s·slices) GMP operations per step
    // beside the O(r²·s) word products, so the lifting stays word-bound either way.
    let wide = !(bitsB + logR + digitCeilBits <= 61 && bitsC <= 51 && bitsB + logR <= 51)
    let slices = max(1, (bitsB + w - 1) / w)

    // B⁻¹ mod p (centred doubles).
    guard let inverse = inverseModP(b, ar) else { return nil }
    defer { inverse.deallocate() }
    let sliced = UnsafeMutablePointer<Double>.allocate(capacity: slices * r * r)  // −B_l
    let residual = UnsafeMutablePointer<Int64>.allocate(capacity: r * s)
    let reduced = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    let digit = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    let product = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    defer {
      sliced.deallocate()
      residual.deallocate()
      reduced.deallocate()
      digit.deallocate()
      product.deallocate()
    }
    let mask = (Int64(1) << w) - 1
    for i in 0..<r {
      for j in 0..<r {
        let v = b.entry(i, j)
        let negative = cgmp_mpz_sgn(v) < 0
        for l in 0..<slices {
          let part = Double(Int64(magnitudeBits(v, from: l * w, count: w) & UInt64(mask)))
          sliced[(l * r + i) * r + j] = negative ? part : -part
        }
      }
    }
    // The wide residual (GMP integers) starts as a copy of C; the narrow one as words.
    let wideResidual = wide ? c.copy() : IntegerMatrix(rows: 0, cols: 0)
    if !wide {
      for i in 0..<r { for j in 0..<s { residual[i * s + j] = Int64(__gmpz_get_si(c.entry(i, j))) } }
    }
    let shiftScratch = MPZScratch(1)
    let pSigned = Int64(prime)

    // Bounds: D ≥ |det B|, N ≥ |det of B with a column replaced by one of C|.
    let logD = hadamardRowBits(b, extra: nil)
    let logN = hadamardRowBits(b, extra: c)
    let margin = 40
    let digitBits = Int(UInt64.bitWidth - prime.leadingZeroBitCount) - 1  // ⌊log2 p⌋
    let steps = (logN + logD + 1 + margin) / digitBits + 1
    let perStep = workPerStep(size: r, columns: s, slices: slices, wide: wide)
    // The last step the budget pays for (a final early check is made there).
    let lastStep = workBudget == .max ? steps : min(steps, max(1, workBudget / perStep))

    // Lifting; digits are folded into big integers every `group` steps.
    let count = r * s
    let group = max(2, min(16, (1 << 23) / max(count, 1)))
    let digits = UnsafeMutablePointer<Int32>.allocate(capacity: count * group)
    defer { digits.deallocate() }
    let acc = IntegerMatrix(rows: r, cols: s)
    let base = MPZScratch(2)  // p^(group·block), p^group
    __gmpz_set_ui(base[0], 1)
    __gmpz_ui_pow_ui(base[1], UInt(prime), UInt(group))
    var filled = 0
    // Early termination: the Hadamard bounds are worst cases, and structured matrices (such as
    // Hessians) often have far smaller solutions. At the checkpoints below the digits so far are
    // reconstructed with balanced bounds N = D ≈ √(p^k / 2); a candidate that passes a random
    // check modulo another prime is returned. The callers verify every kernel vector exactly
    // against every row, so a wrong early candidate (probability ≤ 1/2^24) costs only a retry.
    // The first check comes after 2 steps, then 4, 8, 16 and from there every quarter more
    // steps (20, 25, 31, …, so at most 25 % beyond the steps the solution needs): a failing
    // check costs one reconstruction that stops at the first entry it cannot explain, and
    // small solutions (the 10-bit kernel of the p = 188 n·H_o) are found after 2 steps.
    var nextCheck = 2
    let checkField = PrimeField(unchecked: prime == 16_777_259 ? 16_777_289 : 16_777_259)
    func foldPending() {
      guard filled > 0 else { return }
      fold(digits, filled: filled, into: acc, base: base[0], prime: prime, threads: threads)
      let power = MPZScratch(1)
      __gmpz_ui_pow_ui(power[0], UInt(prime), UInt(filled))
      __gmpz_mul(base[0], base[0], power[0])
      filled = 0
    }
    for step in 1...lastStep {
      if wide {
        for e in 0..<count {
          reduced[e] = ar.centred(UInt64(__gmpz_fdiv_ui(wideResidual.storage + e, UInt(prime))))
        }
      } else {
        for e in 0..<count { reduced[e] = ar.reduce(Double(residual[e])) }
      }
      // digit = −B⁻¹·R mod p, so X_i = −digit.
      digit.initialize(repeating: 0, count: count)
      ar.multiplySubtract(
        c: digit, ldc: s, l: inverse, u: reduced, ldu: s, rows: r, cols: s, k: r, reducing: true, threads: threads)
      // R ← (R − B·X_i)/p = (R + Σ_l 2^(l·w)·B_l·digit)/p, exact.
      for l in 0..<slices {
        product.initialize(repeating: 0, count: count)
        ar.multiplySubtract(
          c: product, ldc: s, l: sliced + l * r * r, u: digit, ldu: s, rows: r, cols: s, k: r, reducing: false,
          threads: threads)
        if wide {
          let t = shiftScratch[0]
          for e in 0..<count where product[e] != 0 {
            __gmpz_set_si(t, Int(product[e]))
            __gmpz_mul_2exp(t, t, UInt(l * w))
            __gmpz_add(wideResidual.storage + e, wideResidual.storage + e, t)
          }
        } else {
          let shift = Int64(l * w)
          for e in 0..<count { residual[e] += Int64(product[e]) << shift }
        }
      }
      for e in 0..<count {
        if wide {
          __gmpz_divexact_ui(wideResidual.storage + e, wideResidual.storage + e, UInt(prime))
        } else {
          residual[e] /= pSigned
        }
        digits[filled * count + e] = Int32(-digit[e])
      }
      filled += 1
      if filled == group {
        fold(digits, filled: filled, into: acc, base: base[0], prime: prime, threads: threads)
        __gmpz_mul(base[0], base[0], base[1])
        filled = 0
      }
      if (step == nextCheck || step == lastStep) && step < steps {
        if step == nextCheck { nextCheck = step < 16 ? 2 * step : step + step / 4 }
        foldPending()
        // Balanced bounds 2^h with 2·2^(2h) < 2^(step·⌊log2 p⌋) ≤ p^step.
        let h = (step * digitBits - 2) / 2
        let early = MPZScratch(3)  // P, N = D
        __gmpz_ui_pow_ui(early[0], UInt(prime), UInt(step))
        __gmpz_setbit(early[1], UInt(h))
        // acc (digits folded, |acc| < P) goes in as it is: `reconstruct` reduces what it reads,
        // so a failing check costs a few entries, not a pass over all of them.
        if let candidate = reconstruct(acc, modulus: early[0], numeratorBound: early[1], denominatorBound: early[1],
                                       threads: threads),
          passesRandomCheck(b, c, candidate.numerators, candidate.denominators, field: checkField, seed: UInt64(step))
        {
          return candidate
        }
      }
    }
    if lastStep < steps { return nil }  // over budget
    foldPending()

    // Rational reconstruction, one denominator per column.
    let modulus = MPZScratch(1)
    __gmpz_ui_pow_ui(modulus[0], UInt(prime), UInt(steps))
    let bounds = MPZScratch(2)  // N, D
    __gmpz_setbit(bounds[0], UInt(logN))
    __gmpz_setbit(bounds[1], UInt(logD))
    for e in 0..<count { __gmpz_fdiv_r(acc.storage + e, acc.storage + e, modulus[0]) }
    return reconstruct(acc, modulus: modulus[0], numeratorBound: bounds[0], denominatorBound: bounds[1], threads: threads)
  }

  /// Estimated word operations of one lifting step for an r×r system with s right-hand
  /// sides: the product modulo p and one exact product per slice (about 8 multiply-adds a
  /// cycle), plus the GMP operations on a wide residual.
  static func workPerStep(size r: Int, columns s: Int, slices: Int, wide: Bool) -> Int {
    max(1, r * r * s * (1 + slices) / 8 + r * s * (wide ? 16 * slices : 2))
  }

  /// Bits [from, from + count) of |z| (count ≤ 64), read from its limbs.
  static func magnitudeBits(_ z: UnsafePointer<__mpz_struct>, from: Int, count: Int) -> UInt64 {
    let size = Int(z.pointee._mp_size.magnitude)
    let limb = from / 64, offset = from % 64
    guard limb < size, let limbs = z.pointee._mp_d else { return 0 }
    var v = UInt64(limbs[limb]) >> UInt64(offset)
    if offset != 0 && offset + count > 64 && limb + 1 < size {
      v |= UInt64(limbs[limb + 1]) << UInt64(64 - offset)
    }
    return count >= 64 ? v : v & ((UInt64(1) << UInt64(count)) - 1)
  }

  /// Freivalds' check of B·Z = C·diag(d) modulo a prime: B·(Z·v) ≡ C·(d ∘ v) for one random
  /// v. A wrong Z passes with probability at most 1/q (the callers verify their results
  /// exactly anyway).
  static func passesRandomCheck(
    _ b: IntegerMatrix, _ c: IntegerMatrix, _ z: IntegerMatrix, _ d: [BigInt], field: PrimeField, seed: UInt64
  ) -> Bool {
    let s = c.cols, q = UInt(field.p)
    var rng = SeededRandom(seed: seed ^ 0x4652_4549_5641_4C44)  // "FREIVALD"
    let v = (0..<s).map { _ in rng.next(in: 0...(field.p - 1)) }
    func times(_ m: IntegerMatrix, _ x: [UInt64]) -> [UInt64] {
      (0..<m.rows).map { i in
        var acc: UInt64 = 0
        for j in 0..<m.cols { acc = field.add(acc, field.multiply(UInt64(__gmpz_fdiv_ui(m.entry(i, j), q)), x[j])) }
        return acc
      }
    }
    let left = times(b, times(z, v))
    let scaled = (0..<s).map { field.multiply(d[$0].residue(modulo: field.p), v[$0]) }
    return left == times(c, scaled)
  }

  /// An upper bound on ⌈log2 √P⌉ for the product P of the squared row norms of B (each
  /// increased by the largest square in row i of C), from bit lengths alone: a row with
  /// entries below 2^b_j has squared norm below Σ_j 4^b_j ≤ k·4^(max b_j) for its k nonzero
  /// entries (plus one for the entry of C), so log2 of its norm is at most max b_j + ½·log2 k.
  /// At most about one bit per row above the exact bound, without a single big product (it
  /// only sizes the lifting; a larger bound is still a bound).
  static func hadamardRowBits(_ b: IntegerMatrix, extra c: IntegerMatrix?) -> Int {
    var twiceLog = 0  // Σ over rows of ⌈2·log2(norm)⌉ bounds, in half bits
    for i in 0..<b.rows {
      var top = 0, count = 0
      let row = b.rowPointer(i)
      for j in 0..<b.cols where cgmp_mpz_sgn(row + j) != 0 {
        top = max(top, Int(__gmpz_sizeinbase(row + j, 2)))
        count += 1
      }
      if let c {
        let extra = c.rowPointer(i)
        var topC = 0
        for j in 0..<c.cols where cgmp_mpz_sgn(extra + j) != 0 { topC = max(topC, Int(__gmpz_sizeinbase(extra + j, 2))) }
        if topC > 0 {
          top = max(top, topC)
          count += 1
        }
      }
      if count == 0 { continue }
      // log2(count·4^top) = 2·top + log2(count) ≤ 2·top + ⌈log2 count⌉.
      let logCount = count == 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount
      twiceLog += 2 * top + logCount
    }
    return (twiceLog + 1) / 2
  }

  /// B⁻¹ modulo p by Gauss–Jordan on centred doubles; nil when B is singular modulo p.
  ///
  /// Delayed reduction: the pivot row and each multiplier are reduced (|x| ≤ h), so one
  /// column step adds at most h² to any entry; the other entries are reduced only every
  /// `delay` steps (each value stays below h + delay·h² < 2^53: exact). At step col the right
  /// half of [B | I] has nonzeros only in its first col + 1 columns, so the updates stop there.
  static func inverseModP(_ b: IntegerMatrix, _ ar: _CentredArithmetic) -> UnsafeMutablePointer<Double>? {
    let r = b.rows, w = 2 * r
    let a = UnsafeMutablePointer<Double>.allocate(capacity: r * w)
    defer { a.deallocate() }
    a.initialize(repeating: 0, count: r * w)
    for i in 0..<r {
      for j in 0..<r { a[i * w + j] = ar.centred(UInt64(__gmpz_fdiv_ui(b.entry(i, j), UInt(ar.pInt)))) }
      a[i * w + r + i] = 1
    }
    var sinceReduction = 0
    for col in 0..<r {
      let end = r + col + 1  // columns col..<end can be nonzero from here on
      if sinceReduction == ar.delay {
        for i in 0..<r {
          let row = a + i * w
          for j in col..<end { row[j] = ar.reduce(row[j]) }
        }
        sinceReduction = 0
      }
      var pivot: Int? = nil
      for i in col..<r {
        let v = ar.reduce(a[i * w + col])
        a[i * w + col] = v
        if v != 0 {
          pivot = i
          break
        }
      }
      guard let piv = pivot else { return nil }
      if piv != col { for j in col..<end { swap(&a[piv * w + j], &a[col * w + j]) } }
      let prow = a + col * w
      let inv = ar.inverse(prow[col])
      for j in col..<end { prow[j] = ar.reduce(ar.reduce(prow[j]) * inv) }
      for i in 0..<r where i != col {
        let row = a + i * w
        let f = ar.reduce(row[col])
        row[col] = 0
        if f == 0 { continue }
        let fv = SIMD4<Double>(repeating: f)
        var j = col + 1
        while j + 4 <= end {
          let x = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
          let y = UnsafeRawPointer(prow + j).loadUnaligned(as: SIMD4<Double>.self)
          UnsafeMutableRawPointer(row + j).storeBytes(of: x - fv * y, as: SIMD4<Double>.self)
          j += 4
        }
        while j < end {
          row[j] -= f * prow[j]
          j += 1
        }
      }
      sinceReduction += 1
    }
    let out = UnsafeMutablePointer<Double>.allocate(capacity: r * r)
    for i in 0..<r { for j in 0..<r { out[i * r + j] = ar.reduce(a[i * w + r + j]) } }
    return out
  }

  /// acc[e] += (Σ_{g<filled} digits[g][e]·p^g)·base, split over threads.
  static func fold(
    _ digits: UnsafeMutablePointer<Int32>, filled: Int, into acc: IntegerMatrix,
    base: UnsafeMutablePointer<__mpz_struct>, prime: UInt64, threads: Int
  ) {
    let count = acc.rows * acc.cols
    let parts = count >= 256 ? max(1, min(threads, 8)) : 1
    let shared = (_SharedPointer(base: digits), _SharedPointer(base: base))
    let body: @Sendable (Int) -> Void = { part in
      let t = MPZScratch(1)
      let start = count * part / parts, end = count * (part + 1) / parts
      for e in start..<end {
        __gmpz_set_si(t[0], Int(shared.0.base[(filled - 1) * count + e]))
        var g = filled - 2
        while g >= 0 {
          __gmpz_mul_ui(t[0], t[0], UInt(prime))
          let d = Int(shared.0.base[g * count + e])
          if d >= 0 { __gmpz_add_ui(t[0], t[0], UInt(d)) } else { __gmpz_sub_ui(t[0], t[0], UInt(-d)) }
          g -= 1
        }
        __gmpz_addmul(acc.storage + e, t[0], shared.1.base)
      }
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
  }

  /// Turns residues x (any representatives modulo P) of fractions a/b (|a| ≤ N, 0 < b ≤ D, P > 2ND) into integers
  /// d_k·(a/b) with one denominator d_k per column k (the least common multiple of that
  /// column's denominators), in place. Nil if some entry has no such fraction.
  ///
  /// One denominator per column, not one for the whole matrix: the columns are separate
  /// systems (one kernel vector each), and a shared denominator is the lcm of all of theirs —
  /// 75 bits for the 12 kernel vectors of the p = 188 n·H_o whose own denominators have at
  /// most 10, so that early termination would need 8 lifting steps instead of 2.
  static func reconstruct(
    _ x: IntegerMatrix, modulus: UnsafeMutablePointer<__mpz_struct>,
    numeratorBound: UnsafeMutablePointer<__mpz_struct>, denominatorBound: UnsafeMutablePointer<__mpz_struct>,
    threads: Int
  ) -> (numerators: IntegerMatrix, denominators: [BigInt])? {
    let rows = x.rows, cols = x.cols
    let out = IntegerMatrix(rows: rows, cols: cols)
    let found = Mutex<[BigInt]>(Array(repeating: BigInt(1), count: cols))
    let failed = Atomic<Bool>(false)
    let shared = (_SharedPointer(base: modulus), _SharedPointer(base: numeratorBound),
                  _SharedPointer(base: denominatorBound))
    let parts = rows * cols >= 64 ? max(1, min(threads, cols, 8)) : 1
    let body: @Sendable (Int) -> Void = { part in
      let t = MPZScratch(4)  // d, d·N, 2y, x mod P
      var k = part
      while k < cols && !failed.load(ordering: .relaxed) {
        __gmpz_set_ui(t[0], 1)
        __gmpz_set(t[1], shared.1.base)
        var i = 0
        while i < rows {
          // y = d·x mod P, balanced; it is d·(a/b) when |y| ≤ d·N.
          let y = out.storage + (i * cols + k), xe = x.storage + (i * cols + k)
          __gmpz_mul(y, xe, t[0])
          __gmpz_fdiv_r(y, y, shared.0.base)
          __gmpz_mul_2exp(t[2], y, 1)
          if __gmpz_cmp(t[2], shared.0.base) > 0 { __gmpz_sub(y, y, shared.0.base) }
          if __gmpz_cmpabs(y, t[1]) <= 0 {
            i += 1
            continue
          }
          // Reconstruct this entry alone, enlarge d by its denominator, start the column again.
          __gmpz_fdiv_r(t[3], xe, shared.0.base)  // in [0, P) for the Euclidean algorithm
          guard let b = rationalReconstruction(t[3], shared.0.base, shared.1.base, shared.2.base) else {
            failed.store(true, ordering: .relaxed)
            return
          }
          BigInt.lcm(BigInt(copying: t[0]), b).copy(into: t[0])
          if __gmpz_cmp(t[0], shared.2.base) > 0 {
            failed.store(true, ordering: .relaxed)
            return
          }
          __gmpz_mul(t[1], t[0], shared.1.base)
          i = 0
        }
        let d = BigInt(copying: t[0])
        found.withLock { $0[k] = d }
        k += parts
      }
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    if failed.load(ordering: .relaxed) { return nil }
    return (out, found.withLock { $0 })
  }

  /// The denominator b of the fraction a/b ≡ x (mod P) with |a| ≤ N, 0 < b ≤ D, if any:
  /// the extended Euclidean algorithm on (P, x) stopped at the first remainder ≤ N.
  static func rationalReconstruction(
    _ x: UnsafeMutablePointer<__mpz_struct>, _ modulus: UnsafeMutablePointer<__mpz_struct>,
    _ numeratorBound: UnsafeMutablePointer<__mpz_struct>, _ denominatorBound: UnsafeMutablePointer<__mpz_struct>
  ) -> BigInt? {
    let t = MPZScratch(6)  // r0, r1, t0, t1, q, tmp
    __gmpz_set(t[0], modulus)
    __gmpz_set(t[1], x)
    __gmpz_set_ui(t[2], 0)
    __gmpz_set_ui(t[3], 1)
    while __gmpz_cmp(t[1], numeratorBound) > 0 {
      guard cgmp_mpz_sgn(t[1]) != 0 else { return nil }
      __gmpz_fdiv_qr(t[4], t[5], t[0], t[1])  // r0 = q·r1 + tmp
      __gmpz_swap(t[0], t[1])
      __gmpz_swap(t[1], t[5])  // (r0, r1) ← (r1, r0 mod r1)
      __gmpz_submul(t[2], t[4], t[3])  // t0 − q·t1
      __gmpz_swap(t[2], t[3])  // (t0, t1) ← (t1, t0 − q·t1)
    }
    __gmpz_abs(t[3], t[3])
    guard cgmp_mpz_sgn(t[3]) != 0, __gmpz_cmp(t[3], denominatorBound) <= 0 else { return nil }
    return BigInt(copying: t[3])
  }
}

/// Thread-safe record of failing entries (only the smallest index is kept).
final class _FailureList: Sendable {
  private let smallest = Mutex<Int?>(nil)

  func add(_ e: Int) {
    smallest.withLock { $0 = min($0 ?? e, e) }
  }

  var first: Int? { smallest.withLock { $0 } }
}
