import Exact

/// A checkable proof about the rank of one integer matrix, without the matrix itself.
///
/// * **Lower bound** (always present): pivot rows R and columns C with |R| = |C| = `rank`
///   such that det M[R, C] ≠ 0. A determinant that is nonzero modulo *any* prime is nonzero
///   over Z, so the checker evaluates it modulo fresh random primes (exactly, by Bareiss, only
///   when every prime divides it and the minor is small). This proves rank ≥ `rank`.
/// * **Upper bound**, one of (both may be present; each is checked):
///   * `kernel`: `cols − rank` integer vectors with M·v = 0 exactly over Z, linearly
///     independent (the checker finds a maximal minor of the stacked vectors that is nonzero
///     modulo a prime). This proves nullity ≥ cols − rank, i.e. rank ≤ `rank`.
///   * `upperBoundPrimes`: distinct primes modulo each of which M has rank ≤ `rank`, whose
///     product exceeds Hadamard's bound on the (rank+1)-minors of M (`PrimeProductProof`).
///     A nonzero (rank+1)-minor would be divisible by their product and larger than itself.
///   When `rank` = min(rows, cols) the lower bound alone proves the rank.
///
/// The same type serves a matrix the caller rebuilds (e.g. a Hessian regenerated from a
/// network configuration) and the `matrix-rank` certificate file, which wraps it together
/// with the matrix (`MatrixRankCertificateFile`). In JSON, big integers are decimal strings
/// and the `format` field carries `RankCertificate.currentFormat`.
public struct RankCertificate: Sendable, Equatable {
  /// The format identifier written into new certificates.
  public static let currentFormat = "hessrank-rank-certificate/1"

  /// The format identifier (`currentFormat`).
  public var format: String
  /// The number of rows of the matrix the certificate is about.
  public var rows: Int
  /// The number of columns.
  public var cols: Int
  /// The rank claimed (exact when `kernel` is present or the rank is min(rows, cols)).
  public var rank: Int
  /// The rows of a nonsingular `rank`×`rank` minor.
  public var pivotRows: [Int]
  /// The columns of that minor.
  public var pivotCols: [Int]
  /// det M[pivotRows, pivotCols] (rows in the listed order), when known; checked modulo the
  /// verification primes.
  public var minorDeterminant: BigInt?
  /// `cols − rank` independent integer kernel vectors, or nil.
  public var kernel: [SparseIntegerVector]?
  /// Distinct primes modulo which rank(M) ≤ `rank`, with product above the Hadamard bound of
  /// the (rank+1)-minors, or nil. Without this and `kernel` the certificate proves a lower bound.
  public var upperBoundPrimes: [UInt64]?
  /// How the certificate was produced (informational, not checked).
  public var method: String?

  /// A certificate; `format` is `currentFormat`.
  public init(
    rows: Int, cols: Int, rank: Int, pivotRows: [Int], pivotCols: [Int],
    minorDeterminant: BigInt? = nil, kernel: [SparseIntegerVector]? = nil, upperBoundPrimes: [UInt64]? = nil,
    method: String? = nil
  ) {
    self.format = Self.currentFormat
    self.rows = rows
    self.cols = cols
    self.rank = rank
    self.pivotRows = pivotRows
    self.pivotCols = pivotCols
    self.minorDeterminant = minorDeterminant
    self.kernel = kernel
    self.upperBoundPrimes = upperBoundPrimes
    self.method = method
  }

  /// True when a successful verification proves the exact rank (an upper-bound part is
  /// present, or the rank is min(rows, cols)); otherwise it proves a lower bound.
  public var provesExactRank: Bool { kernel != nil || upperBoundPrimes != nil || rank == min(rows, cols) }

  /// Re-checks the certificate against `matrix` from scratch and returns the proved value:
  /// the exact rank when `provesExactRank`, else a proved lower bound.
  ///
  /// - Parameters:
  ///   - seed: fixes the verification primes; nil draws them from the system generator.
  ///   - primes: how many fresh primes to try before an exact fallback (at least 1).
  /// - Throws: `RankCertificateError` naming the first defect found.
  @discardableResult
  public func verify(against matrix: IntegerMatrix, seed: UInt64? = nil, primes: Int = 3) throws -> Int {
    try verification(against: matrix, seed: seed, primes: primes).rank
  }

