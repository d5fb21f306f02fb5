import ConvNet
import Exact
import ExactLinearAlgebra
import Hessian

/// The values of the documented variables (`VariableCatalog.standard`) at one network instance.
///
/// Structural variables come from the architecture (`layerInfos()`); the data quantities are
/// exact ranks at the instance: r = rank(X) (given, from the certified data rank),
/// ρ = rank(T^V X) and r̂ = rank[P_1 X, …, P_d′ X] (computed here with `ExactRank`). Variables
/// that do not apply to the architecture are `.undefined` with the reason.
public struct NetworkVariables: FormulaEnvironment, Sendable {
  /// The structural facts.
  public let facts: NetworkFacts
  /// Scalar values by name.
  public private(set) var scalars: [String: VariableValue] = [:]
  /// Per-layer values by name, index 0…L.
  public private(set) var layers: [String: [VariableValue]] = [:]
  /// L, the number of parametric layers.
  public let layerCount: Int

  /// The variables that need an exact rank computation beyond r (computed only when asked for).
  public static let expensive: Set<String> = ["rho", "rhat", "qhat", "rc", "r1"]

  /// Computes the variables at `instance`.
  /// - Parameters:
  ///   - dataRank: r = rank(X), proved (e.g. `HessianRankReport.dataRank`).
  ///   - ranks: exact Hessian ranks at the instance, for `rank_outer` etc. (missing ones are undefined).
  ///   - names: the variables that will be used; ρ and r̂ are computed only when listed (nil: all).
  public init(instance: NetworkInstance, dataRank: Int, ranks: [HessianKind: Int] = [:], names: Set<String>? = nil) {
    let plan = instance.plan
    let architecture = plan.architecture
    facts = NetworkFacts(architecture)
    let infos = plan.layerInfos
    let parametric = infos.filter { $0.parameters != nil }
    layerCount = parametric.count
    let input = architecture.input.shape
    let isCNN = facts.convCount > 0 && (facts.architectureClass == .oneConv || facts.architectureClass == .deepCNN)

    func set(_ name: String, _ v: Int) { scalars[name] = .value(BigInt(v)) }
    func undefined(_ name: String, _ why: String) { scalars[name] = .undefined(why) }

    set("d", input.positions)
    set("c0", input.channels)
    set("D", input.count)
    set("dims", input.spatial.count)
    if input.spatial.count == 2 {
      set("h", input.spatial[0])
      set("w", input.spatial[1])
    } else {
      undefined("h", "the input is 1-D (use d)")
      undefined("w", "the input is 1-D (use d)")
    }
    set("n", instance.sampleCount)
    set("K", plan.outputSize)
    set("L", layerCount)
    set("Lc", facts.convCount)
    set("p", plan.parameterCount)
    set("r", dataRank)
    if names?.contains("r1") ?? true {
      set("r1", NetworkVariables.exactRank(instance.dataMatrix.nestedRows + [Array(repeating: Rational(1), count: instance.sampleCount)]))
    }
    let k = plan.outputSize
    set("s", min(dataRank, k))

    // Per-layer variables.
    var values: [String: [VariableValue]] = [:]
    func column(_ name: String, input: VariableValue, _ f: (LayerInfo, Int) -> VariableValue) {
      values[name] = [input] + parametric.enumerated().map { f($1, $0 + 1) }
    }
    let notInput = VariableValue.undefined("index 0 is the input, not a layer")
    func convOnly(_ info: LayerInfo, _ l: Int, _ f: (ConvLayer) -> VariableValue) -> VariableValue {
      if case .conv(let c) = info.layer { return f(c) }
      return .undefined("layer \(l) is dense, not a conv layer")
    }
    func isotropic(_ v: [Int], _ what: String, _ l: Int) -> VariableValue {
      guard let f = v.first, v.allSatisfy({ $0 == f }) else {
        return .undefined("the \(what) of layer \(l) differs per dimension (\(v.map(String.init).joined(separator: "x")))")
      }
      return .value(BigInt(f))
    }
    column("m", input: .value(BigInt(input.channels))) { info, _ in .value(BigInt(info.output.channels)) }
    if facts.architectureClass == .fullyConnected {
      column("M", input: .value(BigInt(input.count))) { info, _ in .value(BigInt(info.output.channels)) }
    } else {
      values["M"] = Array(repeating: .undefined("M is defined for fully connected nets; use m[l] for channels"), count: layerCount + 1)
    }
    column("k", input: notInput) { info, l in convOnly(info, l) { .value(BigInt($0.kernel.reduce(1, *))) } }
    column("kh", input: notInput) { info, l in
      convOnly(info, l) { $0.kernel.count == 2 ? .value(BigInt($0.kernel[0])) : .undefined("layer \(l) is a 1-D conv (use k[\(l)])") }
    }
    column("kw", input: notInput) { info, l in
      convOnly(info, l) { $0.kernel.count == 2 ? .value(BigInt($0.kernel[1])) : .undefined("layer \(l) is a 1-D conv (use k[\(l)])") }
    }
    column("S", input: notInput) { info, l in convOnly(info, l) { isotropic($0.stride, "stride", l) } }
    column("P", input: notInput) { info, l in convOnly(info, l) { isotropic($0.padding, "padding", l) } }
    column("dil", input: notInput) { info, l in convOnly(info, l) { isotropic($0.dilation, "dilation", l) } }
    column("Smax", input: notInput) { info, l in convOnly(info, l) { .value(BigInt($0.stride.max() ?? 1)) } }
    column("Pmax", input: notInput) { info, l in convOnly(info, l) { .value(BigInt($0.padding.max() ?? 0)) } }
    column("dilmax", input: notInput) { info, l in convOnly(info, l) { .value(BigInt($0.dilation.max() ?? 1)) } }
    column("d_out", input: .value(BigInt(input.positions))) { info, _ in
      if case .conv = info.layer { return .value(BigInt(info.output.positions)) }
      return .value(1)
    }
    column("RF", input: notInput) { info, l in
      convOnly(info, l) { _ in .value(BigInt(info.receptiveField.reduce(1, *))) }
    }
    column("bias", input: notInput) { info, _ in .value(BigInt((info.parameters?.biasCount ?? 0) > 0 ? 1 : 0)) }
    column("params", input: notInput) { info, _ in .value(BigInt(info.parameters?.count ?? 0)) }
    layers = values

    // q, and the first conv layer's quantities.
    if facts.architectureClass == .fullyConnected {
      let hidden = parametric.dropLast().map { $0.output.channels }
      set("q", ([dataRank, k] + hidden).min()!)
    }
    let noConv = "the network has no conv layer first (it is a \(facts.architectureClass.phrase))"
    guard isCNN, let first = parametric.first, case .conv(let conv) = first.layer, first.index == 0 else {
      if facts.architectureClass != .fullyConnected {
        undefined("q", "q is defined for fully connected nets and one conv layer + dense head; this is a \(facts.architectureClass.phrase)")
      }
      for name in ["kt", "rt", "dp", "rho", "rhat", "qhat", "rc"] { undefined(name, noConv) }
      setRanks(ranks)
      return
    }
    let kt = input.channels * conv.kernel.reduce(1, *)
    let m1 = conv.outChannels
    set("kt", kt)
    set("rt", min(kt, dataRank))
    set("dp", first.output.positions)
    if facts.architectureClass == .oneConv {
      set("q", min(m1, min(kt, dataRank)))
    } else {
      undefined("q", "q is defined for fully connected nets and one conv layer + dense head; this is a deep CNN")
    }
    let wanted = names ?? NetworkVariables.expensive
    if wanted.contains("rho") {
      set("rho", NetworkVariables.rho(instance))
    }
    if wanted.contains("rc") {
      set("rc", NetworkVariables.coveredDataRank(instance))
    }
    if wanted.contains("rhat") || wanted.contains("qhat") {
      let rhat = NetworkVariables.patchRank(instance)
      set("rhat", rhat)
      set("qhat", min(m1, rhat))
    }
    setRanks(ranks)
  }

