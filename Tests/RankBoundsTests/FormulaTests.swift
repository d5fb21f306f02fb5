import Exact
import Testing
@testable import RankBounds

/// A fixed environment for formula tests: a few scalars and per-layer values.
struct TestEnvironment: FormulaEnvironment {
  var scalars: [String: VariableValue] = ["r": .value(8), "K": .value(3), "q": .value(3), "s": .value(3), "L": .value(3),
                                          "p": .value(102), "rho": .undefined("the network has no conv layer")]
  var perLayerValues: [String: [VariableValue]] = ["M": [.value(8), .value(6), .value(6), .value(3)],
                                                   "m": [.value(1), .value(6), .value(6), .value(3)]]
  var layerCount: Int { 3 }
  func scalar(_ name: String) -> VariableValue? { scalars[name] }
  func perLayer(_ name: String, at index: Int) -> VariableValue? {
    guard let column = perLayerValues[name] else { return nil }
    guard column.indices.contains(index) else { return .undefined("layers are numbered 1…3") }
    return column[index]
  }
}

@Suite struct FormulaTests {
  func value(_ text: String, _ env: TestEnvironment = TestEnvironment()) throws -> BigInt {
    try Formula(parsing: text).evaluate(in: env)
  }

  func error(_ text: String) -> FormulaError? {
    do {
      let f = try Formula(parsing: text)
      try f.validate()
      _ = try f.evaluate(in: TestEnvironment())
      return nil
    } catch {
      return error
    }
  }

  @Test func arithmeticAndPrecedence() throws {
    #expect(try value("2+3*4") == 14)
    #expect(try value("(2+3)*4") == 20)
    #expect(try value("10-4-3") == 3)
    #expect(try value("-2^2") == -4)
    #expect(try value("2^3^2") == 512)
    #expect(try value("12/4/3") == 1)
    #expect(try value("min(3, 1, 2) + max(-1, -5)") == 0)
    #expect(try value("binom(5, 2) + binom(4, 7)") == 10)
    #expect(try value("2^100") == BigInt("1267650600228229401496703205376")!)
    #expect(try value("3 − 1 · 2 × 1") == 1)  // Unicode minus and times
  }

  @Test func comparisonsAndLogic() throws {
    #expect(try value("r == 8") == 1)
    #expect(try value("r != 8") == 0)
    #expect(try value("r >= 9 || K <= 3") == 1)
    #expect(try value("r ≥ 8 && K < 3") == 0)
    // && does not evaluate its right side when the left is false, so undefined variables there are fine.
    #expect(try value("r == 0 && rho > 1") == 0)
  }

  /// The published fully connected formulas on the table row d = 8, widths [6, 6], K = 3.
  @Test func paperFormulasOnATableRow() throws {
    #expect(try value("q*(r+K-q)") == 24)
    #expect(try value("2*q*sum(l=1..L-1, M[l]) + 2*q*s - L*q^2") == 63)
    #expect(try value("2*q*sum(l=1..L-1, M[l]) + q*(r+K) - L*q^2") == 78)
  }

  @Test func sums() throws {
    #expect(try value("sum(l, m[l])") == 15)
    #expect(try value("sum(i=1..4, i*i)") == 30)
    #expect(try value("sum(i=5..4, i)") == 0)
    #expect(try value("sum(l=0..L, m[l]*M[l])") == 8 + 36 + 36 + 9)
    #expect(try value("sum(i=1..3, sum(j=1..i, j))") == 10)
    #expect(try value("m[L] + M[L-1]") == 9)
  }

  /// (formula, column, part of the message) for parse, validation and evaluation errors.
  static let errors: [(String, Int, String)] = [
    ("q*(r+K-q", 9, "expected ')' to close the '(' at column 3"),
    ("2 3", 3, "after a complete expression"),
    ("q**2", 3, "expected a number, variable or '('"),
    ("r + $", 5, "unexpected character '$'"),
    ("", 0, "empty"),
    ("m[1", 4, "expected ']'"),
    ("min(1)", 1, "at least two arguments"),
    ("3q", 2, "cannot run into a name"),
    ("0.5*r", 2, "only integers"),
    ("r = 8", 3, "write == to compare"),
    ("1 < 2 < 3", 7, "do not chain"),
    ("foo(3)", 1, "unknown function 'foo'"),
    ("sum(1, r)", 5, "index name"),
    ("sum(l=1, r)", 8, "expected '..'"),
    ("(r))", 4, "unmatched ')'"),
    ("rh0 + 1", 1, "unknown variable 'rh0' (did you mean 'rho'?)"),
    ("2*m + 1", 3, "per-layer variable: write m[l]"),
    ("r[1]", 1, "not a per-layer variable"),
    ("sum(r, r)", 1, "already a variable name"),
    ("7/2", 2, "not an integer: division must be exact"),
    ("r/(K-3)", 2, "division by zero"),
    ("rho + 1", 1, "rho is undefined here: the network has no conv layer"),
    ("m[7]", 1, "m[7] is undefined here: layers are numbered"),
    ("2^-1", 2, "negative exponent"),
  ]

