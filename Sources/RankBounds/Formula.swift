import Exact

/// A parsed formula of the bound language, evaluated exactly over the integers.
///
/// Grammar (whitespace is ignored; `−`, `·`, `×`, `≤`, `≥`, `≠` are accepted for `-`, `*`,
/// `*`, `<=`, `>=`, `!=`):
///
///     formula    := or
///     or         := and ('||' and)*
///     and        := comparison ('&&' comparison)*
///     comparison := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
///     sum        := product (('+' | '-') product)*
///     product    := unary (('*' | '/') unary)*
///     unary      := '-' unary | power
///     power      := primary ('^' unary)?
///     primary    := INTEGER | '(' formula ')' | NAME | NAME '[' formula ']'
///                 | ('min' | 'max') '(' formula (',' formula)+ ')'
///                 | 'binom' '(' formula ',' formula ')'
///                 | 'sum' '(' NAME ('=' formula '..' formula)? ',' formula ')'
///
/// `a / b` is exact division (an error unless b divides a); comparisons and `&&`, `||` give
/// 1 or 0 (used for a bound's conditions). `sum(l, e)` adds `e` for l = 1…L (the parametric
/// layers); `sum(l=a..b, e)` for l = a…b (empty when b < a). Names are the documented
/// variables (`VariableCatalog`) and the indices of enclosing sums.
public struct Formula: Sendable, Equatable, CustomStringConvertible {
  /// The source text.
  public let text: String
  /// The syntax tree.
  public let root: FormulaNode

  /// Parses `text`.
  /// - Throws: `FormulaError` with the 1-based column of the fault.
  public init(parsing text: String) throws(FormulaError) {
    guard text.count <= Formula.maxLength else {
      throw FormulaError("the formula has \(text.count) characters; the limit is \(Formula.maxLength)", column: 0, formula: String(text.prefix(60)) + "…")
    }
    var parser = FormulaParser(text: text)
    self.text = text
    self.root = try parser.parseFormula()
  }

  /// The source text.
  public var description: String { text }

  /// The longest formula text accepted, in characters (checked before parsing).
  public static let maxLength = 2_000
  /// The most tokens a formula may have: bounds the syntax tree, so that no walk over it can
  /// exhaust a thread's stack, whatever the input.
  public static let maxTokens = 400

  /// Every variable name the formula refers to (not the sum indices), in first-use order.
  public var variableNames: [String] {
    var seen: [String] = []
    root.collectVariables(bound: [], into: &seen)
    return seen
  }

  /// Checks that every name is a documented variable used the right way (scalars without an
  /// index, per-layer variables with one) or the index of an enclosing sum.
  /// - Throws: `FormulaError` naming the unknown variable and its column, with a suggestion.
  public func validate(against catalog: VariableCatalog = .standard) throws(FormulaError) {
    try root.validate(catalog: catalog, bound: [], formula: text)
  }
}

