/// The documented variable names of the bound language and what they mean.
public struct VariableCatalog: Sendable {
  /// Whether a variable is one number or one number per layer.
  public enum Kind: Sendable, Equatable {
    /// One number: `r`, `K`, …
    case scalar
    /// One number per layer, `m[l]`: index 0 is the input, 1…L the parametric layers.
    case perLayer
  }

  /// One documented variable.
  public struct Entry: Sendable, Equatable {
    /// The name as written in formulas.
    public let name: String
    /// Scalar or per layer.
    public let kind: Kind
    /// What it means, for `hessrank bounds --variables` and docs/bounds.md.
    public let meaning: String
  }

  /// The variables, in documentation order.
  public let entries: [Entry]

  /// Looks up a name.
  public func kind(of name: String) -> Kind? { entries.first { $0.name == name }?.kind }

  /// "unknown variable 'rh0' (did you mean 'rho'?)".
  public func unknownMessage(_ name: String, bound: Set<String>) -> String {
    let candidates = entries.map(\.name) + bound.sorted()
    let close = candidates.filter { editDistance($0.lowercased(), name.lowercased()) <= max(1, name.count / 3) }
    let hint = close.isEmpty ? "; run 'hessrank bounds --variables' for the list" : " (did you mean \(close.prefix(3).map { "'\($0)'" }.joined(separator: " or "))?)"
    return "unknown variable '\(name)'\(hint)"
  }

  /// The standard catalog (docs/bounds.md).
  public static let standard = VariableCatalog(entries: [
    Entry(name: "d", kind: .scalar, meaning: "input positions: the length of a 1-D input, h·w of a 2-D one (for a plain vector input, its size)"),
    Entry(name: "h", kind: .scalar, meaning: "input height (2-D inputs)"),
    Entry(name: "w", kind: .scalar, meaning: "input width (2-D inputs)"),
    Entry(name: "c0", kind: .scalar, meaning: "input channels"),
    Entry(name: "D", kind: .scalar, meaning: "input size c0·d (the length of a flattened input)"),
    Entry(name: "dims", kind: .scalar, meaning: "spatial dimensions of the input: 1 or 2"),
    Entry(name: "n", kind: .scalar, meaning: "number of samples"),
    Entry(name: "K", kind: .scalar, meaning: "number of outputs (the width of the last dense layer)"),
    Entry(name: "L", kind: .scalar, meaning: "number of parametric layers (conv and dense); sum(l, …) runs over 1…L"),
    Entry(name: "Lc", kind: .scalar, meaning: "number of conv layers (layers 1…Lc of a CNN)"),
    Entry(name: "p", kind: .scalar, meaning: "number of parameters"),
    Entry(name: "r", kind: .scalar, meaning: "r = rank(Σ_xx) = rank(X), the data rank (exact)"),
    Entry(name: "r1", kind: .scalar, meaning: "r₁ = rank [X; 1ᵀ], the data rank with a row of ones appended (what a bias sees; exact)"),
    Entry(name: "s", kind: .scalar, meaning: "s = min(r, K)"),
    Entry(name: "q", kind: .scalar, meaning: "fully connected: min(r, K, M[1], …, M[L−1]); one conv layer: min(m[1], rt)"),
    Entry(name: "kt", kind: .scalar, meaning: "k̃ = c0·k[1], the patch size of the first conv layer"),
    Entry(name: "rt", kind: .scalar, meaning: "r̃ = min(kt, r)"),
    Entry(name: "dp", kind: .scalar, meaning: "d′ = d_out[1], the output positions of the first conv layer"),
    Entry(name: "rho", kind: .scalar, meaning: "ρ = rank(T^V X): T^V = [T^{v_1}; …; T^{v_m}] the first conv layer's (m·d′ × c0·d) Toeplitz matrix at the instance's weights, X the data (exact)"),
    Entry(name: "rhat", kind: .scalar, meaning: "r̂ = rank[P_1 X, …, P_d′ X], the rank of all input patches of the first conv layer over all samples (kt × n·d′, exact)"),
    Entry(name: "rc", kind: .scalar, meaning: "r_c = the rank of the data on the input entries the first conv layer reads (= r unless a stride or dilation skips inputs; exact)"),
    Entry(name: "qhat", kind: .scalar, meaning: "q̂ = min(m[1], rhat)"),
    Entry(name: "rank_outer", kind: .scalar, meaning: "the exact rank of H_o at the same point (for bounds in terms of other ranks)"),
    Entry(name: "rank_functional", kind: .scalar, meaning: "the exact rank of H_f at the same point"),
    Entry(name: "rank_loss", kind: .scalar, meaning: "the exact rank of H_L at the same point"),
    Entry(name: "m", kind: .perLayer, meaning: "output channels of conv layer l, outputs of dense layer l; m[0] = c0, m[L] = K"),
    Entry(name: "M", kind: .perLayer, meaning: "fully connected nets: the width of layer l (M[1…L−1] hidden, M[L] = K, M[0] = D)"),
    Entry(name: "k", kind: .perLayer, meaning: "kernel size of conv layer l (kh·kw in 2-D)"),
    Entry(name: "kh", kind: .perLayer, meaning: "kernel height of 2-D conv layer l"),
    Entry(name: "kw", kind: .perLayer, meaning: "kernel width of 2-D conv layer l"),
    Entry(name: "S", kind: .perLayer, meaning: "stride of conv layer l (when equal in every dimension)"),
    Entry(name: "P", kind: .perLayer, meaning: "zero padding per side of conv layer l (when equal in every dimension)"),
    Entry(name: "dil", kind: .perLayer, meaning: "dilation of conv layer l (when equal in every dimension)"),
    Entry(name: "Smax", kind: .perLayer, meaning: "the largest stride of conv layer l over its dimensions"),
    Entry(name: "Pmax", kind: .perLayer, meaning: "the largest padding of conv layer l over its dimensions"),
    Entry(name: "dilmax", kind: .perLayer, meaning: "the largest dilation of conv layer l over its dimensions"),
    Entry(name: "d_out", kind: .perLayer, meaning: "output positions of layer l (1 for a dense layer); d_out[0] = d"),
    Entry(name: "RF", kind: .perLayer, meaning: "receptive field of conv layer l on the input, in positions (product over dimensions)"),
    Entry(name: "bias", kind: .perLayer, meaning: "1 when layer l has a bias, else 0"),
    Entry(name: "params", kind: .perLayer, meaning: "number of parameters of layer l"),
  ])
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a), y = Array(b)
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var previous = Array(0...y.count)
  for i in 1...x.count {
    var row = [i] + Array(repeating: 0, count: y.count)
    for j in 1...y.count {
      row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[y.count]
}