  /// Like `verify(against:seed:primes:)`, with what was proved and how.
  public func verification(against matrix: IntegerMatrix, seed: UInt64? = nil, primes: Int = 3) throws
    -> RankVerification
  {
    try RankCertificateChecker(certificate: self, matrix: matrix, seed: seed, primes: max(1, primes)).run()
  }
}

/// What a successful verification proved.
public struct RankVerification: Sendable, Equatable {
  /// The proved rank (when `isExact`) or proved lower bound.
  public let rank: Int
  /// True when the rank is proved exactly, false for a lower bound only.
  public let isExact: Bool
  /// The primes the minor (and kernel independence) were checked modulo.
  public let primes: [UInt64]
  /// One line: what was proved and how.
  public let summary: String
}

/// Why a certificate was rejected.
public enum RankCertificateError: Error, Equatable, CustomStringConvertible {
  /// The `format` field names a format this version does not read.
  case unsupportedFormat(String)
  /// The certificate is about a matrix of another shape.
  case shapeMismatch(certificate: String, matrix: String)
  /// A count that must match does not (what, expected, found).
  case wrongCount(String, expected: Int, found: Int)
  /// An index outside the matrix.
  case indexOutOfRange(String, Int)
  /// An index listed twice (or, in a kernel vector, out of increasing order).
  case duplicateIndex(String, Int)
  /// det M[R, C] = 0.
  case singularMinor(String)
  /// The stated determinant of the minor is not its determinant.
  case determinantMismatch
  /// Kernel vector number k (0-based) is not annihilated by the matrix.
  case notInKernel(Int)
  /// The kernel vectors are linearly dependent.
  case dependentKernelVectors(String)
  /// An upper-bound prime is not a prime below 2^62, or is listed twice.
  case invalidPrime(UInt64)
  /// The matrix has a larger rank modulo an upper-bound prime (prime, rank found).
  case rankAboveModulo(UInt64, Int)
  /// The upper-bound primes' product does not pass the Hadamard bound (bits reached, needed).
  case tooFewPrimes(Int, Int)

  /// One line for the user.
  public var description: String {
    switch self {
    case .unsupportedFormat(let f): return "unsupported certificate format '\(f)' (this version reads '\(RankCertificate.currentFormat)')"
    case .shapeMismatch(let c, let m): return "certificate is for a \(c) matrix, the matrix is \(m)"
    case .wrongCount(let what, let e, let f): return "\(what): expected \(e), found \(f)"
    case .indexOutOfRange(let what, let i): return "\(what): index \(i) is out of range"
    case .duplicateIndex(let what, let i): return "\(what): index \(i) is repeated or out of order"
    case .singularMinor(let how): return "the pivot minor is singular (\(how))"
    case .determinantMismatch: return "the stated determinant of the pivot minor is wrong"
    case .notInKernel(let k): return "kernel vector \(k) is not in the kernel (M·v ≠ 0)"
    case .dependentKernelVectors(let how): return "the kernel vectors are linearly dependent (\(how))"
    case .invalidPrime(let p): return "upper-bound prime \(p) is not a prime below 2^62 or is listed twice"
    case .rankAboveModulo(let p, let r): return "the matrix has rank \(r) modulo upper-bound prime \(p), more than the certified rank"
    case .tooFewPrimes(let have, let need):
      return "the upper-bound primes reach 2^\(have), short of the Hadamard bound 2^\(need) on the (rank+1)-minors"
    }
  }
}

/// The checks behind `RankCertificate.verification(against:seed:primes:)`.
struct RankCertificateChecker {
  let certificate: RankCertificate
  let matrix: IntegerMatrix
  let seed: UInt64?
  let primes: Int
  /// Exact (Bareiss) fallbacks are attempted only up to this many rows; beyond, a minor
  /// that vanishes modulo every verification prime is rejected.
  static let exactFallbackLimit = 400

