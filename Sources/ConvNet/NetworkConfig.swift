import Exact
import Foundation

/// A config that cannot be read: one line naming the file, the key and the fix.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
  /// The file the config came from (nil for in-memory JSON).
  public let path: String?
  /// What is wrong and how to fix it.
  public let message: String

  /// An error in the config at `path`.
  public init(path: String? = nil, _ message: String) {
    self.path = path
    self.message = message
  }

  /// `path: message`, or the message alone.
  public var description: String { path.map { "\($0): \(message)" } ?? message }
}

/// A network and how to instantiate it: what a JSON config file or an architecture string holds.
///
/// JSON schema (`docs/config.md`): either `"architecture": "<string>"` or the structured
/// `"input"` + `"layers"`, plus the optional instance settings `samples`, `seed`, `range`,
/// `max_denominator`, `targets` (`"random"`/`"zero"`), `weights` (p exact numbers in PyTorch
/// `state_dict` order), `inputs` (n rows of c₀·d, channel-major), `target_values` (n rows of K)
/// and a free-text `comment`, and the files θ, X, Y or class labels are read from
/// (`weights_file`, `data_file`, `targets_file`, `labels_file`: a path relative to the config
/// or `{"path", "sha256"}`; read by the `InstanceFiles` module). Numbers are read from their
/// decimal text exactly; write fractions as strings ("1/3"), and `loss` (`"mse"`, the default,
/// or `"ce"`: softmax cross-entropy). Unknown keys are errors.
/// Without `range`, a network gets `InstanceSettings.defaultRange(for:)` (1000000).
public struct NetworkConfig: Equatable, Hashable, Sendable {
  /// The network.
  public var architecture: Architecture
  /// Samples, seed, value range, targets and any explicit values.
  public var instance: InstanceSettings
  /// Free text kept with the config (the `comment` key).
  public var comment: String?

  /// A config of an architecture with the given (default) instance settings.
  public init(architecture: Architecture, instance: InstanceSettings = InstanceSettings(), comment: String? = nil) {
    self.architecture = architecture
    self.instance = instance
    self.comment = comment
  }

  /// The largest number of samples accepted.
  public static let maxSamples = 1_000_000
  /// The largest `range` and `max_denominator` accepted (their product must fit in 64 bits).
  public static let maxRange = 1_000_000_000

  static let topLevelKeys = ["comment", "architecture", "input", "layers", "samples", "seed", "range",
                             "max_denominator", "targets", "weights", "inputs", "target_values", "loss"] + fileKeys
  /// Config keys naming the files θ, X, Y or class labels are read from (`InstanceFileSet`).
  public static let fileKeys = ["weights_file", "data_file", "targets_file", "labels_file"]
}

// MARK: - Reading

