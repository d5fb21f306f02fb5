import CLapack

/// What the numbers of a `FloatSpectrum` are.
public enum SpectrumKind: String, Sendable, Codable {
  /// Singular values (what `matrix_rank` uses by default: NumPy, PyTorch and JAX all call an
  /// SVD unless `hermitian=True`).
  case singularValues = "singular values"
  /// Absolute values of the eigenvalues of a symmetric matrix (`hermitian=True`); for a
  /// symmetric matrix these are its singular values.
  case eigenvalueMagnitudes = "|eigenvalues|"
}

/// Errors from computing a float spectrum.
public enum SpectrumError: Error, Equatable, CustomStringConvertible {
  /// The buffer does not hold rows × cols values.
  case shapeMismatch(rows: Int, cols: Int, count: Int)
  /// An eigenvalue routine was given a matrix that is not exactly symmetric.
  case notSymmetric(row: Int, col: Int, difference: Double)
  /// NaN or infinity in the input.
  case nonFinite(row: Int, col: Int, value: Double)
  /// A spectrum value that is negative, NaN or infinite, or out of order.
  case invalidSpectrum(String)
  /// A dimension beyond LAPACK's 32-bit integers.
  case tooLarge(rows: Int, cols: Int)
  /// A precision LAPACK has no routines for.
  case unsupportedPrecision(FloatPrecision)
  /// LAPACK reported failure.
  case lapackFailed(routine: String, info: Int)

  /// One line for the user.
  public var description: String {
    switch self {
    case .shapeMismatch(let r, let c, let n): return "a \(r)×\(c) matrix needs \(r * c) values, got \(n)"
    case .notSymmetric(let i, let j, let d):
      return "the matrix is not symmetric: entries (\(i), \(j)) and (\(j), \(i)) differ by \(d); use singular values instead"
    case .nonFinite(let i, let j, let v): return "the matrix has the non-finite value \(v) at (\(i), \(j))"
    case .invalidSpectrum(let why): return "invalid spectrum: \(why)"
    case .tooLarge(let r, let c): return "a \(r)×\(c) matrix is too large for LAPACK's 32-bit indices"
    case .unsupportedPrecision(let p): return "no LAPACK routines for \(p.rawValue); convert to float32 or float64"
    case .lapackFailed(let routine, let info): return "LAPACK \(routine) failed (info = \(info))"
    }
  }
}

/// The arithmetic LAPACK works in.
public enum SolverArithmetic: String, Sendable, Codable {
  /// The matrix's own precision: `sgesdd`/`ssyevd` for float32 (what NumPy, PyTorch and JAX
  /// run on a float32 matrix), `dgesdd`/`dsyevd` for float64.
  case matchingInput
  /// Always double precision: the accurate spectrum of the float matrix as stored.
  case double
}

/// OpenBLAS runs on one thread so that a spectrum is computed by the same sequence of
/// operations on every run (a global `let` is initialized once, thread-safely).
private let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

/// The float spectrum of a matrix, largest first: singular values, or |eigenvalues| of a
/// symmetric matrix — the numbers `matrix_rank` compares with its tolerance.
public struct FloatSpectrum: Sendable, Equatable, Codable {
  /// Non-negative, finite, in descending order.
  public var values: [Double]
  /// Rows M of the matrix (for the max(M, N) factor of the default tolerances).
  public var rows: Int
  /// Columns N of the matrix.
  public var cols: Int
  /// The matrix's floating-point format: it sets eps in the default tolerance rules.
  public var precision: FloatPrecision
  /// The arithmetic the spectrum was computed in (sets the solver's error estimate).
  public var solverPrecision: FloatPrecision
  /// What the values are.
  public var kind: SpectrumKind

  /// A spectrum given as numbers (for instance eigenvalues read from a file): their absolute
  /// values, sorted in descending order. NaN or infinity is an error. `solverPrecision`
  /// (the arithmetic that computed them) defaults to `precision`.
  public init(magnitudesOf numbers: [Double], rows: Int, cols: Int, precision: FloatPrecision,
              solverPrecision: FloatPrecision? = nil, kind: SpectrumKind) throws {
    if let bad = numbers.first(where: { !$0.isFinite }) {
      throw SpectrumError.invalidSpectrum("the value \(bad) is not finite")
    }
    guard rows >= 0, cols >= 0, numbers.count <= min(rows, cols) || (rows == 0 && cols == 0) else {
      throw SpectrumError.invalidSpectrum("\(numbers.count) values for a \(rows)×\(cols) matrix")
    }
    self.values = numbers.map { $0.magnitude }.sorted(by: >)
    self.rows = rows
    self.cols = cols
    self.precision = precision
    self.solverPrecision = solverPrecision ?? precision
    self.kind = kind
  }

