import CGMP
import Exact

/// One integer matrix prepared for many reductions modulo primes, each written straight into
/// the centred-double buffer the fast elimination works in (no `ModularMatrix` in between).
///
/// Entries below 2^52 in magnitude are kept as exact doubles and reduced with two exact
/// double steps (x − p·round(x/p), twice: the first quotient may be off by one, the second
/// is exact; q·p stays below 2^53, so every step is exact); larger machine-word entries use
/// integer remainders; others GMP.
final class ResidueSource: @unchecked Sendable {
  // @unchecked Sendable: immutable after init; workers only read it.
  let rows: Int
  let cols: Int
  private let doubles: [Double]?
  private let words: [Int]?
  private let matrix: IntegerMatrix

  init(_ matrix: IntegerMatrix) {
    self.matrix = matrix
    rows = matrix.rows
    cols = matrix.cols
    let w = matrix.wordEntries()
    if let w, w.allSatisfy({ $0.magnitude < 1 << 52 }) {
      doubles = w.map { Double($0) }
      words = nil
    } else {
      doubles = nil
      words = w
    }
  }

  /// The rank profile modulo `prime`, using `work` (rows·cols doubles) as scratch.
  func rankProfile(modulo prime: UInt64, work: UnsafeMutablePointer<Double>, threads: Int)
    -> (rank: Int, pivotRows: [Int], pivotCols: [Int])
  {
    guard rows > 0, cols > 0, let ar = _CentredArithmetic(prime: prime) else {
      return matrix.residues(modulo: PrimeField(unchecked: prime)).rankProfile(threads: threads)
    }
    fillCentred(work, ar)
    let e = _CentredDoubleElimination(arithmetic: ar, rows: rows, cols: cols, a: work, threads: max(1, threads)).run()
    return (e.rank, e.pivotRows, e.pivotCols)
  }

  private func fillCentred(_ work: UnsafeMutablePointer<Double>, _ ar: _CentredArithmetic) {
    let count = rows * cols
    if let doubles {
      doubles.withUnsafeBufferPointer { d in
        var k = 0
        while k + 4 <= count {
          let x = UnsafeRawPointer(d.baseAddress! + k).loadUnaligned(as: SIMD4<Double>.self)
          UnsafeMutableRawPointer(work + k).storeBytes(of: ar.reduce(ar.reduce(x)), as: SIMD4<Double>.self)
          k += 4
        }
        while k < count {
          work[k] = ar.reduce(ar.reduce(d[k]))
          k += 1
        }
      }
    } else if let words {
      let p = Int(ar.pInt)
      words.withUnsafeBufferPointer { w in
        for k in 0..<count { work[k] = ar.reduce(Double(w[k] % p)) }
      }
    } else {
      let p = UInt(ar.pInt)
      for k in 0..<count { work[k] = ar.centred(UInt64(__gmpz_fdiv_ui(matrix.entry(k / cols, k % cols), p))) }
    }
  }

  /// The rank profiles modulo each prime, several primes side by side (one thread each, one
  /// scratch buffer per worker) or one prime with all threads.
  func rankProfiles(modulo primes: [UInt64], threads: Int) -> [(rank: Int, pivotRows: [Int], pivotCols: [Int])] {
    let size = max(1, rows * cols)
    let workers = min(max(1, threads), max(1, primes.count))
    let buffers = (0..<workers).map { _ in _SharedPointer(base: UnsafeMutablePointer<Double>.allocate(capacity: size)) }
    defer { for b in buffers { b.base.deallocate() } }
    return PrimeProductProof.ranks(count: primes.count, threads: threads) { k, perPrime in
      self.rankProfile(modulo: primes[k], work: buffers[k % workers].base, threads: perPrime)
    }
  }
}