  private mutating func setRanks(_ ranks: [HessianKind: Int]) {
    for kind in HessianKind.allCases {
      scalars["rank_\(kind.rawValue)"] = ranks[kind].map { .value(BigInt($0)) }
        ?? .undefined("the rank of \(kind.symbol) was not computed")
    }
  }

  // MARK: FormulaEnvironment

  /// The value of a scalar variable (nil for unknown names).
  public func scalar(_ name: String) -> VariableValue? {
    if let v = scalars[name] { return v }
    if NetworkVariables.expensive.contains(name) { return .undefined("\(name) was not computed") }
    return nil
  }

  /// The value of a per-layer variable (nil for unknown names).
  public func perLayer(_ name: String, at index: Int) -> VariableValue? {
    guard let column = layers[name] else { return nil }
    guard index >= 0 && index < column.count else {
      return .undefined("layers are numbered 1…L = \(layerCount) (0 is the input), not \(index)")
    }
    return column[index]
  }

  /// The defined scalar values, by name (for reports and certificates).
  public var definedScalars: [(name: String, value: BigInt)] {
    VariableCatalog.standard.entries.compactMap { e in
      if case .value(let v)? = scalars[e.name] { return (e.name, v) }
      return nil
    }
  }

  // MARK: Exact data ranks of the first conv layer

