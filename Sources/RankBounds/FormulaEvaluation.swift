import Exact

/// The value of a variable at a network, or why it has none.
public enum VariableValue: Sendable, Equatable {
  /// An exact integer.
  case value(BigInt)
  /// The variable does not apply to this network (e.g. `q` of a deep CNN); the reason.
  case undefined(String)
}

/// Where a formula's variables get their values.
public protocol FormulaEnvironment {
  /// The value of a scalar variable (nil when the name is unknown).
  func scalar(_ name: String) -> VariableValue?
  /// The value of a per-layer variable at `index` (nil when the name is unknown).
  func perLayer(_ name: String, at index: Int) -> VariableValue?
  /// The default range of `sum(l, …)`: 1…L.
  var layerCount: Int { get }
}

extension Formula {
  /// The largest number of terms a `sum` may have.
  public static let maxSumTerms = 1_000_000
  /// The largest result size, in bits, of `^` and `binom` (keeps evaluation fast and finite).
  public static let maxPowerBits = 100_000
  /// The most evaluation steps (nodes visited, sum terms included) one evaluation may take:
  /// nested sums multiply, so each range is bounded and so is their product.
  public static let maxEvaluationSteps = 2_000_000

  /// The formula's exact value in `environment`.
  /// - Throws: `FormulaError` pointing at the variable that is undefined here, a division that
  ///   is not exact, an index out of range, …
  public func evaluate(in environment: some FormulaEnvironment) throws(FormulaError) -> BigInt {
    var bindings: [String: BigInt] = [:]
    return try FormulaEvaluator(formula: text, environment: environment, budget: EvaluationBudget()).evaluate(root, &bindings)
  }

  /// The value read as a truth value (nonzero is true), for conditions.
  public func holds(in environment: some FormulaEnvironment) throws(FormulaError) -> Bool {
    !(try evaluate(in: environment)).isZero
  }
}

/// Steps left in one evaluation.
final class EvaluationBudget {
  var stepsLeft = Formula.maxEvaluationSteps
}

struct FormulaEvaluator<E: FormulaEnvironment> {
  let formula: String
  let environment: E
  let budget: EvaluationBudget

  func fail(_ message: String, _ node: FormulaNode) -> FormulaError {
    FormulaError(message, column: node.column, formula: formula)
  }

  func evaluate(_ node: FormulaNode, _ bindings: inout [String: BigInt]) throws(FormulaError) -> BigInt {
    budget.stepsLeft -= 1
    guard budget.stepsLeft >= 0 else {
      throw fail("evaluating the formula takes more than \(Formula.maxEvaluationSteps) steps (nested sums multiply their ranges); simplify it", node)
    }
    switch node {
    case .integer(let v, _):
      return v
    case .variable(let name, _):
      if let v = bindings[name] { return v }
      switch environment.scalar(name) {
      case .value(let v)?: return v
      case .undefined(let why)?: throw fail("\(name) is undefined here: \(why)", node)
      case nil:
        if VariableCatalog.standard.kind(of: name) == .perLayer {
          throw fail("'\(name)' is a per-layer variable: write \(name)[l]", node)
        }
        throw fail(VariableCatalog.standard.unknownMessage(name, bound: Set(bindings.keys)), node)
      }
    case .indexed(let name, let indexNode, _):
      let iv = try evaluate(indexNode, &bindings)
      guard let index = iv.intValue, abs(index) <= 1_000_000_000 else {
        throw fail("\(name)[\(iv)]: index out of range (layers are 0…L = \(environment.layerCount))", indexNode)
      }
      switch environment.perLayer(name, at: index) {
      case .value(let v)?: return v
      case .undefined(let why)?: throw fail("\(name)[\(index)] is undefined here: \(why)", node)
      case nil: throw fail(VariableCatalog.standard.unknownMessage(name, bound: Set(bindings.keys)), node)
      }
    case .negate(let x, _):
      return -(try evaluate(x, &bindings))
    case .binary(let op, let a, let b, _):
      // && and || evaluate their right side only when needed, so a condition such as
      // `Lc == 2 && m[2] >= 3` never touches m[2] of a net without a second layer.
      if op == .and {
        guard !(try evaluate(a, &bindings)).isZero else { return 0 }
        return (try evaluate(b, &bindings)).isZero ? 0 : 1
      }
      if op == .or {
        if !(try evaluate(a, &bindings)).isZero { return 1 }
        return (try evaluate(b, &bindings)).isZero ? 0 : 1
      }
      let x = try evaluate(a, &bindings)
      let y = try evaluate(b, &bindings)
      return try apply(op, x, y, node)
    case .call(let fn, let args, _):
      var values: [BigInt] = []
      for a in args { values.append(try evaluate(a, &bindings)) }
      switch fn {
      case .min: return values.min()!
      case .max: return values.max()!
      case .binom: return try binomial(values[0], values[1], node)
      }
    case .sum(let index, let fromNode, let toNode, let body, _):
      let from = try fromNode.map { n throws(FormulaError) in try evaluate(n, &bindings) } ?? 1
      let to = try toNode.map { n throws(FormulaError) in try evaluate(n, &bindings) } ?? BigInt(environment.layerCount)
      guard to >= from else { return 0 }
      guard let lo = from.intValue, let hi = to.intValue, hi - lo < Formula.maxSumTerms else {
        throw fail("the sum has more than \(Formula.maxSumTerms) terms", node)
      }
      let saved = bindings[index]
      defer { bindings[index] = saved }
      var total = BigInt(0)
      for i in lo...hi {
        bindings[index] = BigInt(i)
        total += try evaluate(body, &bindings)
      }
      return total
    }
  }

