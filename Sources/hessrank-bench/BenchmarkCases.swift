import Exact
import ExactLinearAlgebra
import Foundation

/// One benchmark matrix: reproducible from its description alone.
struct BenchMatrix: Codable, Hashable {
  /// "dense" (uniform entries), "lowrank" (A·B with inner dimension `rank`), or "file" (a
  /// matrix file, e.g. a Hessian written by `hessrank hessian`, at `path`). Dense and lowrank
  /// take any `bits` (entries beyond 62 bits are drawn 30 bits at a time).
  var kind: String
  var n: Int
  /// Inner dimension for "lowrank"; n for "dense".
  var rank: Int
  /// Entries (of A and B for "lowrank") uniform in [−2^bits + 1, 2^bits − 1].
  var bits: Int
  var seed: UInt64
  /// The matrix file of kind "file".
  var path: String? = nil

  var name: String {
    switch kind {
    case "dense": return "dense \(n)×\(n), \(bits)-bit"
    case "file": return (path as NSString?)?.lastPathComponent ?? "file"
    default: return "A·B \(n)×\(n), r=\(rank), \(bits)-bit factors"
    }
  }
  var fileName: String { kind == "file" ? name : "\(kind)-\(n)-r\(rank)-b\(bits)-s\(seed).txt" }
  var bound: Int { bits >= 62 ? Int.max : (1 << bits) - 1 }

  /// An entry uniform in [−2^bits + 1, 2^bits − 1].
  func entry(_ rng: inout SeededRandom) -> BigInt {
    if bits < 62 { return BigInt(rng.nextInt(in: -bound...bound)) }
    var v = BigInt(0)
    var left = bits
    while left > 0 {
      let take = min(left, 30)
      v = v * BigInt(1 << take) + BigInt(rng.nextInt(in: 0...((1 << take) - 1)))
      left -= take
    }
    return rng.nextInt(in: 0...1) == 0 ? v : -v
  }

  /// The matrix over Z (a file's rows scaled by the lcm of their denominators).
  func integerMatrix() -> IntegerMatrix {
    if kind == "file" {
      guard let path, let m = try? MatrixText.readScaled(contentsOf: path).matrix else {
        FileHandle.standardError.write(Data("cannot read the matrix file \(path ?? "")\n".utf8))
        exit(2)
      }
      return m
    }
    var rng = SeededRandom(seed: seed)
    if kind == "dense" {
      let m = IntegerMatrix(rows: n, cols: n)
      for i in 0..<n {
        for j in 0..<n { m[i, j] = entry(&rng) }
      }
      return m
    }
    let a = IntegerMatrix(rows: n, cols: rank), b = IntegerMatrix(rows: rank, cols: n)
    for i in 0..<n { for j in 0..<rank { a[i, j] = entry(&rng) } }
    for i in 0..<rank { for j in 0..<n { b[i, j] = entry(&rng) } }
    return a.multiply(b)
  }

  /// The same matrix modulo p, built without big integers (entries of A·B fit in Int64) when
  /// the entries are small.
  func modularMatrix(_ field: PrimeField) -> ModularMatrix {
    if kind == "file" || bits > 20 { return integerMatrix().residues(modulo: field) }
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
