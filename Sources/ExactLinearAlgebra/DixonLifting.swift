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
  ///
  /// - Parameter smallPrime: lift modulo a prime below 2^24 derived from `prime` when B is
  ///   invertible modulo it (almost always; else modulo `prime`): its products reduce every
  ///   127 terms instead of every 31 (`_CentredArithmetic.delay`), fewer and larger BLAS calls.
  static func solve(
    _ b: IntegerMatrix, _ c: IntegerMatrix, prime: UInt64, threads: Int, workBudget: Int = .max,
    smallPrime: Bool = false
  ) -> (numerators: IntegerMatrix, denominators: [BigInt])? {
    if smallPrime && prime >= 1 << 24 {
      var draws = ModularRank.RandomPrimes(seed: prime, range: PrimeProductProof.proofPrimeRange)
      let q = draws.next()
      if let ar = _CentredArithmetic(prime: q), let inverse = inverseModP(b, ar) {
        defer { inverse.deallocate() }
        return lift(b, c, prime: q, threads: threads, workBudget: workBudget, inverse: inverse, probe: true)
          .map { ($0.numerators, $0.denominators) }
      }
    }
    return lift(b, c, prime: prime, threads: threads, workBudget: workBudget, inverse: nil, probe: true)
      .map { ($0.numerators, $0.denominators) }
  }

  /// `solve`, with B⁻¹ mod p when the caller has it; also returns the work spent.
  ///
  /// With `probe`, when at least 4 columns are still lifted after 16 steps (large solutions),
  /// the lifting pauses to solve for one random combination of them (one column: a
  /// matrix–vector product per step): its denominator is, almost surely, a
  /// common multiple d of every column's, so that each column's d·x is an integer, found
  /// as soon as p^k passes twice its size — about half the steps rational reconstruction
  /// needs, which must find numerator and denominator together (the 143 kernel vectors of
  /// the p = 510 n·H_L at --range 1000 have ~1100-bit entries and denominators alike).
  static func lift(
    _ b: IntegerMatrix, _ c: IntegerMatrix, prime: UInt64, threads: Int, workBudget: Int,
    inverse given: UnsafeMutablePointer<Double>?, probe: Bool
  ) -> (numerators: IntegerMatrix, denominators: [BigInt], spent: Int)? {
    let r = b.rows, s = c.cols
    precondition(b.cols == r && c.rows == r, "shape mismatch")
    if s == 0 || r == 0 { return (IntegerMatrix(rows: r, cols: s), Array(repeating: BigInt(1), count: s), 0) }
    guard let ar = _CentredArithmetic(prime: prime) else { return nil }
    // B·X_i is formed as Σ_l B_l·X_i·2^(l·w) with slices |B_l| < 2^w small enough that each
    // product is exact in doubles (r·2^w·(p/2 + 8) < 2^53), summed in Int64 (needs
    // r·|B|·p < 2^62). The residual stays below |C| + r·|B| < 2^53.
    let logR = Int.bitWidth - (r - 1).leadingZeroBitCount  // ⌈log2 r⌉
    let bitsB = b.maxEntryBits, bitsC = c.maxEntryBits
    let digitCeilBits = Int(UInt64.bitWidth - prime.leadingZeroBitCount)  // ⌈log2 p⌉ (p not a power of 2)
    // Slices below 2^w with w = 53 − ⌈log2 r⌉ − ⌈log2 p⌉: a slice product's terms sum to at most
    // r·2^w·(p/2 + 8) ≤ 2^52 + 2^(56 − ⌈log2 p⌉) < 2^53 in magnitude, so every partial sum is exact.
    let w = 53 - logR - digitCeilBits
    guard w >= 1 else { return nil }
    // The residual R (|R| < |C| + r·|B|·p) is kept in Int64 words when it fits, in Int128
    // (two's complement, wrapping: only the exact R − B·X_i, below 2^127, must fit, and the
    // division by p is a multiplication by p⁻¹ mod 2^128) up to ~120-bit entries — the
    // 40–90-bit entries of Hessians at --range 1000 — in four 64-bit limbs (`Int256Residual`,
    // the same wrapping arithmetic, exact division by long division) up to ~250 bits, and in
    // GMP integers beyond.
    let mode: ResidualMode =
      bitsB + logR + digitCeilBits <= 61 && bitsC <= 51 && bitsB + logR <= 51
      ? .words
      : bitsB + logR + digitCeilBits <= 122 && bitsC <= 122
        ? .doubleWords : (bitsB + logR + digitCeilBits <= 250 && bitsC <= 250 && prime < 1 << 32 ? .quadWords : .big)
    let slices = max(1, (bitsB + w - 1) / w)

    // B⁻¹ mod p (centred doubles).
    guard let inverse = given ?? inverseModP(b, ar) else { return nil }
    defer { if given == nil { inverse.deallocate() } }
    var spent = 0
    // The common denominator of a random combination of the columns (see above).
    var knownDenominator: BigInt?
    var extraChecks: Set<Int> = []
    // From this step on, a column that fails with the known denominator is tried for a
    // missing small factor of it (before, it is simply still too large).
    var expectedStep = Int.max
    let sliced = UnsafeMutablePointer<Double>.allocate(capacity: slices * r * r)  // −B_l
    let residual = UnsafeMutablePointer<Int64>.allocate(capacity: mode == .words ? r * s : 0)
    let residual2 = UnsafeMutablePointer<Int128>.allocate(capacity: mode == .doubleWords ? r * s : 0)
    let residual4 = UnsafeMutablePointer<Int256Residual>.allocate(capacity: mode == .quadWords ? r * s : 0)
    let reduced = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    let digit = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    let product = UnsafeMutablePointer<Double>.allocate(capacity: slices * r * s)
    defer {
      sliced.deallocate()
      residual.deallocate()
      residual2.deallocate()
      residual4.deallocate()
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
    // The wide residual (GMP integers) starts as a copy of C; the others as words.
    var wideResidual = mode == .big ? c.copy() : IntegerMatrix(rows: 0, cols: 0)
    switch mode {
    case .words:
      for i in 0..<r { for j in 0..<s { residual[i * s + j] = Int64(__gmpz_get_si(c.entry(i, j))) } }
    case .doubleWords:
      for i in 0..<r { for j in 0..<s { residual2[i * s + j] = int128(c.entry(i, j)) } }
    case .quadWords:
      for i in 0..<r { for j in 0..<s { (residual4 + (i * s + j)).initialize(to: Int256Residual(c.entry(i, j))) } }
    case .big: break
    }
    let shiftScratch = MPZScratch(1)
    let pSigned = Int64(prime)
    // p⁻¹ mod 2^128 (p odd) by Newton's iteration: each step doubles the correct low bits.
    var pInverse128 = Int128(prime)
    for _ in 0..<7 { pInverse128 = pInverse128 &* (2 &- Int128(prime) &* pInverse128) }
    let mask42 = (Int128(1) << 42) - 1
    let twoTo64Mod = UInt64((UInt128(1) << 64) % UInt128(prime))
    let twoTo256Mod: UInt64 = {
      var x = twoTo64Mod
      for _ in 0..<2 { x = UInt64((UInt128(x) * UInt128(x)) % UInt128(prime)) }  // (2^64)^4
      return x
    }()
    let twoTo42 = ar.centred((UInt64(1) << 42) % prime)
    let twoTo84 = ar.centred(UInt64((UInt128(1) << 84) % UInt128(prime)))

    // Bounds: D ≥ |det B|, N ≥ |det of B with a column replaced by one of C|.
    let logD = hadamardRowBits(b, extra: nil)
    let logN = hadamardRowBits(b, extra: c)
    let margin = 40
    let digitBits = Int(UInt64.bitWidth - prime.leadingZeroBitCount) - 1  // ⌊log2 p⌋
    let steps = (logN + logD + 1 + margin) / digitBits + 1

    // Columns still lifted (`active[t]` is the column of C in slot t); the others are done.
    var active = Array(0..<s)
    var sa = s
    let numerators = IntegerMatrix(rows: r, cols: s)
    var denominators = [BigInt](repeating: BigInt(1), count: s)
    // B and C modulo a second prime, for the per-column random checks of early candidates.
    let checkPrime: UInt64 = prime == 16_777_259 ? 16_777_289 : 16_777_259
    let checkAr = _CentredArithmetic(prime: checkPrime)!  // 2^24 < q < 2^25: accepted
    let bCheck = UnsafeMutablePointer<Double>.allocate(capacity: r * r)
    defer { bCheck.deallocate() }
    for i in 0..<r { for j in 0..<r { bCheck[i * r + j] = checkAr.centred(UInt64(__gmpz_fdiv_ui(b.entry(i, j), UInt(checkPrime)))) } }

    // Lifting; digits are folded into big integers every `group` steps.
    let group = max(2, min(16, (1 << 23) / max(r * s, 1)))
    let digits = UnsafeMutablePointer<Int32>.allocate(capacity: r * s * group)
    defer { digits.deallocate() }
    var acc = IntegerMatrix(rows: r, cols: s)
    let base = MPZScratch(2)  // p^(group·block), p^group
    __gmpz_set_ui(base[0], 1)
    __gmpz_ui_pow_ui(base[1], UInt(prime), UInt(group))
    var filled = 0
    // Early termination: the Hadamard bounds are worst cases, and structured matrices (such as
    // Hessians) often have far smaller solutions. At the checkpoints below the digits so far are
    // reconstructed with balanced bounds N = D ≈ √(p^k / 2), column by column; a column whose
    // candidate passes a check modulo another prime (B·z ≡ d·c) is done and leaves the lifting,
    // so that the steps left cost only the columns that need them (the kernel of the p = 510
    // Jacobian at --range 1000: median 154 bits, largest 1129). The callers verify every kernel
    // vector exactly against every row, so a wrong early candidate costs only a retry.
    // The first check comes after 2 steps, then 4, 8, 16 and from there every quarter more
    // steps (20, 25, 31, …, so at most 25 % beyond the steps a column needs): a failing
    // column costs one reconstruction that stops at the first entry it cannot explain.
    var nextCheck = 2
    /// Lifts one random combination of the active columns for their common denominator
    /// (see `lift`), from step `step` on; false when that passes the budget.
    func probeDenominator(atStep step: Int) -> Bool {
      var rng = SeededRandom(seed: prime ^ 0x434F_4D42)  // "COMB"
      let combination = IntegerMatrix(rows: r, cols: 1)
      for k in active {
        let a = UInt(rng.next(in: 1...255))
        for i in 0..<r { __gmpz_addmul_ui(combination.entry(i, 0), c.entry(i, k), a) }
      }
      guard
        let one = lift(b, combination, prime: prime, threads: threads, workBudget: workBudget - spent,
                       inverse: inverse, probe: false)
      else { return false }
      spent += one.spent
      knownDenominator = one.denominators[0]
      // d·x for the combination is about as large as the columns' d·x (within the bits of
      // the coefficients and of s): check every column from a little before that size.
      let numeratorBits = (0..<r).map { Int(__gmpz_sizeinbase(one.numerators.entry($0, 0), 2)) }.max() ?? 0
      let expected = max(step + 1, (numeratorBits + 20 - 8 - (Int.bitWidth - sa.leadingZeroBitCount)) / digitBits)
      extraChecks = [expected, expected + 1, expected + 2, expected + 4]
      expectedStep = expected
      return true
    }
    var lastChecked = 0
    func foldPending() {
      guard filled > 0 else { return }
      fold(digits, filled: filled, into: acc, base: base[0], prime: prime, threads: threads)
      let power = MPZScratch(1)
      __gmpz_ui_pow_ui(power[0], UInt(prime), UInt(filled))
      __gmpz_mul(base[0], base[0], power[0])
      filled = 0
    }
    /// Reconstructs the active columns from `acc` modulo P with bounds N and D; the columns
    /// found (and, unless `proved`, passing the check) are stored and leave the lifting.
    /// True when no column is left; nil when `proved` and some column has no solution.
    func harvest(modulus: UnsafeMutablePointer<__mpz_struct>, numeratorBound: UnsafeMutablePointer<__mpz_struct>,
                 denominatorBound: UnsafeMutablePointer<__mpz_struct>, proved: Bool, step: Int) -> Bool? {
      let (candidate, found) = reconstructColumns(
        acc, modulus: modulus, numeratorBound: numeratorBound, denominatorBound: denominatorBound,
        knownDenominator: proved ? nil : knownDenominator, missingFactors: step >= expectedStep, threads: threads)
      var ok = found.map { $0 != nil }
      if proved {
        if ok.contains(false) { return nil }
      } else {
        let passed = passColumnChecks(bCheck, c, candidate, found, active: active, ar: checkAr, threads: threads)
        for t in 0..<sa { ok[t] = ok[t] && passed[t] }
      }
      var keep: [Int] = []
      for t in 0..<sa {
        if ok[t] {
          let k = active[t]
          for i in 0..<r { __gmpz_set(numerators.entry(i, k), candidate.entry(i, t)) }
          denominators[k] = found[t]!
        } else {
          keep.append(t)
        }
      }
      if keep.count == sa { return false }
      if keep.isEmpty { return true }
      // Compact the lifting's state to the columns kept (in place: slot t moves down to
      // keep-index, row by row in increasing order, never over a slot still to be read).
      let sn = keep.count
      func compact<T>(_ x: UnsafeMutablePointer<T>) {
        for i in 0..<r { for (u, t) in keep.enumerated() { x[i * sn + u] = x[i * sa + t] } }
      }
      switch mode {
      case .words: compact(residual)
      case .doubleWords: compact(residual2)
      case .quadWords: compact(residual4)
      case .big: wideResidual = wideResidual.submatrix(rows: Array(0..<r), cols: keep)
      }
      acc = acc.submatrix(rows: Array(0..<r), cols: keep)
      active = keep.map { active[$0] }
      sa = sn
      return false
    }
    for step in 1...steps {
      // Columns still lifted after 16 steps are large: learn their common denominator.
      if probe && step == 17 && sa >= 4 && knownDenominator == nil && !probeDenominator(atStep: step - 1) {
        return nil
      }
      let count = r * sa
      let cost = workPerStep(size: r, columns: sa, slices: slices, wide: mode == .big)
      if workBudget != .max && spent + cost > workBudget {
        // Over budget: one last early check of what the digits so far explain.
        if step > 1 && lastChecked != step - 1 {
          foldPending()
          let h = ((step - 1) * digitBits - 2) / 2
          let early = MPZScratch(2)
          __gmpz_ui_pow_ui(early[0], UInt(prime), UInt(step - 1))
          __gmpz_setbit(early[1], UInt(h))
          if harvest(modulus: early[0], numeratorBound: early[1], denominatorBound: early[1], proved: false,
                     step: step - 1) == true {
            return (numerators, denominators, spent)
          }
        }
        return nil
      }
      spent += cost
      switch mode {
      case .big:
        for e in 0..<count {
          reduced[e] = ar.centred(UInt64(__gmpz_fdiv_ui(wideResidual.storage + e, UInt(prime))))
        }
      case .doubleWords:
        for e in 0..<count {
          // R mod p without a division: R = a·2^84 + b·2^42 + c (|a| < 2^43, 0 ≤ b, c < 2^42),
          // a and b reduced first, so that every value formed stays below 2^50 (exact).
          let x = residual2[e]
          let a = Double(Int64(truncatingIfNeeded: x >> 84))
          let b = Double(Int64(truncatingIfNeeded: (x >> 42) & mask42))
          let c = Double(Int64(truncatingIfNeeded: x & mask42))
          reduced[e] = ar.reduce(ar.reduce(a) * twoTo84 + ar.reduce(b) * twoTo42 + c)
        }
      case .quadWords:
        for e in 0..<count {
          reduced[e] = ar.centred(residual4[e].residue(modulo: prime, twoTo64: twoTo64Mod, twoTo256: twoTo256Mod))
        }
      case .words:
        for e in 0..<count { reduced[e] = ar.reduce(Double(residual[e])) }
      }
      // digit = −B⁻¹·R mod p, so X_i = −digit.
      digit.initialize(repeating: 0, count: count)
      ar.multiplySubtract(
        c: digit, ldc: sa, l: inverse, u: reduced, ldu: sa, rows: r, cols: sa, k: r, reducing: true, threads: threads)
      // R ← (R − B·X_i)/p = (R + Σ_l 2^(l·w)·B_l·digit)/p, exact. The slices −B_l lie one
      // below the other (an (slices·r)×r matrix): one product for all of them.
      product.initialize(repeating: 0, count: slices * count)
      ar.multiplySubtract(
        c: product, ldc: sa, l: sliced, u: digit, ldu: sa, rows: slices * r, cols: sa, k: r, reducing: false,
        threads: threads)
      for l in 0..<slices {
        let product = product + l * count
        switch mode {
        case .big:
          let t = shiftScratch[0]
          for e in 0..<count where product[e] != 0 {
            __gmpz_set_si(t, Int(product[e]))
            __gmpz_mul_2exp(t, t, UInt(l * w))
            __gmpz_add(wideResidual.storage + e, wideResidual.storage + e, t)
          }
        case .doubleWords:
          let shift = Int128(l * w)
          for e in 0..<count { residual2[e] = residual2[e] &+ (Int128(Int64(product[e])) &<< shift) }
        case .quadWords:
          let shift = l * w
          for e in 0..<count { residual4[e].add(Int64(product[e]), shiftedBy: shift) }
        case .words:
          let shift = Int64(l * w)
          for e in 0..<count { residual[e] += Int64(product[e]) << shift }
        }
      }
      for e in 0..<count {
        switch mode {
        case .big: __gmpz_divexact_ui(wideResidual.storage + e, wideResidual.storage + e, UInt(prime))
        case .doubleWords: residual2[e] = residual2[e] &* pInverse128  // exact: p divides it
        case .quadWords: residual4[e].divideExactly(by: prime)
        case .words: residual[e] /= pSigned
        }
        digits[filled * count + e] = Int32(-digit[e])
      }
      filled += 1
      if filled == group {
        fold(digits, filled: filled, into: acc, base: base[0], prime: prime, threads: threads)
        __gmpz_mul(base[0], base[0], base[1])
        filled = 0
      }
      if (step == nextCheck || extraChecks.contains(step)) && step < steps {
        if step == nextCheck { nextCheck = step < 16 ? 2 * step : step + step / 4 }
        lastChecked = step
        foldPending()
        // Balanced bounds 2^h with 2·2^(2h) < 2^(step·⌊log2 p⌋) ≤ p^step.
        let h = (step * digitBits - 2) / 2
        let early = MPZScratch(2)  // P, N = D
        __gmpz_ui_pow_ui(early[0], UInt(prime), UInt(step))
        __gmpz_setbit(early[1], UInt(h))
        // acc (digits folded, |acc| < P) goes in as it is: `reconstructColumns` reduces what
        // it reads, so a failing column costs a few entries, not a pass over all of them.
        if harvest(modulus: early[0], numeratorBound: early[1], denominatorBound: early[1], proved: false, step: step)
          == true
        {
          return (numerators, denominators, spent)
        }
      }
    }
    foldPending()

    // Rational reconstruction of the columns left, with the proved bounds.
    let modulus = MPZScratch(1)
    __gmpz_ui_pow_ui(modulus[0], UInt(prime), UInt(steps))
    let bounds = MPZScratch(2)  // N, D
    __gmpz_setbit(bounds[0], UInt(logN))
    __gmpz_setbit(bounds[1], UInt(logD))
    guard harvest(modulus: modulus[0], numeratorBound: bounds[0], denominatorBound: bounds[1], proved: true, step: steps)
      != nil
    else { return nil }
    return (numerators, denominators, spent)
  }

  /// How the lifting keeps its residual.
  enum ResidualMode { case words, doubleWords, quadWords, big }

  /// The value of an integer below 2^127 in magnitude.
  static func int128(_ z: UnsafePointer<__mpz_struct>) -> Int128 {
    let lo = magnitudeBits(z, from: 0, count: 64), hi = magnitudeBits(z, from: 64, count: 64)
    let m = Int128(hi) << 64 | Int128(lo)
    return cgmp_mpz_sgn(z) < 0 ? -m : m
  }

  /// For each candidate column t (denominator found), whether B·z_t ≡ d_t·C[:, active[t]]
  /// modulo the check prime (B given there as centred doubles): one product through the
  /// double kernel for all columns. A wrong column passes with probability about r/q.
  static func passColumnChecks(
    _ bq: UnsafePointer<Double>, _ c: IntegerMatrix, _ z: IntegerMatrix, _ found: [BigInt?], active: [Int],
    ar: _CentredArithmetic, threads: Int
  ) -> [Bool] {
    let r = z.rows, s = z.cols, q = UInt(ar.pInt)
    let zq = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    let prod = UnsafeMutablePointer<Double>.allocate(capacity: r * s)
    defer {
      zq.deallocate()
      prod.deallocate()
    }
    for i in 0..<r {
      for t in 0..<s { zq[i * s + t] = found[t] == nil ? 0 : ar.centred(UInt64(__gmpz_fdiv_ui(z.entry(i, t), q))) }
    }
    prod.initialize(repeating: 0, count: r * s)
    ar.multiplySubtract(c: prod, ldc: s, l: bq, u: zq, ldu: s, rows: r, cols: s, k: r, reducing: true, threads: threads)
    return (0..<s).map { t in
      guard let d = found[t] else { return false }
      let dq = ar.centred(d.residue(modulo: ar.pInt))
      for i in 0..<r {
        // prod = −B·z; it passes when −B·z + d·c ≡ 0.
        let cq = ar.centred(UInt64(__gmpz_fdiv_ui(c.entry(i, active[t]), q)))
        if ar.reduce(prod[i * s + t] + ar.reduce(dq * cq)) != 0 { return false }
      }
      return true
    }
  }

  /// Estimated word operations of one lifting step for an r×r system with s right-hand
  /// sides: the product modulo p and one exact product per slice (about 8 multiply-adds a
  /// cycle), plus the GMP operations on a wide residual.
  static func workPerStep(size r: Int, columns s: Int, slices: Int, wide: Bool) -> Int {
    max(1, r * r * s * (1 + slices) / 8 + r * s * (wide ? 16 * slices : 2 + slices))
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
        top = max(top, mpzBitLength(row + j))
        count += 1
      }
      if let c {
        let extra = c.rowPointer(i)
        var topC = 0
        for j in 0..<c.cols where cgmp_mpz_sgn(extra + j) != 0 { topC = max(topC, mpzBitLength(extra + j)) }
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
    inverseModP(size: b.rows, ar) { i, j in UInt64(__gmpz_fdiv_ui(b.entry(i, j), UInt(ar.pInt))) }
  }

  /// `inverseModP(_:_:)` for the r×r matrix whose entry (i, j) is `residue(i, j)` modulo p.
  static func inverseModP(
    size r: Int, _ ar: _CentredArithmetic, residue: (Int, Int) -> UInt64
  ) -> UnsafeMutablePointer<Double>? {
    let w = 2 * r
    let a = UnsafeMutablePointer<Double>.allocate(capacity: r * w)
    defer { a.deallocate() }
    a.initialize(repeating: 0, count: r * w)
    for i in 0..<r {
      for j in 0..<r { a[i * w + j] = ar.centred(residue(i, j)) }
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
  /// column's denominators). Column k's denominator is nil when some entry of it has no such
  /// fraction (its numerators are then meaningless); the other columns are still found.
  ///
  /// One denominator per column, not one for the whole matrix: the columns are separate
  /// systems (one kernel vector each), and a shared denominator is the lcm of all of theirs —
  /// 75 bits for the 12 kernel vectors of the p = 188 n·H_o whose own denominators have at
  /// most 10, so that early termination would need 8 lifting steps instead of 2.
  ///
  /// With `knownDenominator` d (the probe's), a column is first tried as d·x; with
  /// `missingFactors`, also as d·e·x for a small factor e (≤ 2^32) that d misses (see
  /// `withKnownDenominator`): without it, the 34 largest kernel vectors of the p = 510 J at
  /// --range 1000 were lifted to the full 112 steps of rational reconstruction instead of 50.
  static func reconstructColumns(
    _ x: IntegerMatrix, modulus: UnsafeMutablePointer<__mpz_struct>,
    numeratorBound: UnsafeMutablePointer<__mpz_struct>, denominatorBound: UnsafeMutablePointer<__mpz_struct>,
    knownDenominator: BigInt? = nil, missingFactors: Bool = false, threads: Int
  ) -> (numerators: IntegerMatrix, denominators: [BigInt?]) {
    let rows = x.rows, cols = x.cols
    let out = IntegerMatrix(rows: rows, cols: cols)
    let found = Mutex<[BigInt?]>(Array(repeating: nil, count: cols))
    let shared = (_SharedPointer(base: modulus), _SharedPointer(base: numeratorBound),
                  _SharedPointer(base: denominatorBound))
    let parts = rows * cols >= 64 ? max(1, min(threads, cols, 8)) : 1
    // With a known common denominator d: column k is d·x mod P (balanced) when that is below
    // P/2^20 in every entry (an integer solution has stopped changing; the caller checks it).
    let knownLimit = MPZScratch(3)  // P/2^20; P/2^53 and 2^32, the bounds for a missing factor
    __gmpz_fdiv_q_2exp(knownLimit[0], modulus, 20)
    __gmpz_fdiv_q_2exp(knownLimit[1], modulus, 53)
    __gmpz_setbit(knownLimit[2], 32)
    let limit = _SharedPointer(base: knownLimit[0])
    let factorBounds = (_SharedPointer(base: knownLimit[1]), _SharedPointer(base: knownLimit[2]))
    /// The column's candidate with the known denominator d, or with d·e when d misses a small
    /// factor e ≤ 2^32 of the column's denominator (the probe's random combination, with
    /// coefficients below 256, can cancel small primes of a column's denominator: d·x then
    /// has fractions a/e, found by rational reconstruction of one entry with |a| ≤ P/2^53,
    /// at most twice). Returns the denominator used, or nil.
    @Sendable func withKnownDenominator(_ d: BigInt, column k: Int) -> BigInt? {
      let t = MPZScratch(3)
      d.copy(into: t[0])
      var extensions = 0
      var i = 0
      while i < rows {
        let y = out.storage + (i * cols + k)
        __gmpz_mul(y, x.storage + (i * cols + k), t[0])
        __gmpz_fdiv_r(y, y, shared.0.base)
        __gmpz_set(t[2], y)  // in [0, P) for the Euclidean algorithm
        __gmpz_mul_2exp(t[1], y, 1)
        if __gmpz_cmp(t[1], shared.0.base) > 0 { __gmpz_sub(y, y, shared.0.base) }
        if __gmpz_cmpabs(y, limit.base) > 0 {
          // e = 1 would change nothing: the entry is not a small-denominator fraction.
          guard missingFactors, extensions < 2,
            let e = rationalReconstruction(t[2], shared.0.base, factorBounds.0.base, factorBounds.1.base),
            e != BigInt(1)
          else { return nil }
          (BigInt(copying: t[0]) * e).copy(into: t[0])
          extensions += 1
          i = 0
          continue
        }
        i += 1
      }
      return BigInt(copying: t[0])
    }
    let body: @Sendable (Int) -> Void = { part in
      let t = MPZScratch(4)  // d, d·N, 2y, x mod P
      var k = part
      columns: while k < cols {
        defer { k += parts }
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
          // A known common denominator first (one product per entry, and it fails at the first
          // entry that is not yet explained), before the extended Euclidean algorithm, which a
          // column still too large for the bounds runs in full at every checkpoint.
          if let knownDenominator, cgmp_mpz_cmp_si(t[0], 1) == 0,
            let dk = withKnownDenominator(knownDenominator, column: k)
          {
            found.withLock { $0[k] = dk }
            continue columns
          }
          // Reconstruct this entry alone, enlarge d by its denominator, start the column again.
          __gmpz_fdiv_r(t[3], xe, shared.0.base)  // in [0, P) for the Euclidean algorithm
          let b = rationalReconstruction(t[3], shared.0.base, shared.1.base, shared.2.base)
          if let b { BigInt.lcm(BigInt(copying: t[0]), b).copy(into: t[0]) }
          guard b != nil, __gmpz_cmp(t[0], shared.2.base) <= 0 else {
            if let knownDenominator, let dk = withKnownDenominator(knownDenominator, column: k) {
              found.withLock { $0[k] = dk }
            }
            continue columns
          }
          __gmpz_mul(t[1], t[0], shared.1.base)
          i = 0
        }
        let d = BigInt(copying: t[0])
        found.withLock { $0[k] = d }
      }
    }
    if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    withExtendedLifetime(knownLimit) {}
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
