import Exact
import Testing

@testable import ExactLinearAlgebra

@Suite struct MatrixTextTests {
  @Test func parsesIntegersFractionsDecimalsAndComments() throws {
    let text = """
      # comment line

      1   -7/12   0.125  # trailing comment
      \t-3  1e-3  +2
      """
    let rows = try MatrixText.parse(text)
    #expect(rows.count == 2)
    #expect(rows[0] == [Rational(1), Rational(-7, 12), Rational(1, 8)])
    #expect(rows[1] == [Rational(-3), Rational(1, 1000), Rational(2)])
    #expect(try MatrixText.parse("1 2\r\n3 4\r\n") == [[1, 2], [3, 4]].map { $0.map { Rational($0) } })
  }

  func error(_ text: String) -> MatrixFileError? {
    do {
      _ = try MatrixText.parse(text, source: "m.txt")
      return nil
    } catch let e as MatrixFileError {
      return e
    } catch {
      return nil
    }
  }

  @Test func errorsNameLineAndColumn() throws {
    let ragged = try #require(error("1 2 3\n# c\n4 5\n"))
    #expect(ragged.line == 3 && ragged.column == nil)
    #expect(ragged.description == "m.txt:3: row has 2 entries, expected 3 (as in the first row, line 1)")
    let word = try #require(error("1 2\n3 abc\n"))
    #expect(word.line == 2 && word.column == 3)
    #expect(word.description.hasPrefix("m.txt:2:3: 'abc' is not a number"))
    let zero = try #require(error("1 1/0\n"))
    #expect(zero.line == 1 && zero.column == 3)
    #expect(zero.description == "m.txt:1:3: '1/0' has a zero denominator")
    #expect(error("")?.description == "m.txt: no matrix rows (the file is empty or holds only comments)")
    #expect(error("# only a comment\n\n")?.line == nil)
    #expect(error("nan 1")?.column == 1)
    #expect(error("1 inf")?.column == 3)
    #expect(error("1 2/")?.column == 3)
    #expect(error("1 1,5")?.column == 3)
  }

  @Test func missingFileIsAnError() {
    #expect(throws: MatrixFileError(source: "/nonexistent/m.txt", message: "no such file")) {
      try MatrixText.read(contentsOf: "/nonexistent/m.txt")
    }
  }

  @Test func formatRoundTrips() throws {
    let rows = try MatrixText.parse("1/2 -3\n0 7/9\n")
    #expect(try MatrixText.parse(MatrixText.format(rows)) == rows)
  }

  /// The direct integer reader agrees with rational parsing followed by row scaling,
  /// including rows that need big integers and matrices that outgrow the initial buffer.
  @Test func scaledReaderAgreesWithRationalRows() throws {
    var rng = SeededRandom(seed: 17)
    var text = "# generated\n"
    for i in 0..<60 {
      var row: [String] = []
      for j in 0..<40 {
        switch (i + j) % 5 {
        case 0: row.append("\(rng.nextInt(in: -99...99))/\(rng.nextInt(in: 1...12))")
        case 1: row.append("123456789012345678901234567890")
        case 2: row.append("-0.\(rng.nextInt(in: 0...999))e1")
        default: row.append("\(rng.nextInt(in: -1000...1000))")
        }
      }
      text += row.joined(separator: i % 2 == 0 ? " " : "\t") + (i % 3 == 0 ? "  # c\r\n" : "\n")
    }
    let rows = try MatrixText.parse(text)
    var bytes = Array(text.utf8)
    let (m, scales) = try bytes.withUnsafeMutableBufferPointer { try MatrixText.parseScaled(UnsafeBufferPointer($0)) }
    #expect(m == IntegerMatrix(rationalRows: rows))
    #expect(scales == IntegerMatrix.rowScales(of: rows))
    #expect(MatrixText.rationalRows(of: m, rowScales: scales) == rows)
    var bad = Array("1 2\n3 x\n".utf8)
    #expect(throws: MatrixFileError(source: "<input>", line: 2, column: 3, message: ExactNumberError.notANumber("x").description)) {
      try bad.withUnsafeMutableBufferPointer { try MatrixText.parseScaled(UnsafeBufferPointer($0)) }
    }
  }

  @Test func columnsCountCharactersNotBytes() throws {
    #expect(error("1 2 # é\n3 4\n") == nil)
    let e = try #require(error("1 é 2\n"))
    #expect(e.column == 3)
    let f = try #require(error("1 2 x"))
    #expect(f.column == 5)
  }
}
