import Exact

/// A self-contained rank certificate file: a rational matrix together with a
/// `RankCertificate` for it (what `hessrank matrix-rank --certificate` writes and
/// `hessrank check` reads).
///
/// The matrix is stored as the entries given (integers or fractions, as decimal text). The
/// certificate refers to the integer matrix obtained by scaling each row by the lcm of its
/// denominators (`IntegerMatrix(rationalRows:)`), which has the same rank and kernel.
public struct MatrixRankCertificateFile: Codable, Sendable, Equatable {
  /// The format identifier written into new files.
  public static let currentFormat = "hessrank-matrix-rank-certificate/1"

  /// The embedded matrix.
  public struct Matrix: Codable, Sendable, Equatable {
    /// The number of rows.
    public var rows: Int
    /// The number of columns.
    public var cols: Int
    /// Row by row, each entry as text: "-3", "7/12".
    public var entries: [[String]]
  }

  /// The format identifier (`currentFormat`).
  public var format: String
  /// Where the matrix came from (informational).
  public var source: String?
  /// The matrix the certificate is about.
  public var matrix: Matrix
  /// The rank certificate for `IntegerMatrix(rationalRows: matrix entries)`.
  public var certificate: RankCertificate

  /// Wraps a certificate with the rational matrix it is about.
  public init(rationalRows: [[Rational]], source: String?, certificate: RankCertificate) {
    format = Self.currentFormat
    self.source = source
    matrix = Matrix(
      rows: rationalRows.count, cols: rationalRows.first?.count ?? 0,
      entries: rationalRows.map { $0.map(\.description) })
    self.certificate = certificate
  }

  /// The embedded matrix, parsed; throws `MatrixFileError` for malformed entries or shapes.
  public func rationalRows() throws -> [[Rational]] {
    let place = "certificate matrix"
    guard matrix.entries.count == matrix.rows else {
      throw MatrixFileError(source: place, message: "declares \(matrix.rows) rows but lists \(matrix.entries.count)")
    }
    return try matrix.entries.enumerated().map { (i, row) in
      guard row.count == matrix.cols else {
        throw MatrixFileError(
          source: place, line: i + 1, message: "row \(i) has \(row.count) entries, expected \(matrix.cols)")
      }
      return try row.enumerated().map { (j, s) in
        do {
          return try Rational(parsing: s)
        } catch let e as ExactNumberError {
          throw MatrixFileError(source: place, line: i + 1, column: j + 1, message: e.description)
        }
      }
    }
  }

  /// Rebuilds the integer matrix from the embedded entries and verifies the certificate.
  ///
  /// - Throws: `MatrixFileError` when the embedded matrix is malformed, or
  ///   `RankCertificateError` (or an unsupported format) when the certificate does not hold.
  public func verify(seed: UInt64? = nil, primes: Int = 3) throws -> RankVerification {
    guard format == Self.currentFormat else { throw RankCertificateError.unsupportedFormat(format) }
    let rows = try rationalRows()
    let integer = rows.isEmpty ? IntegerMatrix(rows: 0, cols: max(0, matrix.cols)) : IntegerMatrix(rationalRows: rows)
    return try certificate.verification(against: integer, seed: seed, primes: primes)
  }
}
