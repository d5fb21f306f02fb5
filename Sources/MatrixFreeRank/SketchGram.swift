import Exact

/// Sketch columns and exact Gram products AᵀB modulo P through BLAS.
enum SketchGram {
  /// Column `index` of the random sketch S (p entries uniform in F_P, centred), a function of
  /// (seed, index) alone so that any subset of columns can be regenerated.
  static func column(_ index: Int, seed: UInt64, rows p: Int, field: CentredResidues) -> [Double] {
    var rng = generator(index, seed: seed)
    let top = field.prime - 1
    return (0..<p).map { _ in field.centred(rng.next(in: 0...top)) }
  }

  /// The generator of column `index`.
  static func generator(_ index: Int, seed: UInt64) -> SeededRandom {
    SeededRandom(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15) ^ 0x5343_4F4C)  // "SCOL"
  }

  /// The p × b block (row-major) of sketch columns `indices`: the same entries as `column`,
  /// drawn row by row from one generator per column (writes in memory order; the uniform draw
  /// of `SeededRandom.next(in:)` with its rejection limit computed once).
  static func block(_ indices: [Int], seed: UInt64, rows p: Int, field: CentredResidues) -> [Double] {
    var out: [Double] = []
    fill(&out, indices, seed: seed, rows: p, field: field)
    return out
  }

  /// `block` written into `out`, reusing its storage when it already holds p × b entries (a
  /// sketch run regenerates every older block for each new one: fresh p × b arrays cost page
  /// faults).
  static func fill(_ out: inout [Double], _ indices: [Int], seed: UInt64, rows p: Int, field: CentredResidues) {
    let b = indices.count
    if out.count != p * b { out = [Double](repeating: 0, count: p * b) }
    var generators = indices.map { generator($0, seed: seed) }
    let n = field.prime
    let limit = UInt64.max - (UInt64.max % n + 1) % n  // as SeededRandom.next(in: 0...n − 1)
    out.withUnsafeMutableBufferPointer { o in
      generators.withUnsafeMutableBufferPointer { g in
        for r in 0..<p {
          for k in 0..<b {
            var v = g[k].next()
            while v > limit { v = g[k].next() }
            o[r * b + k] = field.centred(v % n)
          }
        }
      }
    }
  }

  /// AᵀB mod P (ca × cb, centred) for A (rows × ca) and B (rows × cb), both row-major and
  /// centred: `ResidueAlgebra.product` with A transposed (`dgemm` over slabs of `delay − 1` rows,
  /// reduced after each slab, so every partial sum is an integer below 2^53).
  static func transposeProduct(_ a: [Double], _ b: [Double], rows: Int, ca: Int, cb: Int,
                               field: CentredResidues, threads: Int) -> [Double] {
    ResidueAlgebra.product(a, b, m: ca, k: rows, n: cb, transA: true, field: field, threads: threads)
  }
}
