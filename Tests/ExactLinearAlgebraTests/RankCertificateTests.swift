import Exact
import Foundation
import Testing

@testable import ExactLinearAlgebra

@Suite struct RankCertificateTests {
  static func roundTrip(_ c: RankCertificate) throws -> RankCertificate {
    try JSONDecoder().decode(RankCertificate.self, from: try JSONEncoder().encode(c))
  }

  /// A 7×6 matrix of rank 3 with a known structure: M = A·B.
  static func lowRank() -> IntegerMatrix {
    var rng = SeededRandom(seed: 12)
    var m: IntegerMatrix
    repeat {
      m = TestMatrices.product(7, 3, 6, bound: 5, rng: &rng).product
    } while m.bareiss().rank != 3
    return m
  }

  @Test func certificatesRoundTripAndVerify() throws {
    var rng = SeededRandom(seed: 1)
    var matrices: [IntegerMatrix] = [
      Self.lowRank(), IntegerMatrix(rows: 3, cols: 4), IntegerMatrix([[5]]),
      IntegerMatrix([[1, 2, 3, 4, 5]]), IntegerMatrix([[1], [2], [3]]), IntegerMatrix([[2, 4], [1, 2]]),
    ]
    for _ in 0..<25 {
      let m = rng.nextInt(in: 1...10), n = rng.nextInt(in: 1...10)
      matrices.append(TestMatrices.product(m, rng.nextInt(in: 0...min(m, n)), n, bound: 9, rng: &rng).product)
    }
    for (k, m) in matrices.enumerated() {
      let exact = m.bareiss().rank
      for cert in [ExactRank.certify(m, seed: UInt64(k), route: .kernel), ExactRank.certify(m, seed: UInt64(k), route: .primes), ExactRank.certifyByBareiss(m)] {
        #expect(cert.rank == exact)
        #expect(cert.provesExactRank)
        let decoded = try Self.roundTrip(cert)
        #expect(decoded == cert)
        let v = try decoded.verification(against: m, seed: 7)
        #expect(v.rank == exact && v.isExact)
        #expect(try decoded.verify(against: m) == exact)  // fresh random primes
      }
    }
  }

  @Test func lowerBoundCertificateProvesOnlyALowerBound() throws {
    let m = Self.lowRank()
    let r = ModularRank.rank(of: m, primes: 1, seed: 3)
    let cert = RankCertificate(rows: 7, cols: 6, rank: r.rank, pivotRows: r.pivotRows, pivotCols: r.pivotCols)
    #expect(!cert.provesExactRank)
    let v = try cert.verification(against: m, seed: 1)
    #expect(v.rank == 3 && !v.isExact)
  }

