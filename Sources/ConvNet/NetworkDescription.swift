/// What `hessrank describe` reports about a network, as a table or as JSON: per layer the
/// input and output shapes (channels first, as PyTorch prints them), output positions d_l,
/// receptive field, parameter tensors with their θ offsets, and the linear map's matrix size.
public struct NetworkDescription: Sendable {
  /// The config described.
  public let config: NetworkConfig
  /// Per-layer shapes and parameter placement.
  public let layers: [LayerInfo]
  /// Whether to report the instance settings (true when they came from a config file).
  public let includesInstance: Bool

  /// Describes a config (throws when the architecture is invalid).
  public init(_ config: NetworkConfig, includesInstance: Bool) throws {
    self.config = config
    self.layers = try config.architecture.layerInfos()
    self.includesInstance = includesInstance
  }

  var architecture: Architecture { config.architecture }
  /// Total parameter count p.
  public var parameterCount: Int { layers.compactMap(\.parameters).reduce(0) { $0 + $1.count } }

  static func shape(_ s: TensorShape) -> [Int] { [s.channels] + s.spatial }
  static func bracketed(_ xs: [Int]) -> String { "[" + xs.map(String.init).joined(separator: ", ") + "]" }

  /// The instance settings in one line.
  public var instanceSummary: String {
    let s = config.instance
    if s.weights != nil, s.inputs != nil, s.targetValues != nil {
      return "n = \(s.samples) samples, explicit weights, inputs, targets"
    }
    var parts = ["n = \(s.samples) samples", "seed \(s.seed)"]
    parts.append(s.maxDenominator == 1 ? "integers in [-\(s.range), \(s.range)]"
                   : "fractions with denominators up to \(s.maxDenominator) in [-\(s.range), \(s.range)]")
    parts.append(s.targetValues != nil ? "explicit targets" : "\(s.targets.rawValue) targets")
    if s.weights != nil { parts.append("explicit weights") }
    if s.inputs != nil { parts.append("explicit inputs") }
    return parts.joined(separator: ", ")
  }

  /// A torchinfo-like table with a header and a totals line. The `matrix` column is the size
  /// (rows x cols) of the layer's linear map: the Toeplitz matrix of a conv layer, W of a dense
  /// layer, the fixed averaging matrix of avgpool.
  public var table: String {
    let input = architecture.input.shape
    var rows: [[String]] = [["#", "layer", "input", "output", "d_l", "RF", "weight", "bias", "params", "θ offset", "matrix"]]
    for info in layers {
      let tensors = info.parameterTensors
      let weight = tensors.first { !$0.isBias }
      let bias = tensors.first { $0.isBias }
      var matrix = "-"
      if let m = info.matrixSize {
        matrix = "\(m.rows) x \(m.cols)"
        if case .avgPool = info.layer { matrix += " (fixed)" }
        if case .maxPool = info.layer { matrix += " (0/1 selection)" }
      }
      rows.append([
        "\(info.index)", info.layer.description, Self.bracketed(Self.shape(info.input)), Self.bracketed(Self.shape(info.output)),
        info.output.spatial.isEmpty ? "-" : "\(info.output.positions)",
        info.receptiveField.isEmpty ? "-" : info.receptiveField.map(String.init).joined(separator: "x"),
        weight.map { Self.bracketed($0.shape) } ?? "-", bias.map { Self.bracketed($0.shape) } ?? "-",
        info.parameters.map { "\($0.count)" } ?? "-", info.parameters.map { "\($0.weightOffset)" } ?? "-", matrix,
      ])
    }
    let rightAligned: Set<Int> = [0, 4, 5, 8, 9]
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    let lines = rows.map { row in
      var line = row.enumerated().map { c, cell in
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        return rightAligned.contains(c) ? pad + cell : cell + pad
      }.joined(separator: "  ")
      while line.last == " " { line.removeLast() }
      return line
    }
    let channels = input.channels == 1 ? "1 channel" : "\(input.channels) channels"
    var out = "network   \(architecture)\n"
    out += "input     \(Self.bracketed(Self.shape(input))): \(channels) x \(input.spatial.map(String.init).joined(separator: "x")), d·c0 = \(input.count)\n"
    if includesInstance { out += "instance  \(instanceSummary)\n" }
    out += "\n" + lines.joined(separator: "\n") + "\n\n"
    out += "p = \(parameterCount) parameters (θ in PyTorch state_dict order), K = \(architecture.outputCount) output\(architecture.outputCount == 1 ? "" : "s"), input size d·c0 = \(input.count)\n"
    return out
  }

  /// One JSON object: `architecture`, `p`, `K`, `input`, `output`, `layers` (and `instance`).
  public var json: String {
    func int(_ v: Int) -> JSONValue { .number("\(v)") }
    func ints(_ v: [Int]) -> JSONValue { .array(v.map(int)) }
    let input = architecture.input.shape
    var layerValues: [JSONValue] = []
    for info in layers {
      var pairs: [(key: String, value: JSONValue)] = [
        ("index", int(info.index)), ("layer", .string(info.layer.description)), ("kind", .string(Self.kind(info.layer))),
        ("input", ints(Self.shape(info.input))), ("output", ints(Self.shape(info.output))),
        ("d_l", info.output.spatial.isEmpty ? .null : int(info.output.positions)),
        ("receptive_field", ints(info.receptiveField)), ("jump", ints(info.jump)),
        ("parameters", int(info.parameters?.count ?? 0)),
        ("tensors", .array(info.parameterTensors.map {
          .object([("name", .string($0.name)), ("shape", ints($0.shape)), ("offset", int($0.offset)), ("count", int($0.count))])
        })),
      ]
      if let m = info.matrixSize {
        pairs.append(("matrix", .object([("rows", int(m.rows)), ("cols", int(m.cols)), ("fixed", .bool(Self.kind(info.layer) == "avgpool"))])))
      } else {
        pairs.append(("matrix", .null))
      }
      layerValues.append(.object(pairs))
    }
    var pairs: [(key: String, value: JSONValue)] = [
      ("architecture", .string(architecture.description)), ("p", int(parameterCount)), ("K", int(architecture.outputCount)),
      ("input", .object([("shape", ints(Self.shape(input))), ("channels", int(input.channels)), ("spatial", ints(input.spatial)),
                         ("size", int(input.count))])),
      ("output", .object([("shape", ints([architecture.outputCount])), ("size", int(architecture.outputCount))])),
    ]
    if includesInstance {
      let s = config.instance
      pairs.append(("instance", .object([
        ("samples", int(s.samples)), ("seed", .number("\(s.seed)")), ("range", int(s.range)), ("max_denominator", int(s.maxDenominator)),
        ("targets", .string(s.targetValues != nil ? "explicit" : s.targets.rawValue)),
        ("explicit_weights", .bool(s.weights != nil)), ("explicit_inputs", .bool(s.inputs != nil)),
      ])))
    }
    pairs.append(("layers", .array(layerValues)))
    return JSONValue.object(pairs).serialized() + "\n"
  }

  static func kind(_ layer: Layer) -> String {
    switch layer {
    case .conv: return "conv"
    case .dense: return "dense"
    case .avgPool: return "avgpool"
    case .maxPool: return "maxpool"
    case .activation(.identity): return "identity"
    case .activation(.relu): return "relu"
    case .activation(.leaky): return "leaky"
    }
  }
}