/// A node of a formula's syntax tree, with the 1-based column of the token it stands for.
public indirect enum FormulaNode: Sendable, Equatable {
  /// An integer literal.
  case integer(BigInt, column: Int)
  /// A scalar variable or a sum index.
  case variable(String, column: Int)
  /// A per-layer variable `name[index]`.
  case indexed(String, FormulaNode, column: Int)
  /// `-x`.
  case negate(FormulaNode, column: Int)
  /// A binary operation; `column` is the operator's.
  case binary(FormulaOperator, FormulaNode, FormulaNode, column: Int)
  /// `min(…)`, `max(…)`, `binom(n, k)`.
  case call(FormulaFunction, [FormulaNode], column: Int)
  /// `sum(index = from..to, body)`; nil bounds mean 1…L.
  case sum(index: String, from: FormulaNode?, to: FormulaNode?, body: FormulaNode, column: Int)

  /// The column of the node's token.
  public var column: Int {
    switch self {
    case .integer(_, let c), .variable(_, let c), .indexed(_, _, let c), .negate(_, let c),
      .binary(_, _, _, let c), .call(_, _, let c), .sum(_, _, _, _, let c):
      return c
    }
  }

  func collectVariables(bound: Set<String>, into seen: inout [String]) {
    switch self {
    case .integer: break
    case .variable(let name, _):
      if !bound.contains(name) && !seen.contains(name) { seen.append(name) }
    case .indexed(let name, let index, _):
      if !seen.contains(name) { seen.append(name) }
      index.collectVariables(bound: bound, into: &seen)
    case .negate(let x, _): x.collectVariables(bound: bound, into: &seen)
    case .binary(_, let a, let b, _):
      a.collectVariables(bound: bound, into: &seen)
      b.collectVariables(bound: bound, into: &seen)
    case .call(_, let args, _):
      for a in args { a.collectVariables(bound: bound, into: &seen) }
    case .sum(let index, let from, let to, let body, _):
      from?.collectVariables(bound: bound, into: &seen)
      to?.collectVariables(bound: bound, into: &seen)
      if from == nil && !seen.contains("L") { seen.append("L") }
      body.collectVariables(bound: bound.union([index]), into: &seen)
    }
  }

  func validate(catalog: VariableCatalog, bound: Set<String>, formula: String) throws(FormulaError) {
    switch self {
    case .integer: break
    case .variable(let name, let column):
      if bound.contains(name) { return }
      switch catalog.kind(of: name) {
      case .scalar: return
      case .perLayer:
        throw FormulaError("'\(name)' is a per-layer variable: write \(name)[l] (inside sum(l, …)) or \(name)[1]", column: column, formula: formula)
      case nil:
        throw FormulaError(catalog.unknownMessage(name, bound: bound), column: column, formula: formula)
      }
    case .indexed(let name, let index, let column):
      switch catalog.kind(of: name) {
      case .perLayer: break
      case .scalar:
        throw FormulaError("'\(name)' is not a per-layer variable: write \(name) without an index", column: column, formula: formula)
      case nil:
        if bound.contains(name) {
          throw FormulaError("'\(name)' is a sum index, not a per-layer variable: it takes no [index]", column: column, formula: formula)
        }
        throw FormulaError(catalog.unknownMessage(name, bound: bound), column: column, formula: formula)
      }
      try index.validate(catalog: catalog, bound: bound, formula: formula)
    case .negate(let x, _): try x.validate(catalog: catalog, bound: bound, formula: formula)
    case .binary(_, let a, let b, _):
      try a.validate(catalog: catalog, bound: bound, formula: formula)
      try b.validate(catalog: catalog, bound: bound, formula: formula)
    case .call(_, let args, _):
      for a in args { try a.validate(catalog: catalog, bound: bound, formula: formula) }
    case .sum(let index, let from, let to, let body, let column):
      if catalog.kind(of: index) != nil || bound.contains(index) {
        throw FormulaError("the sum index '\(index)' is already a variable name; use another letter such as l or i", column: column, formula: formula)
      }
      try from?.validate(catalog: catalog, bound: bound, formula: formula)
      try to?.validate(catalog: catalog, bound: bound, formula: formula)
      try body.validate(catalog: catalog, bound: bound.union([index]), formula: formula)
    }
  }
}

/// Binary operators of the formula language.
public enum FormulaOperator: String, Sendable, Equatable {
  case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
  case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
  case and = "&&", or = "||"
}

/// Functions of the formula language.
public enum FormulaFunction: String, Sendable, Equatable {
  case min, max, binom
}

/// A formula that cannot be parsed or evaluated, pointing at the column at fault.
public struct FormulaError: Error, Equatable, CustomStringConvertible {
  /// What is wrong (and, when possible, how to fix it).
  public let message: String
  /// The 1-based column (in characters) of the fault; 0 when it concerns the whole formula.
  public let column: Int
  /// The formula's text.
  public let formula: String

  /// An error at `column` of `formula`.
  public init(_ message: String, column: Int, formula: String) {
    self.message = message
    self.column = column
    self.formula = formula
  }

  /// "column 7: expected ')'".
  public var description: String { column > 0 ? "column \(column): \(message)" : message }

  /// The formula and a caret under the column, each line indented by `indent` spaces.
  /// The message with the place of the fault, on one line: `column 7: expected ')' (at ▸ in
  /// "min(K*r▸, q")`; long formulas are shown as a window around the column.
  public var located: String {
    let chars = Array(formula)
    guard !chars.isEmpty else { return description }
    let at = min(max(column - 1, 0), chars.count)
    let lo = column > 0 ? max(0, at - 30) : 0
    let hi = column > 0 ? min(chars.count, at + 20) : min(chars.count, 50)
    var shown = (lo > 0 ? "…" : "") + String(chars[lo..<(column > 0 ? at : hi)])
    if column > 0 { shown += "▸" + String(chars[at..<hi]) }
    if hi < chars.count { shown += "…" }
    return column > 0 ? "\(description) (at ▸ in \"\(shown)\")" : "\(description) (in \"\(shown)\")"
  }

