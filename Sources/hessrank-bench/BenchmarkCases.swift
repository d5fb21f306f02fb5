import Exact
import ExactLinearAlgebra
import Foundation

/// One benchmark matrix: reproducible from its description alone.
struct BenchMatrix: Codable, Hashable {
  /// "dense" (uniform entries) or "lowrank" (A·B with inner dimension `rank`).
  var kind: String
  var n: Int
  /// Inner dimension for "lowrank"; n for "dense".
  var rank: Int
  /// Entries (of A and B for "lowrank") uniform in [−2^bits + 1, 2^bits − 1].
  var bits: Int
  var seed: UInt64

  var name: String { kind == "dense" ? "dense \(n)×\(n), \(bits)-bit" : "A·B \(n)×\(n), r=\(rank), \(bits)-bit factors" }
  var fileName: String { "\(kind)-\(n)-r\(rank)-b\(bits)-s\(seed).txt" }
  var bound: Int { (1 << bits) - 1 }

  /// The matrix over Z.
  func integerMatrix() -> IntegerMatrix {
    var rng = SeededRandom(seed: seed)
    if kind == "dense" {
      let m = IntegerMatrix(rows: n, cols: n)
      for i in 0..<n {
        for j in 0..<n { m[i, j] = BigInt(rng.nextInt(in: -bound...bound)) }
      }
      return m
    }
    let a = IntegerMatrix(rows: n, cols: rank), b = IntegerMatrix(rows: rank, cols: n)
    for i in 0..<n { for j in 0..<rank { a[i, j] = BigInt(rng.nextInt(in: -bound...bound)) } }
    for i in 0..<rank { for j in 0..<n { b[i, j] = BigInt(rng.nextInt(in: -bound...bound)) } }
    return a.multiply(b)
  }

  /// The same matrix modulo p, built without big integers (entries of A·B fit in Int64).
  func modularMatrix(_ field: PrimeField) -> ModularMatrix {
    var rng = SeededRandom(seed: seed)
    var m = ModularMatrix(rows: n, cols: n, field: field)
    if kind == "dense" {
      m.withUnsafeMutableBufferPointer { buf in
        for k in 0..<(n * n) { buf[k] = field.element(rng.nextInt(in: -bound...bound)) }
      }
      return m
    }
    let a = (0..<(n * rank)).map { _ in rng.nextInt(in: -bound...bound) }
    let b = (0..<(rank * n)).map { _ in rng.nextInt(in: -bound...bound) }
    m.withUnsafeMutableBufferPointer { buf in
      var row = [Int](repeating: 0, count: n)
      for i in 0..<n {
        for j in 0..<n { row[j] = 0 }
        for t in 0..<rank {
          let x = a[i * rank + t]
          if x == 0 { continue }
          for j in 0..<n { row[j] += x * b[t * n + j] }
        }
        for j in 0..<n { buf[i * n + j] = field.element(row[j]) }
      }
    }
    return m
  }
}