  func run() throws -> RankVerification {
    let c = certificate
    guard c.format == RankCertificate.currentFormat else { throw RankCertificateError.unsupportedFormat(c.format) }
    guard c.rows == matrix.rows, c.cols == matrix.cols else {
      throw RankCertificateError.shapeMismatch(
        certificate: "\(c.rows)×\(c.cols)", matrix: "\(matrix.rows)×\(matrix.cols)")
    }
    let full = min(c.rows, c.cols)
    guard c.rank >= 0, c.rank <= full else {
      throw RankCertificateError.wrongCount("rank (at most min(rows, cols) = \(full))", expected: full, found: c.rank)
    }
    guard c.pivotRows.count == c.rank else {
      throw RankCertificateError.wrongCount("pivot rows", expected: c.rank, found: c.pivotRows.count)
    }
    guard c.pivotCols.count == c.rank else {
      throw RankCertificateError.wrongCount("pivot columns", expected: c.rank, found: c.pivotCols.count)
    }
    try Self.checkDistinct(c.pivotRows, below: c.rows, what: "pivot rows")
    try Self.checkDistinct(c.pivotCols, below: c.cols, what: "pivot columns")
    let ps = ModularRank.randomPrimes(count: primes, seed: seed ?? UInt64.random(in: 0...UInt64.max))

    // Lower bound: det M[R, C] ≠ 0.
    var how = "rank 0"
    if c.rank > 0 {
      let minor = matrix.submatrix(rows: c.pivotRows, cols: c.pivotCols)
      var nonzeroModulo: UInt64?
      for p in ps {
        let field = PrimeField(unchecked: p)
        let d = minor.residues(modulo: field).determinant()
        if let stated = c.minorDeterminant, stated.residue(modulo: p) != d {
          throw RankCertificateError.determinantMismatch
        }
        if d != 0 && nonzeroModulo == nil { nonzeroModulo = p }
      }
      if let p = nonzeroModulo {
        how = "det M[R,C] ≢ 0 mod \(p)"
      } else if c.rank <= Self.exactFallbackLimit {
        let d = minor.determinant()
        if let stated = c.minorDeterminant, stated != d { throw RankCertificateError.determinantMismatch }
        guard !d.isZero else { throw RankCertificateError.singularMinor("exact determinant is 0") }
        how = "det M[R,C] ≠ 0 exactly"
      } else {
        throw RankCertificateError.singularMinor("determinant ≡ 0 modulo \(ps.count) random primes")
      }
    }

    // Upper bound by primes: rank ≤ rank modulo each, product above H_{rank+1}.
    var primeProof: String?
    if let ups = c.upperBoundPrimes {
      primeProof = try checkPrimeProduct(ups)
    }
    // Upper bound: cols − rank independent kernel vectors.
    guard let kernel = c.kernel else {
      let exact = c.rank == full || primeProof != nil
      let summary = exact
        ? "rank \(c.rank) proved: a nonsingular \(c.rank)×\(c.rank) minor (\(how)) and \(primeProof ?? "rank = min(rows, cols)")"
        : "rank ≥ \(c.rank) proved by a nonsingular \(c.rank)×\(c.rank) minor (\(how)); no upper-bound part"
      return RankVerification(rank: c.rank, isExact: exact, primes: ps, summary: summary)
    }
    let nullity = c.cols - c.rank
    guard kernel.count == nullity else {
      throw RankCertificateError.wrongCount("kernel vectors (cols − rank)", expected: nullity, found: kernel.count)
    }
    for (k, v) in kernel.enumerated() {
      guard v.indices.count == v.values.count else {
        throw RankCertificateError.wrongCount("entries of kernel vector \(k)", expected: v.indices.count, found: v.values.count)
      }
      var last = -1
      for j in v.indices {
        guard j >= 0 && j < c.cols else { throw RankCertificateError.indexOutOfRange("kernel vector \(k)", j) }
        guard j > last else { throw RankCertificateError.duplicateIndex("kernel vector \(k)", j) }
        last = j
      }
    }
    let words = matrix.wordEntries()
    for (k, v) in kernel.enumerated() where !matrix.annihilates(indices: v.indices, values: v.values, words: words) {
      throw RankCertificateError.notInKernel(k)
    }
    var independentModulo: UInt64?
    if nullity > 0 {
      for p in ps {
        let field = PrimeField(unchecked: p)
        var km = ModularMatrix(rows: nullity, cols: c.cols, field: field)
        for (k, v) in kernel.enumerated() {
          for (j, x) in zip(v.indices, v.values) { km[k, j] = x.residue(modulo: p) }
        }
        if km.rank() == nullity {
          independentModulo = p
          break
        }
      }
      if independentModulo == nil {
        guard nullity <= Self.exactFallbackLimit else {
          throw RankCertificateError.dependentKernelVectors("rank deficient modulo \(ps.count) random primes")
        }
        let km = IntegerMatrix(kernel.map { $0.dense(count: c.cols) })
        guard km.bareissRank() == nullity else {
          throw RankCertificateError.dependentKernelVectors("exact rank below \(nullity)")
        }
      }
    }
    let indep = nullity == 0 ? "" : independentModulo.map { ", independent mod \($0)" } ?? ", independent exactly"
    return RankVerification(
      rank: c.rank, isExact: true, primes: ps,
      summary: "rank \(c.rank) proved: nonsingular \(c.rank)×\(c.rank) minor (\(how)) and \(nullity) exact kernel vectors\(indep)")
  }