extension NetworkConfig {
  /// Reads a JSON config (see the type's documentation for the schema) and validates it.
  /// - Throws: `ConfigError` naming the key and the fix (without a path; `load` adds it).
  public init(json: Data) throws(ConfigError) {
    let root: JSONValue
    do {
      root = try JSONValue.parse(Array(json))
    } catch {
      throw ConfigError(error.description)
    }
    guard case .object(let pairs) = root else {
      throw ConfigError("a config is a JSON object {…} with an \"architecture\" key, found \(root.kindName)")
    }
    let fields = try ConfigFields(pairs, context: "the config", allowed: NetworkConfig.topLevelKeys)
    let architecture: Architecture
    if let text = fields["architecture"] {
      if let extra = ["input", "layers"].first(where: { fields[$0] != nil }) {
        throw ConfigError("give either \"architecture\" (a string) or \"input\" with \"layers\", not both (found \"\(extra)\")")
      }
      guard case .string(let s) = text else {
        throw ConfigError("\"architecture\" must be a string like \"1x16 conv(4,k=3) dense(2)\", found \(text.kindName); for the structured form use \"input\" and \"layers\"")
      }
      do {
        architecture = try Architecture(parsing: s)
      } catch {
        throw ConfigError("\"architecture\": \(error.description)")
      }
    } else if fields["input"] != nil || fields["layers"] != nil {
      architecture = try Architecture(structuredInput: fields["input"], layers: fields["layers"])
    } else {
      throw ConfigError("missing \"architecture\": add e.g. \"architecture\": \"1x16 conv(4,k=3) dense(2)\" (or \"input\" and \"layers\")")
    }

    var instance = InstanceSettings()
    if let v = fields["samples"] { instance.samples = try ConfigFields.integer(v, "\"samples\"", in: 1...NetworkConfig.maxSamples) }
    if let v = fields["seed"] {
      guard case .number(let t) = v, let seed = UInt64(t) else {
        throw ConfigError("\"seed\" must be an integer in 0...\(UInt64.max), found \(ConfigFields.shown(v))")
      }
      instance.seed = seed
    }
    instance.range = InstanceSettings.defaultRange(for: architecture)
    if let v = fields["range"] { instance.range = try ConfigFields.integer(v, "\"range\"", in: 1...NetworkConfig.maxRange) }
    if let v = fields["max_denominator"] {
      instance.maxDenominator = try ConfigFields.integer(v, "\"max_denominator\"", in: 1...NetworkConfig.maxRange)
    }
    if let v = fields["targets"] {
      guard case .string(let s) = v, let mode = TargetMode(rawValue: s) else {
        throw ConfigError("\"targets\" must be one of \(TargetMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \(ConfigFields.shown(v)); explicit targets go in \"target_values\"")
      }
      instance.targets = mode
    }
    if let v = fields["weights"] { instance.weights = try ConfigFields.numbers(v, "weights") }
    if let v = fields["inputs"] { instance.inputs = try ConfigFields.rows(v, "inputs") }
    if let v = fields["target_values"] { instance.targetValues = try ConfigFields.rows(v, "target_values") }
    if fields["samples"] == nil, let rows = instance.inputs ?? instance.targetValues {
      instance.samples = rows.count
    }
    if let v = fields["loss"] {
      guard case .string(let s) = v, let loss = LossFunction(rawValue: s) else {
        throw ConfigError("\"loss\" must be one of \(LossFunction.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \(ConfigFields.shown(v))")
      }
      instance.loss = loss
    }
    instance.files = try ConfigFields.files(fields)
    if fields["samples"] != nil, !instance.files.isEmpty { instance.files.rowLimit = instance.samples }
    var comment: String?
    if let v = fields["comment"] {
      guard case .string(let s) = v else { throw ConfigError("\"comment\" must be a string, found \(v.kindName)") }
      comment = s
    }
    self.init(architecture: architecture, instance: instance, comment: comment)
    try validate()
  }

  /// Checks that explicit weights, inputs and targets have the sizes the architecture needs.
  /// - Throws: `ConfigError` saying which count is wrong and what it should be.
  public func validate() throws(ConfigError) {
    let infos: [LayerInfo]
    do {
      infos = try architecture.layerInfos()
    } catch {
      throw ConfigError("\(error)")
    }
    let p = infos.compactMap(\.parameters).reduce(0) { $0 + $1.count }
    let d = architecture.input.shape.count
    let k = architecture.outputCount
    let n = instance.samples
    guard (1...NetworkConfig.maxSamples).contains(n) else { throw ConfigError("\"samples\" must be in 1...\(NetworkConfig.maxSamples), found \(n)") }
    guard (1...NetworkConfig.maxRange).contains(instance.range) else {
      throw ConfigError("\"range\" must be in 1...\(NetworkConfig.maxRange), found \(instance.range)")
    }
    guard (1...NetworkConfig.maxRange).contains(instance.maxDenominator) else {
      throw ConfigError("\"max_denominator\" must be in 1...\(NetworkConfig.maxRange), found \(instance.maxDenominator)")
    }
    if let w = instance.weights, w.count != p {
      throw ConfigError("\"weights\" has \(w.count) numbers but \(architecture) has p = \(p) parameters (PyTorch state_dict order: \(infos.flatMap(\.parameterTensors).map(\.description).joined(separator: ", ")))")
    }
    if let x = instance.inputs {
      guard x.count == n else { throw ConfigError("\"inputs\" has \(x.count) rows but \"samples\" is \(n); give one row per sample") }
      if let bad = x.firstIndex(where: { $0.count != d }) {
        throw ConfigError("\"inputs\" row \(bad) has \(x[bad].count) numbers; each row is one input flattened channel-major, \(architecture.input.shape) = \(d) numbers")
      }
    }
    if let y = instance.targetValues {
      guard y.count == n else { throw ConfigError("\"target_values\" has \(y.count) rows but \"samples\" is \(n); give one row per sample") }
      if let bad = y.firstIndex(where: { $0.count != k }) {
        throw ConfigError("\"target_values\" row \(bad) has \(y[bad].count) numbers; each row has K = \(k) targets (the outputs of the last dense layer)")
      }
    }
  }

