import Exact

// The canonical architecture string: the inverse of `Architecture(parsing:)`.
//
// Defaults are omitted (s=1, p=0, dil=1, avgpool stride = window); a per-dimension size is
// printed as one number when it is the same in every dimension (`k=3` is 3×3 in 2-D) and as
// `AxB` otherwise. So `Architecture(parsing: a.description) == a` for every valid `a`, and
// `Architecture(parsing: s).description == s` for every canonical string `s`.

extension InputSpec: CustomStringConvertible {
  /// `D`, `CxD` or `CxHxW`, as the input was written.
  public var description: String {
    if form == .vector, shape.channels == 1, shape.spatial.count == 1 { return "\(shape.spatial[0])" }
    return shape.description
  }
}

extension Activation: CustomStringConvertible {
  /// `identity`, `relu` or `leaky(1/10)` (the slope in lowest terms).
  public var description: String {
    switch self {
    case .identity: return "identity"
    case .relu: return "relu"
    case .leaky(let slope): return "leaky(\(slope))"
    }
  }
}

extension ConvLayer: CustomStringConvertible {
  /// `conv(M,k=K[,s=S][,p=P][,dil=D][,bias])` with defaults omitted.
  public var description: String {
    var parts = ["\(outChannels)", "k=" + Layer.sizeText(kernel)]
    if stride.contains(where: { $0 != 1 }) { parts.append("s=" + Layer.sizeText(stride)) }
    if padding.contains(where: { $0 != 0 }) { parts.append("p=" + Layer.sizeText(padding)) }
    if dilation.contains(where: { $0 != 1 }) { parts.append("dil=" + Layer.sizeText(dilation)) }
    if bias { parts.append("bias") }
    return "conv(" + parts.joined(separator: ",") + ")"
  }
}

extension DenseLayer: CustomStringConvertible {
  /// `dense(N)` or `dense(N,bias)`.
  public var description: String { bias ? "dense(\(outputs),bias)" : "dense(\(outputs))" }
}

extension AvgPoolLayer: CustomStringConvertible {
  /// `avgpool(k=K)` or `avgpool(k=K,s=S)` when the stride differs from the window.
  public var description: String {
    var s = "avgpool(k=" + Layer.sizeText(kernel)
    if stride != kernel { s += ",s=" + Layer.sizeText(stride) }
    return s + ")"
  }
}

extension MaxPoolLayer: CustomStringConvertible {
  /// `maxpool(k=K)` or `maxpool(k=K,s=S)` when the stride differs from the window.
  public var description: String {
    var s = "maxpool(k=" + Layer.sizeText(kernel)
    if stride != kernel { s += ",s=" + Layer.sizeText(stride) }
    return s + ")"
  }
}

extension Layer: CustomStringConvertible {
  /// The layer as written in an architecture string.
  public var description: String {
    switch self {
    case .conv(let c): return c.description
    case .dense(let d): return d.description
    case .activation(let a): return a.description
    case .avgPool(let p): return p.description
    case .maxPool(let p): return p.description
    }
  }

  /// `3` when every dimension has the same size, else `3x2` (rows × columns).
  static func sizeText(_ sizes: [Int]) -> String {
    if let first = sizes.first, sizes.allSatisfy({ $0 == first }) { return "\(first)" }
    return sizes.map(String.init).joined(separator: "x")
  }
}

extension Architecture: CustomStringConvertible {
  /// The canonical architecture string, e.g. `1x16 conv(4,k=3) conv(4,k=3) dense(2)`.
  public var description: String {
    ([input.description] + layers.map(\.description)).joined(separator: " ")
  }
}
