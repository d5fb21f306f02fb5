import Exact
import Testing

@testable import ExactLinearAlgebra

/// Kernel certificates written through each lifting route — the word-size lifting
/// (`WordDixonLifting`, small problems with small entries), the p-adic lifting with a 128-bit
/// residual (entries of 40–60 bits), a 256-bit one (`Int256Residual`, 130–220 bits) and a GMP
/// one (entries past 250 bits) — hold
/// untampered and are rejected by the checker after each tampering: a kernel entry changed, the
/// rank lowered or raised, a pivot changed, a kernel vector dropped. The certificates do not
/// depend on the number of threads, nor on whether several are proved side by side
/// (`ConcurrentCertification`); the Gram product in doubles equals the product over Z.
@Suite struct LiftedCertificateTests {
  /// A·B with m×r and r×n factors whose entries have `bits` bits: rank r (checked).
  static func product(_ m: Int, _ r: Int, _ n: Int, bits: Int, seed: UInt64) -> IntegerMatrix {
    var rng = SeededRandom(seed: seed)
    let a = OutputSensitiveRankTests.wide(m, r, bits: bits, rng: &rng)
    let b = OutputSensitiveRankTests.wide(r, n, bits: bits, rng: &rng)
    return a.multiply(b)
  }

  enum Route: CaseIterable { case words, int128, int256, gmp }

  /// A matrix whose kernel certificate is lifted through `route`, with its rank.
  static func matrix(for route: Route, large: Bool = false) -> (IntegerMatrix, rank: Int) {
    switch route {
    case .words: return large ? (product(140, 100, 130, bits: 8, seed: 3), 100) : (product(10, 5, 9, bits: 2, seed: 3), 5)
    case .int128: return large ? (product(140, 100, 130, bits: 22, seed: 4), 100) : (product(14, 7, 12, bits: 22, seed: 4), 7)
    case .int256: return large ? (product(140, 60, 130, bits: 62, seed: 5), 60) : (product(14, 7, 12, bits: 70, seed: 5), 7)
    case .gmp: return large ? (product(140, 30, 130, bits: 130, seed: 6), 30) : (product(14, 7, 12, bits: 130, seed: 6), 7)
    }
  }

  /// Whether the word-size lifting answers for this matrix's pivot minor (the route the
  /// certificate's kernel came through).
  static func wordRouteAnswers(_ m: IntegerMatrix, _ cert: RankCertificate) -> Bool {
    var isPivot = [Bool](repeating: false, count: m.cols)
    for c in cert.pivotCols { isPivot[c] = true }
    let others = (0..<m.cols).filter { !isPivot[$0] }
    return ExactRank.wordKernelVectors(
      of: m, pivotRows: cert.pivotRows, pivotCols: cert.pivotCols, others: others, prime: 16_777_259) != nil
  }

  func rejected(_ cert: RankCertificate, _ m: IntegerMatrix) -> Bool {
    (try? cert.verify(against: m, seed: 9)) == nil
  }