  func apply(_ op: FormulaOperator, _ x: BigInt, _ y: BigInt, _ node: FormulaNode) throws(FormulaError) -> BigInt {
    switch op {
    case .add: return x + y
    case .subtract: return x - y
    case .multiply: return x * y
    case .divide:
      guard !y.isZero else { throw fail("division by zero (\(x) / 0)", node) }
      guard x.isDivisible(by: y) else { throw fail("\(x) / \(y) is not an integer: division must be exact", node) }
      return x.dividedExactly(by: y)
    case .power:
      guard y.signum >= 0 else { throw fail("negative exponent \(y): only integers are allowed", node) }
      if x.isZero || x == 1 { return y.isZero ? 1 : x }
      if x == -1 { return y.isDivisible(by: 2) ? 1 : -1 }
      guard let e = y.intValue, e.multipliedReportingOverflow(by: x.bitWidth).partialValue <= Formula.maxPowerBits, e <= Formula.maxPowerBits else {
        throw fail("\(x)^\(y) is too large", node)
      }
      return x.power(e)
    case .equal: return x == y ? 1 : 0
    case .notEqual: return x != y ? 1 : 0
    case .less: return x < y ? 1 : 0
    case .lessOrEqual: return x <= y ? 1 : 0
    case .greater: return x > y ? 1 : 0
    case .greaterOrEqual: return x >= y ? 1 : 0
    case .and: return !x.isZero && !y.isZero ? 1 : 0
    case .or: return !x.isZero || !y.isZero ? 1 : 0
    }
  }

  /// C(n, k) for n ≥ 0 (0 when k < 0 or k > n).
  func binomial(_ n: BigInt, _ k: BigInt, _ node: FormulaNode) throws(FormulaError) -> BigInt {
    guard n.signum >= 0 else { throw fail("binom(\(n), \(k)): n must be non-negative", node) }
    guard k.signum >= 0, k <= n else { return 0 }
    let kk = min(k, n - k)
    guard let steps = kk.intValue, steps <= 100_000 else { throw fail("binom(\(n), \(k)) is too large", node) }
    var result = BigInt(1)
    for i in 0..<steps {
      result = (result * (n - BigInt(i))).dividedExactly(by: BigInt(i + 1))
      if result.bitWidth > Formula.maxPowerBits { throw fail("binom(\(n), \(k)) is too large", node) }
    }
    return result
  }
}