  @Test(arguments: errors) func errorsPointAtTheColumn(_ text: String, _ column: Int, _ fragment: String) {
    let e = error(text)
    #expect(e?.column == column, "\(text): \(String(describing: e))")
    #expect(e?.message.contains(fragment) == true, "\(text): \(String(describing: e))")
  }

  @Test func pointerShowsACaretUnderTheColumn() throws {
    let e = try #require(error("q*(r+K-q"))
    #expect(e.pointer(indent: 2) == "  q*(r+K-q\n          ^")
    #expect(e.description == "column 9: expected ')' to close the '(' at column 3, found the end of the formula")
  }

  @Test func variableNamesAreCollected() throws {
    let f = try Formula(parsing: "2*c0*sum(l=1..Lc, m[l]*RF[l]) + rank_outer")
    #expect(f.variableNames == ["c0", "Lc", "m", "RF", "rank_outer"])
  }

  /// Random token soup never crashes the parser and every error points inside the text.
  @Test func fuzzedTokenSoupGivesErrorsInsideTheText() {
    let pieces = ["r", "K", "m", "[", "]", "(", ")", "+", "-", "*", "/", "^", "min", "sum", ",", "l", "=", "..", "1", "2", "==", "&&", "$", " ", "q", "0"]
    var rng = SeededRandom(seed: 5)
    for _ in 0..<3000 {
      let text = (0..<rng.nextInt(in: 0...10)).map { _ in pieces[rng.nextInt(in: 0...(pieces.count - 1))] }.joined()
      do {
        let f = try Formula(parsing: text)
        try f.validate()
        _ = try? f.evaluate(in: TestEnvironment())
      } catch {
        #expect(error.column >= 0 && error.column <= text.count + 1, "\(text): \(error)")
        #expect(!error.message.isEmpty)
      }
    }
  }

  /// Random well-formed expressions, printed with full parentheses, evaluate to the value an
  /// independent evaluator (Int arithmetic on the tree) gives.
  @Test func randomExpressionsAgreeWithADirectEvaluation() throws {
    indirect enum Tree {
      case leaf(Int), variable(String, Int), add(Tree, Tree), sub(Tree, Tree), mul(Tree, Tree), neg(Tree), min(Tree, Tree), max(Tree, Tree)
      var text: String {
        switch self {
        case .leaf(let v): return "\(v)"
        case .variable(let n, _): return n
        case .add(let a, let b): return "(\(a.text) + \(b.text))"
        case .sub(let a, let b): return "(\(a.text)-\(b.text))"
        case .mul(let a, let b): return "\(a.text)*\(b.text)"
        case .neg(let a): return "-\(a.text)"
        case .min(let a, let b): return "min(\(a.text), \(b.text))"
        case .max(let a, let b): return "max(\(a.text),\(b.text))"
        }
      }
      var value: Int {
        switch self {
        case .leaf(let v), .variable(_, let v): return v
        case .add(let a, let b): return a.value + b.value
        case .sub(let a, let b): return a.value - b.value
        case .mul(let a, let b): return a.value * b.value
        case .neg(let a): return -a.value
        case .min(let a, let b): return Swift.min(a.value, b.value)
        case .max(let a, let b): return Swift.max(a.value, b.value)
        }
      }
    }
    var rng = SeededRandom(seed: 11)
    func make(_ depth: Int) -> Tree {
      if depth == 0 || rng.nextInt(in: 0...3) == 0 {
        return rng.nextInt(in: 0...1) == 0 ? .leaf(rng.nextInt(in: 0...9)) : [Tree.variable("r", 8), .variable("K", 3), .variable("p", 102)][rng.nextInt(in: 0...2)]
      }
      switch rng.nextInt(in: 0...6) {
      case 0: return .add(make(depth - 1), make(depth - 1))
      case 1: return .sub(make(depth - 1), make(depth - 1))
      case 2: return .mul(make(depth - 1), make(depth - 1))
      case 3: return .neg(make(depth - 1))
      case 4: return .min(make(depth - 1), make(depth - 1))
      default: return .max(make(depth - 1), make(depth - 1))
      }
    }
    for _ in 0..<500 {
      let t = make(5)
      #expect(try value(t.text) == BigInt(t.value), "\(t.text)")
    }
  }
}
