import Exact

/// Decides, exactly, when tied max-pooling candidates are the same function of θ near the point.
///
/// With the activation branches and earlier selections fixed, every value inside the network is
/// a polynomial in θ built by a fixed expression: an input constant, an affine layer
/// b_a + Σ θ_j·h_c, a fixed linear combination, a leaky slope times a value, or zero (a ReLU on
/// its negative side, a product with a zero value). This numbers the expressions: two positions
/// get the same number when their expressions are syntactically the same after dropping zero
/// terms and sorting sums. Same number ⇒ same polynomial ⇒ same function of θ near the point,
/// so a tie between them is no kink (e.g. a conv with bias over blank background patches).
/// Different numbers are treated as a real tie (a kink) — conservative: the error can only be
/// raised too often, never a wrong Hessian returned.
public struct StructuralForms: Sendable {
  /// The compiled architecture.
  public let plan: NetworkPlan

  /// Forms of a plan.
  public init(plan: NetworkPlan) { self.plan = plan }

  /// One expression, with its operands already numbered.
  enum Form: Hashable {
    case constant(Rational)
    /// A parametric stage's row: global bias index (−1 none), sorted (θ index, form) pairs.
    case affine(bias: Int, terms: [Int])
    /// A fixed map's row at `stage`: sorted (coefficient id, form) pairs.
    case combination(stage: Int, terms: [Int])
    /// The negative side of the leaky activation at `stage`.
    case scaled(stage: Int, form: Int)
  }

  /// The form number of every entry of the input of stage `before` for one sample, given the
  /// activation branches (`masks`) and selections of the stages before it.
  public func forms(input: [Rational], masks: [[Bool]], selections: [[Int]], before: Int) -> [Int] {
    var numbers: [Form: Int] = [.constant(Rational()): 0]
    func number(_ f: Form) -> Int {
      if let n = numbers[f] { return n }
      let n = numbers.count
      numbers[f] = n
      return n
    }
    let zero = 0
    var h = input.map { number(.constant($0)) }
    var act = 0, pool = 0
    var coefficientIDs: [Rational: Int] = [:]
    for si in 0..<before {
      switch plan.stages[si] {
      case .parametric(let t, let off, _):
        h = (0..<t.rows).map { a in
          var pairs: [(Int, Int)] = []
          for e in t.rowStart[a]..<t.rowStart[a + 1] where h[t.column[e]] != zero {
            pairs.append((off + t.parameter[e], h[t.column[e]]))
          }
          let bias = t.biasOfRow[a] >= 0 ? off + t.biasOfRow[a] : -1
          if pairs.isEmpty && bias < 0 { return zero }
          pairs.sort { $0 < $1 }
          return number(.affine(bias: bias, terms: pairs.flatMap { [$0.0, $0.1] }))
        }
      case .fixed(let m, _):
        h = (0..<m.rows).map { a in
          var pairs: [(Int, Int)] = []
          for e in m.rowStart[a]..<m.rowStart[a + 1] where h[m.column[e]] != zero && !m.coefficient[e].isZero {
            let c = m.coefficient[e]
            let id = coefficientIDs[c] ?? coefficientIDs.count
            coefficientIDs[c] = id
            pairs.append((id, h[m.column[e]]))
          }
          if pairs.isEmpty { return zero }
          pairs.sort { $0 < $1 }
          return number(.combination(stage: si, terms: pairs.flatMap { [$0.0, $0.1] }))
        }
      case .activation(let a, _, _):
        let positive = masks[act]
        h = h.indices.map { q in
          if positive[q] || h[q] == zero { return h[q] }
          switch a {
          case .identity: return h[q]
          case .relu: return zero
          case .leaky: return number(.scaled(stage: si, form: h[q]))
          }
        }
        act += 1
      case .selection:
        h = selections[pool].map { h[$0] }
        pool += 1
      }
    }
    return h
  }
}