  @Test(arguments: Route.allCases) func tamperedCertificatesOfEachRouteAreRejected(_ route: Route) throws {
    let (m, rank) = Self.matrix(for: route)
    let cert = ExactRank.certify(m, seed: 1, route: .kernel)
    #expect(cert.rank == rank)
    #expect((try? cert.verify(against: m, seed: 9)) == rank)
    let kernel = try #require(cert.kernel)
    #expect(kernel.count == m.cols - rank)
    // The route really taken: words only for small entries; the lifting routes by size (the
    // 128-bit residual holds entries up to ~120 − 27 bits, the 256-bit one up to ~250 − 27).
    #expect(Self.wordRouteAnswers(m, cert) == (route == .words))
    let bits = m.maxEntryBits
    switch route {
    case .words: #expect(bits <= 16)
    case .int128: #expect(bits > 40 && bits < 60)
    case .int256: #expect(bits > 130 && bits < 200)
    case .gmp: #expect(bits > 250)
    }
    #expect(kernel.contains { v in v.values.contains { $0.magnitude > BigInt(1) } })

    // A kernel entry changed (in each vector in turn, the largest entry).
    for k in kernel.indices {
      var t = cert
      var changed = kernel
      let e = changed[k].values.indices.max { changed[k].values[$0].magnitude < changed[k].values[$1].magnitude }!
      changed[k].values[e] = changed[k].values[e] + BigInt(1)
      t.kernel = changed
      #expect(rejected(t, m), "changed entry of vector \(k) accepted")
    }
    // The rank lowered (one pivot dropped, the kernel as it was) and raised (a pivot added).
    var lower = cert
    lower.rank = rank - 1
    lower.pivotRows = Array(cert.pivotRows.dropLast())
    lower.pivotCols = Array(cert.pivotCols.dropLast())
    #expect(rejected(lower, m), "lowered rank accepted")
    var higher = cert
    higher.rank = rank + 1
    higher.pivotRows = cert.pivotRows + [(0..<m.rows).first { !cert.pivotRows.contains($0) }!]
    higher.pivotCols = cert.pivotCols + [(0..<m.cols).first { !cert.pivotCols.contains($0) }!]
    higher.kernel = Array(kernel.dropLast())
    #expect(rejected(higher, m), "raised rank accepted")
    // A pivot changed: a repeated pivot column, a repeated pivot row, one out of range.
    var pivot = cert
    pivot.pivotCols[1] = pivot.pivotCols[0]
    #expect(rejected(pivot, m), "repeated pivot column accepted")
    pivot = cert
    pivot.pivotRows[rank - 1] = pivot.pivotRows[0]
    #expect(rejected(pivot, m), "repeated pivot row accepted")
    pivot = cert
    pivot.pivotCols[0] = m.cols
    #expect(rejected(pivot, m), "out-of-range pivot accepted")
    // A kernel vector dropped (each in turn), and one replaced by a copy of another.
    for k in kernel.indices {
      var t = cert
      var fewer = kernel
      fewer.remove(at: k)
      t.kernel = fewer
      #expect(rejected(t, m), "dropped vector \(k) accepted")
    }
    var copied = cert
    var twice = kernel
    twice[0] = twice[kernel.count - 1]
    copied.kernel = twice
    #expect(rejected(copied, m), "repeated vector accepted")
    // The untampered certificate still holds after a JSON round trip.
    #expect((try? RankCertificateTests.roundTrip(cert).verify(against: m, seed: 3)) == rank)
  }

  /// On matrices large enough for `certify` to use its threads (rows·cols·min ≥ 2^21), each
  /// route gives the same certificate with 1 and 2 threads; it holds, and a changed kernel
  /// entry is rejected.
  @Test(arguments: Route.allCases) func sameCertificatesWithOneAndTwoThreads(_ route: Route) throws {
    let (m, rank) = Self.matrix(for: route, large: true)
    #expect(m.rows * m.cols * min(m.rows, m.cols) >= ExactRank.singleThreadWork)
    let one = ExactRank.certify(m, seed: 2, threads: 1, route: .kernel)
    let two = ExactRank.certify(m, seed: 2, threads: 2, route: .kernel)
    #expect(one == two)
    #expect(one.rank == rank)
    #expect((try? one.verify(against: m, seed: 4)) == rank)
    var t = one
    var kernel = try #require(one.kernel)
    kernel[kernel.count / 2].values[0] = kernel[kernel.count / 2].values[0] - BigInt(1)
    t.kernel = kernel
    #expect(rejected(t, m))
  }

  /// Side by side (`ConcurrentCertification`) the certificates are the ones `certify` gives
  /// one after another, in the given order; it declines for one thread or one matrix.
  @Test func sideBySideCertificatesEqualSequentialOnes() throws {
    let matrices = [Self.matrix(for: .gmp).0, Self.matrix(for: .words, large: true).0,
                    Self.matrix(for: .int128).0, Self.matrix(for: .words).0]
    let side = try #require(ConcurrentCertification.certify(matrices: matrices, seed: 6, threads: 2) { _ in })
    #expect(side.count == matrices.count)
    for (m, s) in zip(matrices, side) {
      #expect(s.certificate == ExactRank.certify(m, seed: 6, threads: 2))
      #expect((try? s.certificate.verify(against: m, seed: 1)) == s.certificate.rank)
    }
    #expect(ConcurrentCertification.certify(matrices: matrices, seed: 6, threads: 1) { _ in } == nil)
    #expect(ConcurrentCertification.certify(matrices: [matrices[0]], seed: 6, threads: 2) { _ in } == nil)
  }