  /// Reads and validates the JSON config file at `path`.
  /// - Throws: `ConfigError` with the path.
  public static func load(path: String) throws(ConfigError) -> NetworkConfig {
    let data: Data
    switch InputFile.read(path, kind: "config file") {
    case .success(let d): data = d
    case .failure(let e): throw ConfigError(path: path, e.reason)
    }
    do {
      var config = try NetworkConfig(json: data)
      config.instance.files = config.instance.files.relative(to: (path as NSString).deletingLastPathComponent)
      return config
    } catch {
      throw ConfigError(path: path, error.message)
    }
  }

  /// What the command line's `CONFIG|ARCH` argument names: when `argument` is an existing file
  /// or ends with `.json` it is read as a JSON config, otherwise it is parsed as an
  /// architecture string with default instance settings.
  /// - Throws: `ConfigError` (for a string, its message shows the column at fault).
  public static func load(configOrArchitecture argument: String) throws(ConfigError) -> NetworkConfig {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory)
    if (exists && !isDirectory.boolValue) || argument.lowercased().hasSuffix(".json") {
      return try load(path: argument)
    }
    do {
      let architecture = try Architecture(parsing: argument)
      return NetworkConfig(architecture: architecture,
                           instance: InstanceSettings(range: InstanceSettings.defaultRange(for: architecture)))
    } catch {
      if exists { throw ConfigError(path: argument, "is a directory, not a config file or an architecture string") }
      var message = "invalid architecture: \(error.description)"
      if argument.contains("/") && !argument.contains("(") && !argument.contains(" ") {
        message = "'\(argument)' is neither an existing config file nor an architecture string (\(error.message))"
      }
      throw ConfigError(message)
    }
  }
}

// MARK: - Writing

extension NetworkConfig {
  /// The config as pretty-printed JSON that `init(json:)` reads back to an equal value.
  ///
  /// With `structuredLayers` the architecture is written as `"input"` and `"layers"` objects
  /// (keys named like PyTorch's constructor arguments) instead of the compact string.
  public func jsonData(structuredLayers: Bool = false) -> Data {
    Data((jsonObject(structuredLayers: structuredLayers).serialized() + "\n").utf8)
  }