  /// Long formulas are shown as a window of 80 characters around the column.
  public func pointer(indent: Int = 2) -> String {
    let pad = String(repeating: " ", count: indent)
    let chars = Array(formula)
    let window = 80
    guard chars.count > window else {
      guard column > 0 else { return pad + formula }
      return pad + formula + "\n" + pad + String(repeating: " ", count: column - 1) + "^"
    }
    let start = max(0, min(column - 1 - window / 2, chars.count - window))
    let shown = (start > 0 ? "…" : "") + String(chars[start..<min(chars.count, start + window)]) + (start + window < chars.count ? "…" : "")
    guard column > 0 else { return pad + shown }
    return pad + shown + "\n" + pad + String(repeating: " ", count: column - 1 - start + (start > 0 ? 1 : 0)) + "^"
  }
}

// MARK: - Lexer and parser

/// One token with its 1-based column.
struct FormulaToken: Equatable {
  enum Kind: Equatable {
    case integer(BigInt)
    case name(String)
    case symbol(String)
    case end
  }
  let kind: Kind
  let column: Int
}

/// Recursive-descent parser over the token list.
struct FormulaParser {
  let text: String
  private var tokens: [FormulaToken] = []
  private var position = 0
  private var lexError: FormulaError?
  /// Nesting depth guard: deeper formulas are refused instead of overflowing the stack.
  static let maxDepth = 32
  private var depth = 0

  init(text: String) {
    self.text = text
    do {
      tokens = try Self.tokenize(text)
      if tokens.count > Formula.maxTokens + 1 {
        lexError = FormulaError("the formula has \(tokens.count - 1) tokens; the limit is \(Formula.maxTokens)", column: 0, formula: text)
      }
    } catch {
      lexError = error
    }
  }

  static let symbols: [String] = ["==", "!=", "<=", ">=", "&&", "||", "..", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "=", "<", ">"]
  static let aliases: [Character: String] = ["−": "-", "·": "*", "×": "*", "≤": "<=", "≥": ">=", "≠": "!="]

  static func tokenize(_ text: String) throws(FormulaError) -> [FormulaToken] {
    let chars = Array(text)
    var out: [FormulaToken] = []
    var i = 0
    while i < chars.count {
      let c = chars[i]
      let column = i + 1
      if c.isWhitespace {
        i += 1
        continue
      }
      if let a = aliases[c] {
        out.append(FormulaToken(kind: .symbol(a), column: column))
        i += 1
        continue
      }
      if c.isASCII && c.isNumber {
        var j = i
        while j < chars.count && chars[j].isASCII && chars[j].isNumber { j += 1 }
        if j < chars.count && (chars[j].isLetter || chars[j] == "_") {
          throw FormulaError("a number cannot run into a name: write \(String(chars[i..<j]))*\(chars[j]) for a product", column: j + 1, formula: text)
        }
        if j < chars.count && chars[j] == "." && !(j + 1 < chars.count && chars[j + 1] == ".") {
          throw FormulaError("only integers are allowed (write fractions as a/b: exact division)", column: j + 1, formula: text)
        }
        guard j - i <= 1000, let v = BigInt(String(chars[i..<j])) else {
          throw FormulaError("the integer is too long", column: column, formula: text)
        }
        out.append(FormulaToken(kind: .integer(v), column: column))
        i = j
        continue
      }
      if c.isLetter || c == "_" {
        var j = i
        while j < chars.count && (chars[j].isLetter || chars[j] == "_" || (chars[j].isASCII && chars[j].isNumber)) { j += 1 }
        out.append(FormulaToken(kind: .name(String(chars[i..<j])), column: column))
        i = j
        continue
      }
      if i + 1 < chars.count, let two = symbols.first(where: { $0.count == 2 && $0 == String(chars[i...(i + 1)]) }) {
        out.append(FormulaToken(kind: .symbol(two), column: column))
        i += 2
        continue
      }
      if symbols.contains(String(c)) {
        out.append(FormulaToken(kind: .symbol(String(c)), column: column))
        i += 1
        continue
      }
      let hint: String
      switch c {
      case "&": hint = " (write && for 'and')"
      case "|": hint = " (write || for 'or')"
      case "!": hint = " (write != for 'not equal')"
      case "{", "}": hint = " (use parentheses)"
      case ".": hint = " (only integers are allowed; '..' separates a sum's range)"
      case "'", "′": hint = " (write dp for d′)"
      default: hint = ""
      }
      throw FormulaError("unexpected character '\(c)'\(hint)", column: column, formula: text)
    }
    out.append(FormulaToken(kind: .end, column: chars.count + 1))
    return out
  }