  @Test func theJSONFormIsDocumented() throws {
    let cert = RankCertificate(
      rows: 2, cols: 3, rank: 1, pivotRows: [0], pivotCols: [0], minorDeterminant: BigInt(1),
      kernel: [SparseIntegerVector(indices: [0, 1], values: [BigInt(-2), BigInt(1)])], method: "test")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(cert), as: UTF8.self)
    #expect(
      text
        == #"{"cols":3,"format":"hessrank-rank-certificate\/1","kernel":[{"indices":[0,1],"values":["-2","1"]}],"method":"test","minorDeterminant":"1","pivotCols":[0],"pivotRows":[0],"rank":1,"rows":2}"#
    )
    // Huge integers survive as decimal strings.
    let big = BigInt(3).power(200)
    var c2 = cert
    c2.minorDeterminant = big
    #expect(try Self.roundTrip(c2).minorDeterminant == big)
  }

  @Test func malformedJSONIsADecodingError() {
    let bad = #"{"format":"hessrank-rank-certificate/1","rows":1,"cols":1,"rank":1,"pivotRows":[0],"pivotCols":[0],"minorDeterminant":"12x"}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(RankCertificate.self, from: Data(bad.utf8)) }
    let badKernel = #"{"format":"hessrank-rank-certificate/1","rows":1,"cols":2,"rank":1,"pivotRows":[0],"pivotCols":[0],"kernel":[{"indices":[1],"values":["one"]}]}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(RankCertificate.self, from: Data(badKernel.utf8)) }
  }

  // MARK: Tampering: every kind is rejected.

  func rejects(_ cert: RankCertificate, _ m: IntegerMatrix, _ expected: RankCertificateError? = nil) {
    do {
      _ = try cert.verification(against: m, seed: 5)
      Issue.record("tampered certificate accepted")
    } catch let e as RankCertificateError {
      if let x = expected { #expect(e == x) }
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }

  @Test func oneChangedMatrixEntryIsRejected() throws {
    let m = Self.lowRank()
    let cert = ExactRank.certify(m, seed: 1, route: .kernel)
    let kernel = try #require(cert.kernel)
    // Change an entry in a column where kernel vector 0 is nonzero, in each row in turn.
    let j = kernel[0].indices[0]
    for i in 0..<m.rows {
      let t = m.copy()
      t[i, j] = t[i, j] + BigInt(1)
      rejects(cert, t)
    }
  }

  @Test func wrongPivotSetIsRejected() {
    let m = Self.lowRank()
    var cert = ExactRank.certify(m, seed: 2, route: .kernel)
    // A 4×4 minor of a rank-3 matrix is singular.
    cert.rank = 4
    cert.pivotRows = [0, 1, 2, 3]
    cert.pivotCols = [0, 1, 2, 3]
    cert.kernel = Array((cert.kernel ?? []).prefix(2))
    rejects(cert, m, .singularMinor("exact determinant is 0"))
    // Column 1 = 2 · column 0: any minor using both is singular.
    let dep = IntegerMatrix([[1, 2, 0], [3, 6, 1], [5, 10, 7]])
    let bad = RankCertificate(rows: 3, cols: 3, rank: 2, pivotRows: [0, 1], pivotCols: [0, 1])
    rejects(bad, dep, .singularMinor("exact determinant is 0"))
    let good = RankCertificate(rows: 3, cols: 3, rank: 2, pivotRows: [0, 1], pivotCols: [1, 2])
    #expect((try? good.verify(against: dep, seed: 1)) == 2)
  }

  @Test func nonKernelVectorIsRejected() throws {
    let m = Self.lowRank()
    var cert = ExactRank.certify(m, seed: 3, route: .kernel)
    var kernel = try #require(cert.kernel)
    kernel[1].values[0] = kernel[1].values[0] + BigInt(1)
    cert.kernel = kernel
    rejects(cert, m, .notInKernel(1))
  }

  @Test func dependentKernelVectorsAreRejected() throws {
    let m = Self.lowRank()
    var cert = ExactRank.certify(m, seed: 4, route: .kernel)
    var kernel = try #require(cert.kernel)
    kernel[2] = SparseIntegerVector(indices: kernel[0].indices, values: kernel[0].values.map { $0 * BigInt(-3) })
    cert.kernel = kernel
    rejects(cert, m, .dependentKernelVectors("exact rank below 3"))
    kernel[2] = SparseIntegerVector(indices: [], values: [])  // the zero vector
    cert.kernel = kernel
    rejects(cert, m)
  }

  @Test func indexAndCountDefectsAreRejected() throws {
    let m = Self.lowRank()
    let cert = ExactRank.certify(m, seed: 5, route: .kernel)
    var c = cert
    c.pivotRows[1] = c.pivotRows[0]
    rejects(c, m, .duplicateIndex("pivot rows", cert.pivotRows[0]))
    c = cert
    c.pivotCols[2] = 6
    rejects(c, m, .indexOutOfRange("pivot columns", 6))
    c = cert
    c.pivotRows[0] = -1
    rejects(c, m, .indexOutOfRange("pivot rows", -1))
    c = cert
    c.pivotCols.removeLast()
    rejects(c, m, .wrongCount("pivot columns", expected: 3, found: 2))
    c = cert
    c.rank = 2
    rejects(c, m, .wrongCount("pivot rows", expected: 2, found: 3))
    c = cert
    c.kernel?.removeLast()
    rejects(c, m, .wrongCount("kernel vectors (cols − rank)", expected: 3, found: 2))
    c = cert
    c.kernel![0].indices.append(99)
    c.kernel![0].values.append(BigInt(1))
    rejects(c, m, .indexOutOfRange("kernel vector 0", 99))
    c = cert
    c.kernel![0].values.removeLast()
    rejects(c, m)
    c = cert
    let k0 = c.kernel![0]
    c.kernel![0] = SparseIntegerVector(indices: k0.indices.reversed(), values: k0.values.reversed())
    rejects(c, m, .duplicateIndex("kernel vector 0", k0.indices.reversed()[1]))
    c = cert
    c.rank = 7
    rejects(c, m)
    c = cert
    c.format = "hessrank-rank-certificate/99"
    rejects(c, m, .unsupportedFormat("hessrank-rank-certificate/99"))
    rejects(cert, m.transposed(), .shapeMismatch(certificate: "7×6", matrix: "6×7"))
  }

  @Test func wrongStatedDeterminantIsRejected() {
    let m = IntegerMatrix([[2, 1], [1, 3]])
    var cert = ExactRank.certifyByBareiss(m)
    #expect(cert.minorDeterminant == BigInt(5))
    #expect((try? cert.verify(against: m, seed: 3)) == 2)
    cert.minorDeterminant = BigInt(6)
    rejects(cert, m, .determinantMismatch)
  }

  @Test func certificateFileRoundTripRebuildsTheMatrix() throws {
    let rows = try MatrixText.parse("1 1/2 0\n2 1 0\n0 0 0.5\n")
    let m = IntegerMatrix(rationalRows: rows)
    let file = MatrixRankCertificateFile(rationalRows: rows, source: "t", certificate: ExactRank.certify(m, seed: 1, route: .kernel))
    let decoded = try JSONDecoder().decode(MatrixRankCertificateFile.self, from: try JSONEncoder().encode(file))
    #expect(decoded == file)
    let v = try decoded.verify(seed: 2)
    #expect(v.rank == 2 && v.isExact)
    var tampered = decoded
    tampered.matrix.entries[1][1] = "3/2"  // row 2 is no longer 2·row 1
    #expect(throws: RankCertificateError.self) { try tampered.verify(seed: 2) }
    tampered.matrix.entries[1][1] = "x"
    #expect(throws: MatrixFileError.self) { try tampered.verify(seed: 2) }
  }
}