  /// The config as a JSON value (for embedding in certificates).
  public func jsonObject(structuredLayers: Bool) -> JSONValue {
    var pairs: [(key: String, value: JSONValue)] = []
    if let comment { pairs.append(("comment", .string(comment))) }
    if structuredLayers {
      pairs.append(("input", architecture.input.jsonValue))
      pairs.append(("layers", .array(architecture.layers.map(\.jsonValue))))
    } else {
      pairs.append(("architecture", .string(architecture.description)))
    }
    pairs.append(("samples", .number("\(instance.samples)")))
    pairs.append(("seed", .number("\(instance.seed)")))
    pairs.append(("range", .number("\(instance.range)")))
    pairs.append(("max_denominator", .number("\(instance.maxDenominator)")))
    pairs.append(("targets", .string(instance.targets.rawValue)))
    if instance.loss != .mse { pairs.append(("loss", .string(instance.loss.rawValue))) }
    if let w = instance.weights { pairs.append(("weights", .array(w.map(JSONValue.exact)))) }
    if let x = instance.inputs { pairs.append(("inputs", .array(x.map { .array($0.map(JSONValue.exact)) }))) }
    if let y = instance.targetValues { pairs.append(("target_values", .array(y.map { .array($0.map(JSONValue.exact)) }))) }
    for (role, reference) in instance.files.all {
      var file: [(key: String, value: JSONValue)] = [("path", .string(reference.path))]
      if let digest = reference.sha256 { file.append(("sha256", .string(digest))) }
      pairs.append(("\(role)_file", .object(file)))
    }
    return .object(pairs)
  }
}

extension JSONValue {
  /// An integer as a JSON number, any other rational as a string "a/b".
  static func exact(_ q: Rational) -> JSONValue { q.isInteger ? .number(q.description) : .string(q.description) }
}

// MARK: - Structured architecture form

extension InputSpec {
  /// `{"features": D}`, `{"channels": C, "length": D}` or `{"channels": C, "height": H, "width": W}`.
  var jsonValue: JSONValue {
    let s = shape
    switch (form, s.spatial.count) {
    case (.vector, 1) where s.channels == 1: return .object([("features", .number("\(s.spatial[0])"))])
    case (_, 1): return .object([("channels", .number("\(s.channels)")), ("length", .number("\(s.spatial[0])"))])
    default:
      return .object([("channels", .number("\(s.channels)")), ("height", .number("\(s.spatial[0])")),
                      ("width", .number("\(s.spatial.count > 1 ? s.spatial[1] : 1)"))])
    }
  }
}

extension Layer {
  /// `{"type": "conv", "out_channels": 4, "kernel_size": 3, …}` with defaults omitted.
  var jsonValue: JSONValue {
    func size(_ v: [Int]) -> JSONValue {
      if let f = v.first, v.allSatisfy({ $0 == f }) { return .number("\(f)") }
      return .array(v.map { .number("\($0)") })
    }
    switch self {
    case .conv(let c):
      var pairs: [(key: String, value: JSONValue)] = [("type", .string("conv")), ("out_channels", .number("\(c.outChannels)")),
                                                      ("kernel_size", size(c.kernel))]
      if c.stride.contains(where: { $0 != 1 }) { pairs.append(("stride", size(c.stride))) }
      if c.padding.contains(where: { $0 != 0 }) { pairs.append(("padding", size(c.padding))) }
      if c.dilation.contains(where: { $0 != 1 }) { pairs.append(("dilation", size(c.dilation))) }
      if c.bias { pairs.append(("bias", .bool(true))) }
      return .object(pairs)
    case .dense(let d):
      var pairs: [(key: String, value: JSONValue)] = [("type", .string("dense")), ("out_features", .number("\(d.outputs)"))]
      if d.bias { pairs.append(("bias", .bool(true))) }
      return .object(pairs)
    case .activation(.identity): return .object([("type", .string("identity"))])
    case .activation(.relu): return .object([("type", .string("relu"))])
    case .activation(.leaky(let slope)):
      return .object([("type", .string("leaky")), ("negative_slope", .exact(slope))])
    case .avgPool(let p):
      var pairs: [(key: String, value: JSONValue)] = [("type", .string("avgpool")), ("kernel_size", size(p.kernel))]
      if p.stride != p.kernel { pairs.append(("stride", size(p.stride))) }
      return .object(pairs)
    case .maxPool(let p):
      var pairs: [(key: String, value: JSONValue)] = [("type", .string("maxpool")), ("kernel_size", size(p.kernel))]
      if p.stride != p.kernel { pairs.append(("stride", size(p.stride))) }
      return .object(pairs)
    }
  }
}