  private var current: FormulaToken { tokens[position] }

  private func fail(_ message: String, at column: Int? = nil) -> FormulaError {
    FormulaError(message, column: column ?? current.column, formula: text)
  }

  private func isSymbol(_ s: String) -> Bool {
    if case .symbol(let t) = current.kind { return t == s }
    return false
  }

  private mutating func accept(_ s: String) -> Bool {
    if isSymbol(s) {
      position += 1
      return true
    }
    return false
  }

  private var shown: String {
    switch current.kind {
    case .integer(let v): return "'\(v)'"
    case .name(let n): return "'\(n)'"
    case .symbol(let s): return "'\(s)'"
    case .end: return "the end of the formula"
    }
  }

  private mutating func expect(_ s: String, _ context: String) throws(FormulaError) {
    guard accept(s) else { throw fail("expected '\(s)' \(context), found \(shown)") }
  }

  mutating func parseFormula() throws(FormulaError) -> FormulaNode {
    if let lexError { throw lexError }
    if case .end = current.kind { throw FormulaError("the formula is empty", column: 0, formula: text) }
    let node = try parseOr()
    guard case .end = current.kind else {
      if isSymbol(")") { throw fail("unmatched ')'") }
      throw fail("unexpected \(shown) after a complete expression (missing operator?)")
    }
    return node
  }

