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
}