extension Architecture {
  /// The architecture of the structured JSON form, validated like a parsed string.
  init(structuredInput: JSONValue?, layers: JSONValue?) throws(ConfigError) {
    guard let structuredInput else {
      throw ConfigError("missing \"input\": e.g. \"input\": {\"channels\": 1, \"length\": 16} (or \"input\": \"1x16\")")
    }
    guard let layers else { throw ConfigError("missing \"layers\": a list like [{\"type\": \"dense\", \"out_features\": 2}]") }
    let input: InputSpec
    switch structuredInput {
    case .string(let s):
      do {
        input = try ArchitectureParser(text: s).parseInput(0..<s.count)
      } catch {
        throw ConfigError("\"input\": \(error.message)")
      }
    case .object(let pairs):
      let f = try ConfigFields(pairs, context: "\"input\"", allowed: ["features", "channels", "length", "height", "width"])
      func size(_ key: String) throws(ConfigError) -> Int { try ConfigFields.integer(f[key]!, "\"input\" \"\(key)\"", in: 1...Int.max) }
      if f["features"] != nil {
        if let extra = ["channels", "length", "height", "width"].first(where: { f[$0] != nil }) {
          throw ConfigError("\"input\": \"features\" is a plain vector; drop \"\(extra)\" or use \"channels\" with \"length\" (1-D) or \"height\" and \"width\" (2-D)")
        }
        input = InputSpec(shape: TensorShape(channels: 1, spatial: [try size("features")]), form: .vector)
      } else {
        let channels = f["channels"] == nil ? 1 : try size("channels")
        switch (f["length"] != nil, f["height"] != nil, f["width"] != nil) {
        case (true, false, false):
          input = InputSpec(shape: TensorShape(channels: channels, spatial: [try size("length")]), form: .signal)
        case (false, true, true):
          input = InputSpec(shape: TensorShape(channels: channels, spatial: [try size("height"), try size("width")]), form: .image)
        default:
          throw ConfigError("\"input\" needs \"features\" (a vector), \"channels\" and \"length\" (1-D), or \"channels\", \"height\" and \"width\" (2-D)")
        }
      }
    default:
      throw ConfigError("\"input\" must be an object like {\"channels\": 1, \"length\": 16} or a string like \"1x16\", found \(structuredInput.kindName)")
    }
    guard case .array(let items) = layers else {
      throw ConfigError("\"layers\" must be an array of layer objects, found \(layers.kindName)")
    }
    var result: [Layer] = []
    var declaredInputs: [Int?] = []
    var dims = input.shape.spatial.count
    for (i, item) in items.enumerated() {
      let (layer, declaredInput) = try Layer.fromJSON(item, index: i, dims: dims)
      if case .dense = layer { dims = 0 }
      result.append(layer)
      declaredInputs.append(declaredInput)
    }
    self.init(input: input, layers: result)
    do {
      let infos = try layerInfos()
      for (info, declared) in zip(infos, declaredInputs) {
        guard let declared else { continue }
        if case .conv = info.layer, declared != info.input.channels {
          throw ConfigError("layers[\(info.index)] \(info.layer): \"in_channels\" is \(declared) but its input \(info.input) has \(info.input.channels) channel(s); set \"in_channels\": \(info.input.channels) or omit it")
        }
        if case .dense = info.layer, declared != info.input.count {
          throw ConfigError("layers[\(info.index)] \(info.layer): \"in_features\" is \(declared) but its input \(info.input) flattens to \(info.input.count) features; set \"in_features\": \(info.input.count) or omit it")
        }
      }
    } catch let error as ConfigError {
      throw error
    } catch let error as ArchitectureError {
      if let l = error.layer {
        throw ConfigError("layers[\(l)] \(result[l]): \(error.message)")
      }
      throw ConfigError(error.message)
    } catch {
      throw ConfigError("\(error)")
    }
  }
}