  private mutating func nested<T>(_ body: (inout FormulaParser) throws(FormulaError) -> T) throws(FormulaError) -> T {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw fail("the formula is nested too deeply") }
    return try body(&self)
  }

  private mutating func parseOr() throws(FormulaError) -> FormulaNode {
    var lhs = try parseAnd()
    while isSymbol("||") {
      let column = current.column
      position += 1
      lhs = .binary(.or, lhs, try parseAnd(), column: column)
    }
    return lhs
  }

  private mutating func parseAnd() throws(FormulaError) -> FormulaNode {
    var lhs = try parseComparison()
    while isSymbol("&&") {
      let column = current.column
      position += 1
      lhs = .binary(.and, lhs, try parseComparison(), column: column)
    }
    return lhs
  }

  private mutating func parseComparison() throws(FormulaError) -> FormulaNode {
    let lhs = try parseSum()
    for op in [FormulaOperator.equal, .notEqual, .lessOrEqual, .greaterOrEqual, .less, .greater] where isSymbol(op.rawValue) {
      let column = current.column
      position += 1
      let rhs = try parseSum()
      if [FormulaOperator.equal, .notEqual, .lessOrEqual, .greaterOrEqual, .less, .greater].contains(where: { isSymbol($0.rawValue) }) {
        throw fail("comparisons do not chain: write a <= b && b <= c")
      }
      return .binary(op, lhs, rhs, column: column)
    }
    if isSymbol("=") { throw fail("'=' is only used in sum(l=a..b, …); write == to compare") }
    return lhs
  }

  private mutating func parseSum() throws(FormulaError) -> FormulaNode {
    var lhs = try parseProduct()
    while isSymbol("+") || isSymbol("-") {
      let op: FormulaOperator = isSymbol("+") ? .add : .subtract
      let column = current.column
      position += 1
      lhs = .binary(op, lhs, try parseProduct(), column: column)
    }
    return lhs
  }

  private mutating func parseProduct() throws(FormulaError) -> FormulaNode {
    var lhs = try parseUnary()
    while isSymbol("*") || isSymbol("/") {
      let op: FormulaOperator = isSymbol("*") ? .multiply : .divide
      let column = current.column
      position += 1
      lhs = .binary(op, lhs, try parseUnary(), column: column)
    }
    return lhs
  }

  private mutating func parseUnary() throws(FormulaError) -> FormulaNode {
    if isSymbol("-") {
      let column = current.column
      position += 1
      return .negate(try nested { p throws(FormulaError) in try p.parseUnary() }, column: column)
    }
    if isSymbol("+") { throw fail("unexpected '+' (write the number without a sign)") }
    return try parsePower()
  }

  private mutating func parsePower() throws(FormulaError) -> FormulaNode {
    let base = try parsePrimary()
    if isSymbol("^") {
      let column = current.column
      position += 1
      let exponent = try nested { p throws(FormulaError) in try p.parseUnary() }
      return .binary(.power, base, exponent, column: column)
    }
    return base
  }

  private mutating func parsePrimary() throws(FormulaError) -> FormulaNode {
    let token = current
    switch token.kind {
    case .integer(let v):
      position += 1
      return .integer(v, column: token.column)
    case .symbol("("):
      position += 1
      let inner = try nested { p throws(FormulaError) in try p.parseOr() }
      guard accept(")") else {
        throw fail("expected ')' to close the '(' at column \(token.column), found \(shown)")
      }
      return inner
    case .name(let name):
      position += 1
      if let fn = FormulaFunction(rawValue: name), isSymbol("(") {
        return try parseCall(fn, column: token.column)
      }
      if name == "sum" && isSymbol("(") { return try parseSumCall(column: token.column) }
      if ["min", "max", "binom", "sum"].contains(name) {
        throw fail("\(name) is a function: write \(name)(…)", at: token.column)
      }
      if accept("[") {
        let index = try nested { p throws(FormulaError) in try p.parseSum() }
        guard accept("]") else { throw fail("expected ']' to close '\(name)[' at column \(token.column), found \(shown)") }
        return .indexed(name, index, column: token.column)
      }
      if isSymbol("(") {
        throw fail("unknown function '\(name)' (functions: min, max, binom, sum)", at: token.column)
      }
      return .variable(name, column: token.column)
    case .end:
      throw fail("the formula ends where a number, variable or '(' was expected")
    case .symbol(let s):
      throw fail("expected a number, variable or '(' but found '\(s)'")
    }
  }

  private mutating func parseCall(_ fn: FormulaFunction, column: Int) throws(FormulaError) -> FormulaNode {
    try expect("(", "after \(fn.rawValue)")
    var args: [FormulaNode] = []
    repeat {
      args.append(try nested { p throws(FormulaError) in try p.parseOr() })
    } while accept(",")
    guard accept(")") else { throw fail("expected ',' or ')' in \(fn.rawValue)(…) opened at column \(column), found \(shown)") }
    switch fn {
    case .min, .max:
      guard args.count >= 2 else { throw fail("\(fn.rawValue) needs at least two arguments", at: column) }
    case .binom:
      guard args.count == 2 else { throw fail("binom takes two arguments: binom(n, k)", at: column) }
    }
    return .call(fn, args, column: column)
  }

  private mutating func parseSumCall(column: Int) throws(FormulaError) -> FormulaNode {
    try expect("(", "after sum")
    guard case .name(let index) = current.kind else {
      throw fail("sum needs an index name first: sum(l, expr) or sum(l=1..L-1, expr)")
    }
    if FormulaFunction(rawValue: index) != nil || index == "sum" {
      throw fail("'\(index)' is a function, not an index name")
    }
    position += 1
    var from: FormulaNode?
    var to: FormulaNode?
    if accept("=") {
      from = try nested { p throws(FormulaError) in try p.parseSum() }
      guard accept("..") else { throw fail("expected '..' in the range \(index)=a..b, found \(shown)") }
      to = try nested { p throws(FormulaError) in try p.parseSum() }
    }
    guard accept(",") else { throw fail("expected ',' after the sum's index\(from == nil ? " (or '=a..b' for a range)" : " range"), found \(shown)") }
    let body = try nested { p throws(FormulaError) in try p.parseOr() }
    guard accept(")") else { throw fail("expected ')' to close sum( at column \(column), found \(shown)") }
    return .sum(index: index, from: from, to: to, body: body, column: column)
  }
}