  /// Checks the `upperBoundPrimes` part and says what it proved.
  func checkPrimeProduct(_ primes: [UInt64]) throws -> String {
    let c = certificate
    var seen = Set<UInt64>()
    for q in primes {
      guard q < (1 << 62), Primality.isPrime(q), seen.insert(q).inserted else { throw RankCertificateError.invalidPrime(q) }
    }
    let needed = PrimeProductProof.requiredBits(of: matrix, rank: c.rank)
    let have = PrimeProductProof.guaranteedBits(primes)
    guard have >= needed else { throw RankCertificateError.tooFewPrimes(have, needed) }
    let found = PrimeProductProof.ranks(of: matrix, modulo: primes, threads: ModularElimination.defaultThreads)
    for (q, f) in zip(primes, found) where f.rank > c.rank { throw RankCertificateError.rankAboveModulo(q, f.rank) }
    return "rank ≤ \(c.rank) modulo \(primes.count) prime\(primes.count == 1 ? "" : "s") whose product (> 2^\(have)) passes the Hadamard bound 2^\(needed) of the \(c.rank + 1)-minors"
  }

  static func checkDistinct(_ indices: [Int], below bound: Int, what: String) throws {
    var seen = Set<Int>()
    for i in indices {
      guard i >= 0 && i < bound else { throw RankCertificateError.indexOutOfRange(what, i) }
      guard seen.insert(i).inserted else { throw RankCertificateError.duplicateIndex(what, i) }
    }
  }
}

// MARK: - JSON

extension SparseIntegerVector: Codable {
  enum CodingKeys: String, CodingKey { case indices, values }

  /// Decodes `{"indices": [Int], "values": ["decimal", …]}`.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let idx = try c.decode([Int].self, forKey: .indices)
    let vals = try c.decode([String].self, forKey: .values).map { s -> BigInt in
      guard let v = BigInt(s) else {
        throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription: "'\(s)' is not an integer")
      }
      return v
    }
    self.init(indices: idx, values: vals)
  }

  /// Encodes `{"indices": [Int], "values": ["decimal", …]}`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(indices, forKey: .indices)
    try c.encode(values.map(\.description), forKey: .values)
  }
}

extension RankCertificate: Codable {
  enum CodingKeys: String, CodingKey {
    case format, rows, cols, rank, pivotRows, pivotCols, minorDeterminant, kernel, upperBoundPrimes, method
  }

  /// Decodes the JSON form (big integers as decimal strings).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    format = try c.decode(String.self, forKey: .format)
    rows = try c.decode(Int.self, forKey: .rows)
    cols = try c.decode(Int.self, forKey: .cols)
    rank = try c.decode(Int.self, forKey: .rank)
    pivotRows = try c.decode([Int].self, forKey: .pivotRows)
    pivotCols = try c.decode([Int].self, forKey: .pivotCols)
    if let s = try c.decodeIfPresent(String.self, forKey: .minorDeterminant) {
      guard let d = BigInt(s) else {
        throw DecodingError.dataCorruptedError(
          forKey: .minorDeterminant, in: c, debugDescription: "'\(s)' is not an integer")
      }
      minorDeterminant = d
    } else {
      minorDeterminant = nil
    }
    kernel = try c.decodeIfPresent([SparseIntegerVector].self, forKey: .kernel)
    upperBoundPrimes = try c.decodeIfPresent([UInt64].self, forKey: .upperBoundPrimes)
    method = try c.decodeIfPresent(String.self, forKey: .method)
  }

  /// Encodes the JSON form (big integers as decimal strings).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(format, forKey: .format)
    try c.encode(rows, forKey: .rows)
    try c.encode(cols, forKey: .cols)
    try c.encode(rank, forKey: .rank)
    try c.encode(pivotRows, forKey: .pivotRows)
    try c.encode(pivotCols, forKey: .pivotCols)
    try c.encodeIfPresent(minorDeterminant?.description, forKey: .minorDeterminant)
    try c.encodeIfPresent(kernel, forKey: .kernel)
    try c.encodeIfPresent(upperBoundPrimes, forKey: .upperBoundPrimes)
    try c.encodeIfPresent(method, forKey: .method)
  }
}
