import ConvNet
import Hessian

/// The structure of a network as the built-in formulas need it.
struct NetworkStructure {
  let infos: [LayerInfo]
  let convs: [(layer: ConvLayer, info: LayerInfo)]
  let denses: [(layer: DenseLayer, info: LayerInfo)]
  /// Identity activations only (avgpool is linear too).
  let isLinear: Bool
  let hasBias: Bool
  let hasPooling: Bool
  let inputChannels: Int
  let spatialDimensions: Int

  init(_ architecture: Architecture) {
    infos = (try? architecture.layerInfos()) ?? []
    var convs: [(ConvLayer, LayerInfo)] = []
    var denses: [(DenseLayer, LayerInfo)] = []
    var linear = true, bias = false, pooling = false
    for info in infos {
      switch info.layer {
      case .conv(let c):
        convs.append((c, info))
        bias = bias || c.bias
      case .dense(let d):
        denses.append((d, info))
        bias = bias || d.bias
      case .activation(let a): if a != .identity { linear = false }
      case .avgPool: pooling = true
      }
    }
    self.convs = convs
    self.denses = denses
    isLinear = linear
    hasBias = bias
    hasPooling = pooling
    inputChannels = architecture.input.shape.channels
    spatialDimensions = architecture.input.shape.spatial.count
  }

  /// Every conv layer has stride 1, no padding and no dilation.
  var plainConvolutions: Bool {
    convs.allSatisfy { c in c.layer.stride.allSatisfy { $0 == 1 } && c.layer.padding.allSatisfy { $0 == 0 } && c.layer.dilation.allSatisfy { $0 == 1 } }
  }
}

/// Bounds that always hold: rank(H_o) ≤ min(p, nK) (and ≤ K·r for linear nets without bias,
/// whose Jacobian rows depend linearly on the input); rank(H_f) ≤ p; rank(H_L) ≤
/// min(p, rank(H_o) + rank(H_f)) (subadditivity, when both ranks were computed).
public struct TrivialBoundsAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `trivial`.
  public let id = "trivial"
  /// One line for the help text.
  public let summary = "trivial: H_o ≤ min(p, nK[, Kr if linear without bias]); H_f ≤ p; H_L ≤ min(p, rank H_o + rank H_f)"

  /// The three bounds for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    let net = NetworkStructure(row.config.architecture)
    var out: [Annotation] = []
    var outer = min(row.p, row.n * row.k)
    if net.isLinear && !net.hasBias { outer = min(outer, row.k * row.dataRank) }
    out.append(.bound(id, .outer, value: outer, rank: row.ranks[.outer]))
    out.append(.bound(id, .functional, value: row.p, rank: row.ranks[.functional]))
    if let o = row.ranks[.outer], let f = row.ranks[.functional] {
      out.append(.bound(id, .loss, value: min(row.p, o + f), rank: row.ranks[.loss]))
    } else {
      out.append(.bound(id, .loss, value: row.p, rank: row.ranks[.loss]))
    }
    return out
  }
}

/// Deep linear fully connected nets, Singh, Bachmann & Hofmann (NeurIPS 2021): with hidden
/// widths M_1…M_{L−1}, q = min(r, K, M_1, …, M_{L−1}) and s = min(r, K),
/// rank(H_o) = q(r + K − q), rank(H_f) = 2qΣM_i + 2qs − Lq², rank(H_L) = 2qΣM_i + q(r + K) − Lq²
/// (generic ranks). Applies to networks of L ≥ 2 dense layers without bias or nonlinearity.
public struct FullyConnectedPaperAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `fc-paper`.
  public let id = "fc-paper"
  /// One line for the help text.
  public let summary = "fc-paper: deep linear FC nets (paper, NeurIPS 2021): H_o = q(r+K−q), H_f = 2qΣM + 2qs − Lq², H_L = 2qΣM + q(r+K) − Lq²"

  /// The values of the three formulas, or nil when the hypotheses fail (with the reason).
  public static func values(_ architecture: Architecture, r: Int, k: Int) -> (outer: Int, functional: Int, loss: Int)? {
    let net = NetworkStructure(architecture)
    guard net.convs.isEmpty, !net.hasPooling, net.isLinear, !net.hasBias, net.denses.count >= 2 else { return nil }
    let l = net.denses.count
    let hidden = net.denses.dropLast().map(\.layer.outputs)
    let q = ([r, k] + hidden).min()!
    let s = min(r, k)
    let sum = hidden.reduce(0, +)
    return (q * (r + k - q), 2 * q * sum + 2 * q * s - l * q * q, 2 * q * sum + q * (r + k) - l * q * q)
  }

  /// The formulas for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    guard let v = Self.values(row.config.architecture, r: row.dataRank, k: row.k) else {
      let why = "not a linear fully connected net of ≥ 2 layers without bias"
      return HessianKind.allCases.map { .notApplicable(id, $0, why: why) }
    }
    return [.bound(id, .outer, value: v.outer, rank: row.ranks[.outer]),
            .bound(id, .functional, value: v.functional, rank: row.ranks[.functional]),
            .bound(id, .loss, value: v.loss, rank: row.ranks[.loss])]
  }
}