extension Layer {
  /// One object of the structured `"layers"` array, with its declared `in_channels` /
  /// `in_features` (checked against the inferred shape by the caller).
  static func fromJSON(_ json: JSONValue, index i: Int, dims: Int) throws(ConfigError) -> (Layer, Int?) {
    let context = "layers[\(i)]"
    guard case .object(let pairs) = json else {
      throw ConfigError("\(context) must be an object like {\"type\": \"relu\"}, found \(json.kindName)")
    }
    guard let typeValue = pairs.first(where: { $0.key == "type" })?.value else {
      throw ConfigError("\(context) has no \"type\"; types are conv, dense, relu, leaky, avgpool, identity")
    }
    guard case .string(let type) = typeValue else { throw ConfigError("\(context) \"type\" must be a string") }
    func sizes(_ f: ConfigFields, _ key: String, minimum: Int) throws(ConfigError) -> [Int]? {
      guard let v = f[key] else { return nil }
      let list: [JSONValue]
      if case .array(let a) = v { list = a } else { list = [v] }
      var out: [Int] = []
      for x in list { out.append(try ConfigFields.integer(x, "\(context) \"\(key)\"", in: minimum...Int.max)) }
      guard (1...2).contains(out.count) else {
        throw ConfigError("\(context) \"\(key)\" must be one size or [rows, columns], found \(out.count) sizes")
      }
      if out.count == 1 { return Array(repeating: out[0], count: max(dims, 1)) }
      if dims == 1 { throw ConfigError("\(context) \"\(key)\" is a 2-D size but the layer's input is 1-D; write one number") }
      return out
    }
    func flag(_ f: ConfigFields, _ key: String) throws(ConfigError) -> Bool {
      guard let v = f[key] else { return false }
      guard case .bool(let b) = v else { throw ConfigError("\(context) \"\(key)\" must be true or false") }
      return b
    }
    switch type {
    case "conv":
      let f = try ConfigFields(pairs, context: context + " (conv)",
                               allowed: ["type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "bias"])
      guard let m = f["out_channels"] else { throw ConfigError("\(context) (conv) needs \"out_channels\"") }
      guard let kernel = try sizes(f, "kernel_size", minimum: 1) else { throw ConfigError("\(context) (conv) needs \"kernel_size\"") }
      func matching(_ key: String, minimum: Int) throws(ConfigError) -> [Int]? {
        guard let v = try sizes(f, key, minimum: minimum) else { return nil }
        guard v.count == kernel.count else {
          throw ConfigError("\(context) \"\(key)\" has \(v.count) sizes but \"kernel_size\" has \(kernel.count)")
        }
        return v
      }
      let conv = ConvLayer(outChannels: try ConfigFields.integer(m, "\(context) \"out_channels\"", in: 1...Int.max), kernel: kernel,
                           stride: try matching("stride", minimum: 1), padding: try matching("padding", minimum: 0),
                           dilation: try matching("dilation", minimum: 1), bias: try flag(f, "bias"))
      return (.conv(conv), try f["in_channels"].map { v throws(ConfigError) in try ConfigFields.integer(v, "\(context) \"in_channels\"", in: 1...Int.max) })
    case "dense":
      let f = try ConfigFields(pairs, context: context + " (dense)", allowed: ["type", "in_features", "out_features", "bias"])
      guard let n = f["out_features"] else { throw ConfigError("\(context) (dense) needs \"out_features\"") }
      let dense = DenseLayer(outputs: try ConfigFields.integer(n, "\(context) \"out_features\"", in: 1...Int.max), bias: try flag(f, "bias"))
      return (.dense(dense), try f["in_features"].map { v throws(ConfigError) in try ConfigFields.integer(v, "\(context) \"in_features\"", in: 1...Int.max) })
    case "relu", "identity", "linear":
      _ = try ConfigFields(pairs, context: context + " (\(type))", allowed: ["type"])
      return (.activation(type == "relu" ? .relu : .identity), nil)
    case "leaky":
      let f = try ConfigFields(pairs, context: context + " (leaky)", allowed: ["type", "negative_slope"])
      let slope = try f["negative_slope"].map { v throws(ConfigError) in try ConfigFields.exact(v, "\(context) \"negative_slope\"") }
      return (.activation(.leaky(slope: slope ?? Rational(1, 100))), nil)
    case "avgpool":
      let f = try ConfigFields(pairs, context: context + " (avgpool)", allowed: ["type", "kernel_size", "stride"])
      guard let kernel = try sizes(f, "kernel_size", minimum: 1) else { throw ConfigError("\(context) (avgpool) needs \"kernel_size\"") }
      let stride = try sizes(f, "stride", minimum: 1)
      if let stride, stride.count != kernel.count {
        throw ConfigError("\(context) \"stride\" has \(stride.count) sizes but \"kernel_size\" has \(kernel.count)")
      }
      return (.avgPool(AvgPoolLayer(kernel: kernel, stride: stride)), nil)
    case "maxpool":
      // PyTorch's MaxPool1d/MaxPool2d keys; only its defaults of padding, dilation and ceil_mode.
      let f = try ConfigFields(pairs, context: context + " (maxpool)",
                               allowed: ["type", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"])
      guard let kernel = try sizes(f, "kernel_size", minimum: 1) else { throw ConfigError("\(context) (maxpool) needs \"kernel_size\"") }
      let stride = try sizes(f, "stride", minimum: 1)
      if let stride, stride.count != kernel.count {
        throw ConfigError("\(context) \"stride\" has \(stride.count) sizes but \"kernel_size\" has \(kernel.count)")
      }
      if let padding = try sizes(f, "padding", minimum: 0), padding.contains(where: { $0 != 0 }) {
        throw ConfigError("\(context) (maxpool) \"padding\" must be 0: padded max pooling is not supported")
      }
      if let dilation = try sizes(f, "dilation", minimum: 1), dilation.contains(where: { $0 != 1 }) {
        throw ConfigError("\(context) (maxpool) \"dilation\" must be 1: dilated max pooling is not supported")
      }
      if try flag(f, "ceil_mode") { throw ConfigError("\(context) (maxpool) \"ceil_mode\" must be false (floor mode, PyTorch's default)") }
      _ = try flag(f, "return_indices")
      return (.maxPool(MaxPoolLayer(kernel: kernel, stride: stride)), nil)
    default:
      let known = ["conv", "dense", "relu", "leaky", "avgpool", "maxpool", "identity"]
      let guess = known.first { editDistance($0, type.lowercased()) <= 2 }
      throw ConfigError("\(context) has unknown type \"\(type)\"\(guess.map { " (did you mean \"\($0)\"?)" } ?? ""); types are \(known.joined(separator: ", "))")
    }
  }
}

/// The keys of one JSON object, checked against the allowed names.
struct ConfigFields {
  private var values: [String: JSONValue] = [:]

  init(_ pairs: [(key: String, value: JSONValue)], context: String, allowed: [String]) throws(ConfigError) {
    for (key, value) in pairs {
      guard allowed.contains(key) else {
        let close = allowed.min { editDistance($0, key) < editDistance($1, key) }.flatMap { editDistance($0, key) <= max(2, key.count / 3) ? $0 : nil }
        let guess = close ?? allowed.first { key.count >= 3 && ($0.hasPrefix(key) || key.hasPrefix($0)) }
        let hint = guess.map { " (did you mean \"\($0)\"?)" } ?? ""
        throw ConfigError("unknown key \(MessageText.quoted(key, limit: 60)) in \(context)\(hint); allowed keys are \(allowed.joined(separator: ", "))")
      }
      values[key] = value
    }
  }

  subscript(key: String) -> JSONValue? { values[key] }

  /// A short rendering of a value for error messages.
  static func shown(_ v: JSONValue) -> String {
    switch v {
    case .number(let n): return n
    case .string(let s): return JSONValue.quoted(s)
    default: return v.kindName
    }
  }

  /// An integer; `name` is the quoted key as it appears in messages.
  static func integer(_ v: JSONValue, _ name: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
    guard case .number(let t) = v, let n = Int(t), range.contains(n) else {
      let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
      throw ConfigError("\(name) must be an integer \(bounds), found \(shown(v))")
    }
    return n
  }

  /// An exact number: a JSON number read from its text, or a string such as "-7/12".
  static func exact(_ v: JSONValue, _ name: String) throws(ConfigError) -> Rational {
    let text: String
    switch v {
    case .number(let t), .string(let t): text = t
    default: throw ConfigError("\(name) must be a number or a string like \"-7/12\", found \(v.kindName)")
    }
    do {
      return try Rational(parsing: text)
    } catch {
      throw ConfigError("\(name): \(error)")
    }
  }

  static func numbers(_ v: JSONValue, _ name: String) throws(ConfigError) -> [Rational] {
    guard case .array(let items) = v else { throw ConfigError("\"\(name)\" must be an array of numbers, found \(v.kindName)") }
    var out: [Rational] = []
    out.reserveCapacity(items.count)
    for (i, x) in items.enumerated() { out.append(try exact(x, "\"\(name)\"[\(i)]")) }
    return out
  }

}

extension NetworkConfig {
  /// The files named by the `*_file` keys among `pairs` (other keys are ignored), for sweep
  /// files that accept the same keys as configs.
  public static func fileSet(from pairs: [(key: String, value: JSONValue)]) throws(ConfigError) -> InstanceFileSet {
    let own = pairs.filter { fileKeys.contains($0.key) }
    return try ConfigFields.files(try ConfigFields(own, context: "the file keys", allowed: fileKeys))
  }
}

extension ConfigFields {
  /// The `*_file` keys: each a path (relative to the config file) or {"path": …, "sha256": …}.
  static func files(_ fields: ConfigFields) throws(ConfigError) -> InstanceFileSet {
    func reference(_ key: String) throws(ConfigError) -> InstanceFileReference? {
      guard let v = fields[key] else { return nil }
      switch v {
      case .string(let path) where !path.isEmpty:
        return InstanceFileReference(path: path)
      case .object(let pairs):
        let f = try ConfigFields(pairs, context: "\"\(key)\"", allowed: ["path", "sha256"])
        guard case .string(let path)? = f["path"], !path.isEmpty else {
          throw ConfigError("\"\(key)\" needs a \"path\" string")
        }
        var r = InstanceFileReference(path: path)
        if let d = f["sha256"] {
          guard case .string(let digest) = d, digest.count == 64,
                digest.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw ConfigError("\"\(key)\" \"sha256\" must be 64 lowercase hex digits, found \(shown(d))")
          }
          r.sha256 = digest
        }
        return r
      default:
        throw ConfigError("\"\(key)\" must be a file path (relative to the config) or {\"path\": …, \"sha256\": …}, found \(shown(v))")
      }
    }
    let set = InstanceFileSet(weights: try reference("weights_file"), data: try reference("data_file"),
                              targets: try reference("targets_file"), labels: try reference("labels_file"))
    if set.targets != nil && set.labels != nil {
      throw ConfigError("give \"targets_file\" or \"labels_file\", not both")
    }
    return set
  }

  static func rows(_ v: JSONValue, _ name: String) throws(ConfigError) -> [[Rational]] {
    guard case .array(let items) = v else { throw ConfigError("\"\(name)\" must be an array of rows (one array per sample), found \(v.kindName)") }
    var out: [[Rational]] = []
    for (i, row) in items.enumerated() {
      guard case .array(let xs) = row else {
        throw ConfigError("\"\(name)\"[\(i)] must be an array (one row per sample), found \(row.kindName)")
      }
      var r: [Rational] = []
      for (j, x) in xs.enumerated() { r.append(try exact(x, "\"\(name)\"[\(i)][\(j)]")) }
      out.append(r)
    }
    return out
  }
}
