import Exact
import Testing

@testable import ExactLinearAlgebra

@Suite struct BareissTests {
  /// det H_n = c_n^4 / c_{2n} with c_n = ∏_{i=1}^{n−1} i! (Hilbert 1894).
  @Test(arguments: 1...12) func hilbertDeterminantMatchesClosedForm(n: Int) throws {
    func c(_ k: Int) -> BigInt {
      var p = BigInt(1)
      for i in 0..<k { p *= BigInt.factorial(i) }
      return p
    }
    let expected = try Rational(c(n).power(4), c(2 * n))
    let rows = TestMatrices.hilbert(n)
    let scaled = IntegerMatrix(rationalRows: rows)
    // Row scaling multiplies the determinant by the product of the row scales.
    var scale = BigInt(1)
    for s in IntegerMatrix.rowScales(of: rows) { scale *= s }
    let det = try Rational(scaled.determinant(), scale)
    #expect(det == expected)
    #expect(scaled.bareiss().rank == n)
  }

  /// det [x_i^j] = ∏_{i<j} (x_j − x_i).
  @Test func vandermondeDeterminants() {
    var rng = SeededRandom(seed: 11)
    for n in 1...9 {
      var xs: [Int] = []
      while xs.count < n {
        let x = rng.nextInt(in: -30...30)
        if !xs.contains(x) { xs.append(x) }
      }
      let v = IntegerMatrix(xs.map { x in (0..<n).map { BigInt(x).power($0) } })
      var expected = BigInt(1)
      for i in 0..<n { for j in (i + 1)..<n { expected *= BigInt(xs[j] - xs[i]) } }
      #expect(v.determinant() == expected, "n = \(n)")
      // A repeated node makes it singular.
      if n >= 2 {
        var ys = xs
        ys[n - 1] = ys[0]
        let w = IntegerMatrix(ys.map { x in (0..<n).map { BigInt(x).power($0) } })
        #expect(w.determinant() == BigInt(0))
        #expect(w.bareiss().rank == n - 1)
      }
    }
  }

  @Test func determinantSignFollowsRowOrder() {
    let m = IntegerMatrix([[0, 1], [1, 0]])
    #expect(m.determinant() == BigInt(-1))
    let p = IntegerMatrix([[0, 0, 2], [0, 3, 0], [5, 0, 0]])
    #expect(p.determinant() == BigInt(-30))
    #expect(IntegerMatrix(rows: 0, cols: 0).determinant() == BigInt(1))
  }

  @Test func productsOfKnownRank() {
    var rng = SeededRandom(seed: 2024)
    for _ in 0..<60 {
      let m = rng.nextInt(in: 1...14), n = rng.nextInt(in: 1...14)
      let r = rng.nextInt(in: 0...min(m, n))
      let (ab, a, b) = TestMatrices.product(m, r, n, bound: 5, rng: &rng)
      let ra = a.bareiss().rank, rb = b.bareiss().rank
      let rab = ab.bareiss().rank
      #expect(rab <= min(ra, rb))
      if ra == r && rb == r { #expect(rab == r, "\(m)×\(r)·\(r)×\(n)") }
    }
  }

  @Test func edgeShapes() {
    #expect(IntegerMatrix(rows: 3, cols: 4).bareiss().rank == 0)
    #expect(IntegerMatrix(rows: 0, cols: 4).bareiss().rank == 0)
    #expect(IntegerMatrix(rows: 4, cols: 0).bareiss().rank == 0)
    #expect(IntegerMatrix([[0]]).bareiss().rank == 0)
    let one = IntegerMatrix([[-7]])
    #expect(one.bareiss() == BareissResult(rank: 1, pivotRows: [0], pivotCols: [0], minorDeterminant: BigInt(-7)))
    #expect(one.determinant() == BigInt(-7))
    // Very rectangular.
    var rng = SeededRandom(seed: 5)
    let wide = TestMatrices.random(2, 60, bound: 3, rng: &rng)
    #expect(wide.bareiss().rank == 2)
    #expect(wide.transposed().bareiss().rank == 2)
    let row = IntegerMatrix([[0, 0, 0, 4, 0, 0]])
    #expect(row.bareiss() == BareissResult(rank: 1, pivotRows: [0], pivotCols: [3], minorDeterminant: BigInt(4)))
  }

  /// The pivot minor's determinant equals the determinant of the submatrix it names, and
  /// the kernel basis has cols − rank independent vectors with M v = 0.
  @Test func pivotMinorsAndNullspaces() {
    var rng = SeededRandom(seed: 77)
    for _ in 0..<40 {
      let m = rng.nextInt(in: 1...9), n = rng.nextInt(in: 1...9)
      let r = rng.nextInt(in: 0...min(m, n))
      let (ab, _, _) = TestMatrices.product(m, r, n, bound: 4, rng: &rng)
      let res = ab.bareiss()
      if res.rank > 0 {
        let minor = ab.submatrix(rows: res.pivotRows, cols: res.pivotCols)
        #expect(minor.determinant() == res.minorDeterminant)
        #expect(!res.minorDeterminant.isZero)
      }
      let kernel = ab.nullspace()
      #expect(kernel.count == n - res.rank)
      for v in kernel { #expect(ab.multiply(v).allSatisfy { $0.isZero }) }
      if !kernel.isEmpty { #expect(IntegerMatrix(kernel).bareiss().rank == kernel.count) }
    }
  }

  @Test func nullspaceOfAKnownMatrix() {
    // [[1, 2, 3], [2, 4, 6]]: kernel spanned by (−2, 1, 0) and (−3, 0, 1).
    let m = IntegerMatrix([[1, 2, 3], [2, 4, 6]])
    let k = m.nullspace()
    #expect(k == [[BigInt(-2), BigInt(1), BigInt(0)], [BigInt(-3), BigInt(0), BigInt(1)]])
  }

  @Test func rationalRowsAreScaledByTheirDenominators() throws {
    let rows = try [["1/2", "1/3", "1"], ["2", "0.25", "-1e-1"]].map { try $0.map { try Rational(parsing: $0) } }
    let m = IntegerMatrix(rationalRows: rows)
    #expect(m == IntegerMatrix([[3, 2, 6], [40, 5, -2]]))
    #expect(IntegerMatrix.rowScales(of: rows) == [BigInt(6), BigInt(20)])
  }
}
