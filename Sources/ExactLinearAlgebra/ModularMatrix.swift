import Exact
import Foundation

/// A dense matrix over the prime field Z/pZ: one contiguous row-major buffer of `UInt64`
/// residues in [0, p), together with its `PrimeField`.
///
/// Fill it through the subscript or, for speed, through `withUnsafeMutableBufferPointer`
/// (entry (i, j) is element `i * cols + j`; values must be reduced into [0, p)). It is a
/// value type (copy-on-write through its array).
///
/// `rankProfile()` and `rank()` run a blocked elimination with delayed reduction for
/// primes in [2^10, 2^26) (see `ModularElimination`); primes drawn by
/// `ModularRank.randomPrimes(count:seed:)` are in that range. Other primes below 2^63 use
/// a slower unblocked elimination with the same results.
public struct ModularMatrix: Sendable, Equatable {
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let cols: Int
  /// The field the entries live in.
  public let field: PrimeField
  @usableFromInline var storage: [UInt64]

  /// A `rows`×`cols` zero matrix over `field`.
  public init(rows: Int, cols: Int, field: PrimeField) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
    precondition(!overflow, "matrix too large")
    self.rows = rows
    self.cols = cols
    self.field = field
    storage = [UInt64](repeating: 0, count: count)
  }

  /// The matrix of the residues of machine integers (rows of equal length).
  public init(_ rowValues: [[Int]], field: PrimeField) {
    let c = rowValues.first?.count ?? 0
    self.init(rows: rowValues.count, cols: c, field: field)
    for (i, row) in rowValues.enumerated() {
      precondition(row.count == c, "ragged rows")
      for (j, v) in row.enumerated() { storage[i * c + j] = field.element(v) }
    }
  }

  /// Entry (i, j) in [0, p); assignments are reduced modulo p.
  @inlinable public subscript(i: Int, j: Int) -> UInt64 {
    get {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "index (\(i), \(j)) out of range")
      return storage[i * cols + j]
    }
    set {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "index (\(i), \(j)) out of range")
      storage[i * cols + j] = newValue % field.p
    }
  }

  /// Calls `body` with the row-major buffer (entry (i, j) at `i * cols + j`) for fast
  /// filling; every value written must lie in [0, p).
  @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<UInt64>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer(body)
  }

  /// Calls `body` with the read-only row-major buffer.
  @inlinable public func withUnsafeBufferPointer<R>(
    _ body: (UnsafeBufferPointer<UInt64>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  /// The entries in row-major order.
  public var entries: [UInt64] { storage }

  /// The submatrix with the given rows and columns, in the given order.
  public func submatrix(rows rowIndices: [Int], cols colIndices: [Int]) -> ModularMatrix {
    var s = ModularMatrix(rows: rowIndices.count, cols: colIndices.count, field: field)
    for (a, i) in rowIndices.enumerated() {
      for (b, j) in colIndices.enumerated() { s.storage[a * s.cols + b] = storage[i * cols + j] }
    }
    return s
  }

  /// The transpose.
  public func transposed() -> ModularMatrix {
    var t = ModularMatrix(rows: cols, cols: rows, field: field)
    for i in 0..<rows {
      for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] }
    }
    return t
  }

  /// The rank over Z/pZ.
  ///
  /// - Parameter threads: how many threads the elimination may use (default: all cores).
  /// - Complexity: O(rows · cols · rank) field operations; stops as soon as the rows not yet
  ///   used as pivots are zero.
  public func rank(threads: Int = ModularElimination.defaultThreads) -> Int {
    rankProfile(threads: threads).rank
  }

  /// The rank over Z/pZ with a rank profile: `pivotRows` (in pivot order) and `pivotCols`
  /// (increasing), both of length `rank`, such that the `rank`×`rank` minor
  /// M[pivotRows, pivotCols] is nonsingular modulo p.
  ///
  /// - Parameter threads: how many threads the elimination may use (default: all cores).
  public func rankProfile(threads: Int = ModularElimination.defaultThreads)
    -> (rank: Int, pivotRows: [Int], pivotCols: [Int])
  {
    ModularElimination.rankProfile(of: self, threads: threads)
  }

  /// The determinant over Z/pZ of a square matrix.
  public func determinant(threads: Int = ModularElimination.defaultThreads) -> UInt64 {
    precondition(rows == cols, "determinant of a non-square \(rows)×\(cols) matrix")
    if rows == 0 { return 1 % field.p }
    let e = ModularElimination.eliminate(self, threads: threads)
    guard e.rank == rows else { return 0 }
    var d: UInt64 = 1
    for v in e.pivotValues { d = field.multiply(d, v) }
    return permutationSign(e.pivotRows) < 0 ? field.negate(d) : d
  }
}