  /// The singular values of the `rows`×`cols` matrix `matrix` (C order) whose format is
  /// `precision`, computed by LAPACK's divide-and-conquer SVD, values only: `dgesdd`, or
  /// `sgesdd` for a float32 matrix with `.matchingInput` arithmetic (as NumPy, PyTorch and
  /// JAX do). In float32 arithmetic the entries are rounded to float32 first; they are already
  /// float32 numbers when they came from a float32 file.
  public static func singularValues(of matrix: [Double], rows: Int, cols: Int,
                                    precision: FloatPrecision = .float64,
                                    arithmetic: SolverArithmetic = .matchingInput) throws -> FloatSpectrum {
    try validate(matrix, rows: rows, cols: cols)
    let solver = try solverPrecision(precision, arithmetic)
    _ = singleThreadedBLAS
    let k = min(rows, cols)
    var sigma: [Double]
    if k == 0 {
      sigma = []
    } else {
      // LAPACK is column-major: the C-order buffer is the transpose, which has the same
      // singular values. So pass it as a cols×rows column-major matrix.
      let m = Int32(cols), n = Int32(rows)
      switch solver {
      case .float64:
        var a = matrix
        var s = [Double](repeating: 0, count: k)
        let info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), m, n, &a, m, &s, nil, 1, nil, 1)
        guard info == 0 else { throw SpectrumError.lapackFailed(routine: "dgesdd", info: Int(info)) }
        sigma = s
      case .float32:
        var a = matrix.map { Float($0) }
        var s = [Float](repeating: 0, count: k)
        let info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), m, n, &a, m, &s, nil, 1, nil, 1)
        guard info == 0 else { throw SpectrumError.lapackFailed(routine: "sgesdd", info: Int(info)) }
        sigma = s.map { Double($0) }
      case .float16, .bfloat16:
        throw SpectrumError.unsupportedPrecision(precision)
      }
    }
    return try FloatSpectrum(magnitudesOf: sigma, rows: rows, cols: cols, precision: precision,
                             solverPrecision: solver, kind: .singularValues)
  }

  private static func solverPrecision(_ precision: FloatPrecision, _ arithmetic: SolverArithmetic) throws -> FloatPrecision {
    switch (precision, arithmetic) {
    case (.float32, .matchingInput): return .float32
    case (.float64, _), (_, .double): return .float64
    default: throw SpectrumError.unsupportedPrecision(precision)
    }
  }

  /// The eigenvalues of the symmetric n×n matrix `matrix`, ascending, with their signs, by
  /// LAPACK's divide-and-conquer `dsyevd` (`ssyevd` for a float32 matrix with
  /// `.matchingInput` arithmetic). The matrix must be exactly symmetric: LAPACK reads one
  /// triangle only, so an asymmetric input would silently be replaced by another matrix.
  public static func symmetricEigenvalues(of matrix: [Double], n: Int,
                                          precision: FloatPrecision = .float64,
                                          arithmetic: SolverArithmetic = .matchingInput) throws -> [Double] {
    try validate(matrix, rows: n, cols: n)
    let solver = try solverPrecision(precision, arithmetic)
    for i in 0..<n {
      for j in 0..<i where matrix[i * n + j] != matrix[j * n + i] {
        throw SpectrumError.notSymmetric(row: i, col: j, difference: matrix[i * n + j] - matrix[j * n + i])
      }
    }
    _ = singleThreadedBLAS
    guard n > 0 else { return [] }
    let nn = Int32(n)
    switch solver {
    case .float64:
      var a = matrix
      var w = [Double](repeating: 0, count: n)
      let info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "L")), nn, &a, nn, &w)
      guard info == 0 else { throw SpectrumError.lapackFailed(routine: "dsyevd", info: Int(info)) }
      return w
    case .float32:
      var a = matrix.map { Float($0) }
      var w = [Float](repeating: 0, count: n)
      let info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "L")), nn, &a, nn, &w)
      guard info == 0 else { throw SpectrumError.lapackFailed(routine: "ssyevd", info: Int(info)) }
      return w.map { Double($0) }
    case .float16, .bfloat16:
      throw SpectrumError.unsupportedPrecision(precision)
    }
  }

  /// |eigenvalues| of a symmetric matrix, largest first (what `matrix_rank(…, hermitian=True)`
  /// compares with its tolerance).
  public static func eigenvalueMagnitudes(of matrix: [Double], n: Int,
                                          precision: FloatPrecision = .float64,
                                          arithmetic: SolverArithmetic = .matchingInput) throws -> FloatSpectrum {
    let w = try symmetricEigenvalues(of: matrix, n: n, precision: precision, arithmetic: arithmetic)
    return try FloatSpectrum(magnitudesOf: w, rows: n, cols: n, precision: precision,
                             solverPrecision: try solverPrecision(precision, arithmetic), kind: .eigenvalueMagnitudes)
  }

  private static func validate(_ matrix: [Double], rows: Int, cols: Int) throws {
    guard rows >= 0, cols >= 0 else { throw SpectrumError.shapeMismatch(rows: rows, cols: cols, count: matrix.count) }
    guard rows <= Int(Int32.max), cols <= Int(Int32.max) else { throw SpectrumError.tooLarge(rows: rows, cols: cols) }
    let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
    guard !overflow, count == matrix.count else {
      throw SpectrumError.shapeMismatch(rows: rows, cols: cols, count: matrix.count)
    }
    if let i = matrix.firstIndex(where: { !$0.isFinite }) {
      throw SpectrumError.nonFinite(row: i / cols, col: i % cols, value: matrix[i])
    }
  }
}