/// One 1-D conv layer (stride 1, no padding, no bias, linear) and a dense head — derived
/// formulas (../shared/reference/rank-formulas.md, checked in float64 and by this project's
/// tests): with k̃ = c₀k, d′ output positions, r̃ = min(k̃, r), q = min(m, r̃), s = min(r, K),
/// rank(H_o) = min(Kr, q(r̃ + Kd′ − q)) and rank(H_f) = 2m·min(k̃, s·d′).
public struct OneConvLayerAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `cnn1-derived`.
  public let id = "cnn1-derived"
  /// One line for the help text.
  public let summary = "cnn1-derived: one linear 1-D conv layer + dense head (derived): H_o = min(Kr, q(r̃+Kd′−q)), H_f = 2m·min(c₀k, s·d′)"

  /// The two values, or nil outside the hypotheses.
  public static func values(_ architecture: Architecture, r: Int, k: Int) -> (outer: Int, functional: Int)? {
    let net = NetworkStructure(architecture)
    guard net.convs.count == 1, net.denses.count == 1, net.spatialDimensions == 1, net.isLinear, !net.hasBias,
          !net.hasPooling, net.plainConvolutions else { return nil }
    let conv = net.convs[0]
    let kTilde = net.inputChannels * conv.layer.kernel[0]
    let dPrime = conv.info.output.positions
    let m = conv.layer.outChannels
    let rTilde = min(kTilde, r)
    let q = min(m, rTilde)
    let s = min(r, k)
    return (min(k * r, q * (rTilde + k * dPrime - q)), 2 * m * min(kTilde, s * dPrime))
  }

  /// The formulas for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    guard let v = Self.values(row.config.architecture, r: row.dataRank, k: row.k) else {
      let why = "not one linear 1-D conv layer (stride 1, no padding, no bias) with a dense head"
      return [.notApplicable(id, .outer, why: why), .notApplicable(id, .functional, why: why)]
    }
    return [.bound(id, .outer, value: v.outer, rank: row.ranks[.outer]),
            .bound(id, .functional, value: v.functional, rank: row.ranks[.functional])]
  }
}

/// Observed upper bound for linear 1-D CNNs (stride 1, no padding, no bias) with a dense head:
/// rank(H_f) ≤ 2c₀ Σ_l m_l RF_l, with RF_l the receptive field of conv layer l. Never exceeded
/// in float64 checks; not tight for ≥ 3 layers or c₀ ≥ 2 (../shared/reference/rank-formulas.md).
public struct ReceptiveFieldAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `cnn-hf-rf`.
  public let id = "cnn-hf-rf"
  /// One line for the help text.
  public let summary = "cnn-hf-rf: linear 1-D CNNs + dense head (observed upper bound): H_f ≤ 2c₀ Σ_l m_l RF_l"

  /// The value, or nil outside the hypotheses.
  public static func value(_ architecture: Architecture) -> Int? {
    let net = NetworkStructure(architecture)
    guard !net.convs.isEmpty, net.denses.count == 1, net.spatialDimensions == 1, net.isLinear, !net.hasBias,
          !net.hasPooling, net.plainConvolutions else { return nil }
    let sum = net.convs.reduce(0) { $0 + $1.layer.outChannels * ($1.info.receptiveField.first ?? 1) }
    return 2 * net.inputChannels * sum
  }

  /// The bound for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    guard let v = Self.value(row.config.architecture) else {
      return [.notApplicable(id, .functional, why: "not a linear 1-D CNN (stride 1, no padding, no bias) with one dense head")]
    }
    return [.bound(id, .functional, value: v, rank: row.ranks[.functional])]
  }
}

/// √p as a plain column (one decimal, truncated; computed with integers): the scale of the
/// "square-root law" — with m channels per layer p grows like m² while the ranks grow like m.
public struct SquareRootAnnotator: RowAnnotator {
  /// An annotator.
  public init() {}
  /// `sqrt-p`.
  public let id = "sqrt-p"
  /// One line for the help text.
  public let summary = "sqrt-p: √p (a plain column, no verdict)"

  /// ⌊10√p⌋/10 as text, e.g. "10.0" for p = 100.
  public static func text(_ p: Int) -> String {
    let t = integerSquareRoot(100 * p)
    return "\(t / 10).\(t % 10)"
  }

  /// ⌊√x⌋ for x ≥ 0 (Newton's method on integers).
  static func integerSquareRoot(_ x: Int) -> Int {
    guard x > 1 else { return max(0, x) }
    var y = x, z = (x + 1) / 2
    while z < y {
      y = z
      z = (y + x / y) / 2
    }
    return y
  }

  /// The column for one row.
  public func annotate(_ row: RowContext) throws -> [Annotation] {
    [Annotation(bound: id, hessian: nil, column: "√p", value: Self.text(row.p), verdict: nil)]
  }
}