  /// The first parametric stage's structure and its weights.
  static func firstLayer(_ instance: NetworkInstance) -> (ToeplitzStructure, ArraySlice<Rational>)? {
    guard let first = instance.plan.stages.first, case .parametric(let t, let off, _) = first else { return nil }
    return (t, instance.theta[off..<(off + t.parameterCount)])
  }

  /// ρ = rank(T^V X): the first layer's Toeplitz matrix (bias excluded) times the data matrix.
  public static func rho(_ instance: NetworkInstance) -> Int {
    guard let (t, theta) = firstLayer(instance) else { return 0 }
    let ring = RationalRing()
    let product = ring.product(t.matrix(theta: theta, in: ring), instance.dataMatrix)
    return exactRank(product.nestedRows)
  }

  /// r_c = rank of the data on the input entries the first layer reads (the columns of its
  /// Toeplitz matrix that hold a weight); r_c = r unless a stride or dilation skips inputs.
  public static func coveredDataRank(_ instance: NetworkInstance) -> Int {
    guard let (t, _) = firstLayer(instance) else { return 0 }
    let read = Set(t.column).sorted()
    return exactRank(read.map { i in instance.inputs.map { $0[i] } })
  }

  /// r̂ = rank of the patches of every sample at every output position of the first conv layer
  /// (rows: one patch per sample and output position of output channel 1; columns: the kt
  /// kernel positions). Padding contributes zeros.
  public static func patchRank(_ instance: NetworkInstance) -> Int {
    guard let (t, _) = firstLayer(instance) else { return 0 }
    // Rows of output channel 0 are the first d′ rows; their parameters are 0..<kt.
    guard case .conv(let conv) = instance.plan.architecture.layers[0] else { return 0 }
    let dPrime = t.rows / conv.outChannels
    let kt = t.weightCount / conv.outChannels
    var rows: [[Rational]] = []
    rows.reserveCapacity(instance.sampleCount * dPrime)
    for x in instance.inputs {
      for a in 0..<dPrime {
        var patch = [Rational](repeating: Rational(), count: kt)
        for e in t.rowStart[a]..<t.rowStart[a + 1] { patch[t.parameter[e]] = patch[t.parameter[e]] + x[t.column[e]] }
        rows.append(patch)
      }
    }
    return exactRank(rows)
  }

  /// The exact rank of a rational matrix (rows scaled to integers; Las Vegas, always proved).
  static func exactRank(_ rows: [[Rational]]) -> Int {
    guard let first = rows.first, !first.isEmpty else { return 0 }
    let m = IntegerMatrix(rationalRows: rows)
    // Keep the shorter side as columns: the exact kernel the rank proof solves for is small.
    return ExactRank.certify(m.rows >= m.cols ? m : m.transposed()).rank
  }
}