  /// MᵀM through the split product in doubles equals the product over Z, at entry sizes
  /// around the limit 2·⌈bits/2⌉ + ⌈log2(rows + 1)⌉ ≤ 53 (and past it, on the other paths).
  @Test func gramInDoublesEqualsTheProductOverZ() throws {
    var rng = SeededRandom(seed: 8)
    var viaDoubles = 0
    // 2·⌈bits/2⌉ + ⌈log2(rows + 1)⌉: 34, 47, 52, 53, 53 (at the limit), 55, 57 (past it), 38.
    for (rows, bits) in [(40, 28), (64, 40), (63, 46), (64, 46), (300, 44), (300, 46), (100, 50), (33, 31)] {
      let m = OutputSensitiveRankTests.wide(rows, 36, bits: bits, rng: &rng)
      m[0, 0] = BigInt(-((1 << bits) - 1))  // the extreme entries of this size
      m[1, 1] = BigInt((1 << bits) - 1)
      let words = try #require(m.wordEntries())
      let maxBits = UInt.bitWidth - words.reduce(0) { max($0, $1.magnitude) }.leadingZeroBitCount
      let rowBits = Int.bitWidth - rows.leadingZeroBitCount
      let expected = m.transposed().multiply(m)
      let probe = IntegerMatrix(rows: 36, cols: 36)
      if m.gramInDoubles(words, bits: maxBits, rowBits: rowBits, into: probe, threads: 2) {
        viaDoubles += 1
        #expect(2 * ((maxBits + 1) / 2) + rowBits <= 53)
        #expect(probe == expected)
      } else {
        #expect(2 * ((maxBits + 1) / 2) + rowBits > 53)
      }
      #expect(m.gram(threads: 1) == expected)
      #expect(m.gram(threads: 2) == expected)
    }
    #expect(viaDoubles >= 4)
  }

  /// `Int256Residual` against big integers: a random walk of shifted additions (both signs,
  /// every shift from 0 to 190), residues modulo primes, and exact divisions by them, with
  /// values up to ~2^250 in magnitude and across zero.
  @Test func int256ResidualAgreesWithBigIntegers() {
    var rng = SeededRandom(seed: 11)
    func power(_ k: Int) -> BigInt {
      var x = BigInt(1)
      for _ in 0..<(k / 30) { x = x * BigInt(1 << 30) }
      return x * BigInt(1 << (k % 30))
    }
    func value(_ x: Int256Residual) -> BigInt {
      var m = x
      let negative = m.isNegative
      if negative { m.negate() }
      var v = BigInt(0)
      for limb in [m.limbs.3, m.limbs.2, m.limbs.1, m.limbs.0] {
        v = v * power(64) + BigInt(limb)
      }
      return negative ? BigInt(0) - v : v
    }
    for prime: UInt64 in [16_777_259, 8_388_617, 4_294_967_291] {
      let twoTo64 = UInt64((UInt128(1) << 64) % UInt128(prime))
      var twoTo256 = twoTo64
      for _ in 0..<2 { twoTo256 = UInt64((UInt128(twoTo256) * UInt128(twoTo256)) % UInt128(prime)) }
      var x = Int256Residual.zero
      var expected = BigInt(0)
      for step in 0..<400 {
        let shift = rng.nextInt(in: 0...190)  // 50 steps stay below 2^250
        let v = Int64(rng.nextInt(in: -(1 << 53)...(1 << 53)))
        x.add(v, shiftedBy: shift)
        expected = expected + BigInt(Int(v)) * power(shift)
        #expect(value(x) == expected, "step \(step)")
        let r = expected.residue(modulo: prime)
        #expect(x.residue(modulo: prime, twoTo64: twoTo64, twoTo256: twoTo256) == r)
        if step % 7 == 0 {
          // Make the value divisible by p, then divide.
          x.add(-Int64(r), shiftedBy: 0)
          expected = expected - BigInt(Int(r))
          x.divideExactly(by: prime)
          expected = expected.dividedExactly(by: BigInt(prime))
          #expect(value(x) == expected, "division at step \(step)")
        }
        if step % 50 == 49 {  // back near zero, to cross it
          x = Int256Residual.zero
          expected = BigInt(0)
        }
      }
    }
  }
}
