import Exact

/// An architecture string that cannot be read or describes an invalid network.
///
/// `column` (1-based, in characters) and `length` mark the offending part of `text`;
/// `description` is one line for the command line, `diagram` shows the string with a caret.
public struct ArchitectureParseError: Error, Equatable, CustomStringConvertible {
  /// The architecture string as given.
  public let text: String
  /// 1-based column of the first offending character.
  public let column: Int
  /// Number of offending characters (at least 1).
  public let length: Int
  /// The 0-based layer index when a layer is at fault (nil for the input or the whole string).
  public let layer: Int?
  /// What is wrong and how to fix it.
  public let message: String

  /// An error at `column` (1-based) spanning `length` characters.
  public init(text: String, column: Int, length: Int = 1, layer: Int? = nil, message: String) {
    self.text = text
    self.column = column
    self.length = max(1, length)
    self.layer = layer
    self.message = message
  }

  /// One line: `column 11 of "1x16 conv(4,q=3) dense(2)": …`.
  public var description: String {
    "column \(column) of \(MessageText.quoted(text)): \(MessageText.escaped(message, limit: 400, escapeQuotes: false))"
  }

  /// The string and a line of carets under the offending part.
  public var diagram: String {
    text + "\n" + String(repeating: " ", count: column - 1) + String(repeating: "^", count: length)
  }
}

extension Architecture {
  /// Parses an architecture string and validates the network (see `docs/architectures.md`).
  ///
  /// Grammar: the input `D`, `CxD` or `CxHxW`, then layers separated by spaces:
  /// `conv(M,k=K[,s=S][,p=P][,dil=D][,bias])`, `dense(N[,bias])`, `relu`, `leaky(a/b)`,
  /// `identity` (alias `linear`), `avgpool(k=K[,s=S])`, `maxpool(k=K[,s=S])`. In 2-D a size is `3` (3×3) or `3x2`
  /// (3 rows × 2 columns). The last layer is the output `dense(K)`.
  /// - Throws: `ArchitectureParseError` pointing at the offending part and saying the fix.
  public init(parsing text: String) throws(ArchitectureParseError) {
    var parser = ArchitectureParser(text: text)
    let (architecture, spans) = try parser.parse()
    do {
      _ = try architecture.layerInfos()
    } catch let error as ArchitectureError {
      let (column, length): (Int, Int)
      if let layer = error.layer, layer < spans.layers.count {
        (column, length) = (spans.layers[layer].lowerBound + 1, spans.layers[layer].count)
      } else {
        (column, length) = (spans.input.lowerBound + 1, spans.input.count)
      }
      let prefix = error.layer.map { "layer \($0) \(parser.source(spans.layers[$0])): " } ?? ""
      throw ArchitectureParseError(text: text, column: column, length: length, layer: error.layer,
                                   message: prefix + error.message)
    } catch {
      throw ArchitectureParseError(text: text, column: 1, length: text.count, message: "\(error)")
    }
    self = architecture
  }
}

/// One argument inside a layer's parentheses: `4`, `k=3x2`, `bias`.
struct ArchitectureArgument {
  /// Text before `=` (or the whole argument), trimmed.
  var key: String
  /// Text after `=`, trimmed (nil for a bare argument).
  var value: String?
  /// Character offsets of the whole argument and of its value in the source.
  var span: Range<Int>
  var valueSpan: Range<Int>
}

/// Character offsets of the input and of each layer in the source string.
struct ArchitectureSpans {
  var input: Range<Int>
  var layers: [Range<Int>] = []
}

/// Recursive-descent reader of the architecture grammar with character positions for errors.
struct ArchitectureParser {
  let text: String
  let chars: [Character]
  var position = 0

  init(text: String) {
    self.text = text
    self.chars = Array(text)
  }

  func source(_ span: Range<Int>) -> String { String(chars[span]) }

  /// An error at `span`; errors inside a layer start with `layer N:`.
  func fail(_ message: String, at span: Range<Int>, layer: Int? = nil) -> ArchitectureParseError {
    ArchitectureParseError(text: text, column: span.lowerBound + 1, length: span.count, layer: layer,
                           message: layer.map { "layer \($0): " + message } ?? message)
  }

  mutating func skipSpaces() {
    while position < chars.count, chars[position].isWhitespace { position += 1 }
  }

  mutating func parse() throws(ArchitectureParseError) -> (Architecture, ArchitectureSpans) {
    skipSpaces()
    guard position < chars.count else {
      throw fail("empty architecture; write the input size then the layers, e.g. \"1x16 conv(4,k=3) dense(2)\"",
                 at: 0..<1)
    }
    let inputStart = position
    while position < chars.count, !chars[position].isWhitespace { position += 1 }
    var spans = ArchitectureSpans(input: inputStart..<position)
    let input = try parseInput(spans.input)
    var layers: [Layer] = []
    var dims = input.shape.spatial.count
    while true {
      skipSpaces()
      guard position < chars.count else { break }
      let start = position
      let layer = try parseLayer(index: layers.count, dims: dims)
      spans.layers.append(start..<position)
      if position < chars.count, !chars[position].isWhitespace {
        throw fail("expected a space after \(source(start..<position)) before the next layer", at: position..<(position + 1),
                   layer: layers.count)
      }
      if case .dense = layer { dims = 0 }
      layers.append(layer)
    }
    guard !layers.isEmpty else {
      throw fail("no layers after the input \(source(spans.input)); end with the output layer dense(K), e.g. \"\(source(spans.input)) dense(2)\"",
                 at: spans.input)
    }
    return (Architecture(input: input, layers: layers), spans)
  }

  /// `D`, `CxD` or `CxHxW` (`×` is accepted for `x`).
  func parseInput(_ span: Range<Int>) throws(ArchitectureParseError) -> InputSpec {
    let token = source(span)
    let parts = token.split(separator: Character("x"), omittingEmptySubsequences: false)
      .flatMap { $0.split(separator: Character("×"), omittingEmptySubsequences: false) }
    let hint = "the input comes first: D (a vector), CxD (C channels of length D) or CxHxW (C channels of H×W images)"
    guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
      throw fail("'\(token)' is not an input size; \(hint)", at: span)
    }
    var sizes: [Int] = []
    for p in parts {
      guard let v = Int(p) else { throw fail("input size \(p) is too large", at: span) }
      guard v >= 1 else { throw fail("input sizes must be positive, got '\(token)'", at: span) }
      sizes.append(v)
    }
    switch sizes.count {
    case 1: return InputSpec(shape: TensorShape(channels: 1, spatial: sizes), form: .vector)
    case 2: return InputSpec(shape: TensorShape(channels: sizes[0], spatial: [sizes[1]]), form: .signal)
    default: return InputSpec(shape: TensorShape(channels: sizes[0], spatial: Array(sizes[1...])), form: .image)
    }
  }

  /// One layer starting at `position`; `dims` is the number of spatial dimensions of its input
  /// (0 after a dense layer).
  mutating func parseLayer(index: Int, dims: Int) throws(ArchitectureParseError) -> Layer {
    let start = position
    while position < chars.count, chars[position].isLetter || chars[position].isASCIIDigit || chars[position] == "_" {
      position += 1
    }
    let name = source(start..<position)
    guard !name.isEmpty else {
      throw fail("expected a layer (conv, dense, relu, leaky, avgpool, maxpool, identity), found '\(chars[start])'",
                 at: start..<(start + 1), layer: index)
    }
    var arguments: [ArchitectureArgument] = []
    var hasParentheses = false
    if position < chars.count, chars[position] == "(" {
      hasParentheses = true
      arguments = try parseArguments(layer: index)
    }
    let span = start..<position
    switch name {
    case "conv":
      return .conv(try makeConv(arguments, name: name, span: span, index: index, dims: dims))
    case "dense":
      return .dense(try makeDense(arguments, span: span, index: index))
    case "relu", "identity", "linear":
      if let extra = arguments.first {
        if name == "linear", extra.value == nil, Int(extra.key) != nil {
          throw fail("linear is the identity activation; a fully connected layer is dense(\(extra.key))", at: span, layer: index)
        }
        throw fail("\(name) takes no arguments; write \(name)", at: extra.span, layer: index)
      }
      return .activation(name == "relu" ? .relu : .identity)
    case "leaky":
      return .activation(.leaky(slope: try makeLeakySlope(arguments, span: span, index: index)))
    case "avgpool":
      return .avgPool(try makeAvgPool(arguments, span: span, index: index, dims: dims, name: name))
    case "maxpool":
      let window = try makeAvgPool(arguments, span: span, index: index, dims: dims, name: name)
      return .maxPool(MaxPoolLayer(kernel: window.kernel, stride: window.stride))
    default:
      throw fail(unknownLayerMessage(name, hasParentheses: hasParentheses, arguments: arguments), at: span, layer: index)
    }
  }

  /// The arguments between `(` at `position` and the matching `)`, split at commas.
  mutating func parseArguments(layer: Int) throws(ArchitectureParseError) -> [ArchitectureArgument] {
    let open = position
    guard let close = chars[open...].firstIndex(of: ")") else {
      throw fail("missing ')' to close this '('", at: open..<(open + 1), layer: layer)
    }
    if let nested = chars[(open + 1)..<close].firstIndex(of: "(") {
      throw fail("unexpected '(' inside a layer's arguments; is a ')' missing?", at: nested..<(nested + 1), layer: layer)
    }
    position = close + 1
    if chars[(open + 1)..<close].allSatisfy(\.isWhitespace) { return [] }
    var result: [ArchitectureArgument] = []
    var pieceStart = open + 1
    for i in (open + 1)...close where i == close || chars[i] == "," {
      var lo = pieceStart, hi = i
      while lo < hi, chars[lo].isWhitespace { lo += 1 }
      while hi > lo, chars[hi - 1].isWhitespace { hi -= 1 }
      guard lo < hi else {
        throw fail("empty argument; remove the extra ','", at: min(i, close)..<(min(i, close) + 1), layer: layer)
      }
      if let eq = chars[lo..<hi].firstIndex(of: "=") {
        var keyEnd = eq, valueStart = eq + 1
        while keyEnd > lo, chars[keyEnd - 1].isWhitespace { keyEnd -= 1 }
        while valueStart < hi, chars[valueStart].isWhitespace { valueStart += 1 }
        result.append(ArchitectureArgument(key: source(lo..<keyEnd), value: source(valueStart..<hi), span: lo..<hi,
                                    valueSpan: valueStart..<max(hi, valueStart + 1)))
      } else {
        result.append(ArchitectureArgument(key: source(lo..<hi), value: nil, span: lo..<hi, valueSpan: lo..<hi))
      }
      pieceStart = i + 1
    }
    return result
  }

  /// A positive integer argument (output channels / features).
  func positiveInteger(_ text: String, what: String, span: Range<Int>, index: Int) throws(ArchitectureParseError) -> Int {
    guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) || (text.hasPrefix("-") && text.dropFirst().allSatisfy(\.isASCIIDigit)) else {
      throw fail("\(what) must be a positive integer, got '\(text)'", at: span, layer: index)
    }
    guard let v = Int(text) else { throw fail("\(what) \(text) is too large", at: span, layer: index) }
    guard v >= 1 else { throw fail("\(what) must be at least 1, got \(v)", at: span, layer: index) }
    return v
  }

  /// `3` (every dimension) or `3x2` (one size per dimension), each at least `minimum`.
  func sizes(_ argument: ArchitectureArgument, layerName: String, dims: Int, minimum: Int, what: String,
             index: Int) throws(ArchitectureParseError) -> [Int] {
    let key = argument.key
    guard let value = argument.value, !value.isEmpty else {
      throw fail("\(key)= needs a value, e.g. \(key)=\(minimum == 0 ? 1 : 2)", at: argument.span, layer: index)
    }
    let parts = value.split(separator: Character("x"), omittingEmptySubsequences: false)
      .flatMap { $0.split(separator: Character("×"), omittingEmptySubsequences: false) }
    var result: [Int] = []
    for p in parts {
      let s = String(p).trimmingSpaces
      guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit) || (s.hasPrefix("-") && s.count > 1 && s.dropFirst().allSatisfy(\.isASCIIDigit)) else {
        throw fail("\(key)=\(value) is not a size; write \(key)=3 or, in 2-D, \(key)=3x2 (rows x columns)",
                   at: argument.valueSpan, layer: index)
      }
      guard let v = Int(s) else { throw fail("\(key)=\(value) is too large", at: argument.valueSpan, layer: index) }
      guard v >= minimum else {
        let fix = minimum == 0 ? "padding is 0 or more (p=0 means none)" : (key == "s" ? "stride is at least 1 (s=1 means no striding)" : "\(what) is at least 1")
        throw fail("\(layerName) \(key)=\(value): \(fix)", at: argument.valueSpan, layer: index)
      }
      result.append(v)
    }
    guard result.count <= 2 else {
      throw fail("\(key)=\(value) has \(result.count) sizes; only 1-D and 2-D layers exist", at: argument.valueSpan, layer: index)
    }
    if result.count == 1 { return Array(repeating: result[0], count: max(dims, 1)) }
    if dims == 1 {
      throw fail("\(key)=\(value) is a 2-D size but this layer's input is 1-D; write \(key)=\(result[0])",
                 at: argument.valueSpan, layer: index)
    }
    return result
  }

  /// Options `key=value` / bare flags, each at most once, from the allowed set.
  func options(_ arguments: ArraySlice<ArchitectureArgument>, allowed: [String], flags: [String], layerName: String,
               index: Int) throws(ArchitectureParseError) -> [String: ArchitectureArgument] {
    var seen: [String: ArchitectureArgument] = [:]
    let list = (allowed.map { $0 + "=" } + flags).joined(separator: ", ")
    for a in arguments {
      if flags.contains(a.key) {
        guard a.value == nil else {
          throw fail("write \(a.key) without a value (its absence means no \(a.key))", at: a.span, layer: index)
        }
      } else if !allowed.contains(a.key) {
        let aliases = ["kernel": "k", "kernel_size": "k", "stride": "s", "padding": "p", "pad": "p", "dilation": "dil", "d": "dil"]
        var hint = ""
        if let alias = aliases[a.key], allowed.contains(alias) { hint = "write \(alias)= instead of \(a.key)=; " }
        else if a.value == nil, Int(a.key) != nil { hint = "a size needs its name, e.g. \(allowed.first ?? "k")=\(a.key); " }
        throw fail("unknown option '\(a.key)' of \(layerName); \(hint)options are \(list)", at: a.span, layer: index)
      } else if a.value == nil {
        throw fail("\(a.key) needs a value: \(a.key)=…", at: a.span, layer: index)
      }
      if seen[a.key] != nil { throw fail("\(a.key) is given twice", at: a.span, layer: index) }
      seen[a.key] = a
    }
    return seen
  }

  func makeConv(_ arguments: [ArchitectureArgument], name: String, span: Range<Int>, index: Int,
                dims: Int) throws(ArchitectureParseError) -> ConvLayer {
    guard let first = arguments.first, first.value == nil, first.key != "bias" else {
      throw fail("conv needs its output channels first, e.g. conv(4,k=3)", at: arguments.first?.span ?? span, layer: index)
    }
    let m = try positiveInteger(first.key, what: "conv output channels", span: first.span, index: index)
    let opts = try options(arguments.dropFirst(), allowed: ["k", "s", "p", "dil"], flags: ["bias"], layerName: "conv", index: index)
    guard let k = opts["k"] else {
      throw fail("conv needs a kernel size, e.g. conv(\(m),k=3)", at: span, layer: index)
    }
    let kernel = try sizes(k, layerName: "conv", dims: dims, minimum: 1, what: "kernel size", index: index)
    let d = kernel.count
    func sized(_ key: String, minimum: Int, what: String) throws(ArchitectureParseError) -> [Int]? {
      guard let a = opts[key] else { return nil }
      let v = try sizes(a, layerName: "conv", dims: dims, minimum: minimum, what: what, index: index)
      guard v.count == d else {
        throw fail("\(key)=\(a.value ?? "") has \(v.count) sizes but k=\(k.value ?? "") has \(d)", at: a.valueSpan, layer: index)
      }
      return v
    }
    return ConvLayer(outChannels: m, kernel: kernel, stride: try sized("s", minimum: 1, what: "stride"),
                     padding: try sized("p", minimum: 0, what: "padding"),
                     dilation: try sized("dil", minimum: 1, what: "dilation"), bias: opts["bias"] != nil)
  }

  func makeDense(_ arguments: [ArchitectureArgument], span: Range<Int>, index: Int) throws(ArchitectureParseError) -> DenseLayer {
    guard let first = arguments.first, first.value == nil, first.key != "bias" else {
      throw fail("dense needs its number of outputs, e.g. dense(10)", at: arguments.first?.span ?? span, layer: index)
    }
    let n = try positiveInteger(first.key, what: "dense outputs", span: first.span, index: index)
    let opts = try options(arguments.dropFirst(), allowed: [], flags: ["bias"], layerName: "dense", index: index)
    return DenseLayer(outputs: n, bias: opts["bias"] != nil)
  }

  func makeLeakySlope(_ arguments: [ArchitectureArgument], span: Range<Int>, index: Int) throws(ArchitectureParseError) -> Rational {
    guard let first = arguments.first else { return Rational(1, 100) }  // PyTorch's default negative_slope
    guard arguments.count == 1, first.value == nil || first.key == "slope" || first.key == "negative_slope" else {
      throw fail("leaky takes one slope, e.g. leaky(1/10) or leaky(0.01)", at: arguments.count == 1 ? first.span : arguments[1].span,
                 layer: index)
    }
    let text = first.value ?? first.key
    do {
      return try Rational(parsing: text)
    } catch {
      throw fail("leaky slope '\(text)' is not an exact number; write a fraction like 1/10 or a decimal like 0.01",
                 at: first.valueSpan, layer: index)
    }
  }

  /// The window and stride of `avgpool(k=…,s=…)` or `maxpool(k=…,s=…)` (`name`).
  func makeAvgPool(_ arguments: [ArchitectureArgument], span: Range<Int>, index: Int, dims: Int,
                   name: String = "avgpool") throws(ArchitectureParseError) -> AvgPoolLayer {
    if let first = arguments.first, first.value == nil, Int(first.key) != nil {
      throw fail("write the window as \(name)(k=\(first.key))", at: first.span, layer: index)
    }
    let opts = try options(arguments[...], allowed: ["k", "s"], flags: [], layerName: name, index: index)
    guard let k = opts["k"] else { throw fail("\(name) needs a window, e.g. \(name)(k=2)", at: span, layer: index) }
    let kernel = try sizes(k, layerName: name, dims: dims, minimum: 1, what: "window", index: index)
    var stride: [Int]?
    if let s = opts["s"] {
      let v = try sizes(s, layerName: name, dims: dims, minimum: 1, what: "stride", index: index)
      guard v.count == kernel.count else {
        throw fail("s=\(s.value ?? "") has \(v.count) sizes but k=\(k.value ?? "") has \(kernel.count)", at: s.valueSpan, layer: index)
      }
      stride = v
    }
    return AvgPoolLayer(kernel: kernel, stride: stride)
  }

  func unknownLayerMessage(_ name: String, hasParentheses: Bool, arguments: [ArchitectureArgument]) -> String {
    let lowered = name.lowercased()
    let first = arguments.first.map { $0.value == nil ? $0.key : "" } ?? ""
    let known = "conv, dense, relu, leaky, avgpool, maxpool, identity"
    switch lowered {
    case "conv1d", "conv2d", "convolution":
      return "unknown layer '\(name)'; write conv(M,k=K) (1-D or 2-D follows the input)"
    case "fc", "linear", "full", "fullyconnected", "lin", "affine":
      return "unknown layer '\(name)\(hasParentheses ? "(…)" : "")'; a fully connected layer is dense(\(first.isEmpty ? "N" : first))"
    case "maxpool1d", "maxpool2d", "max_pool", "max_pool1d", "max_pool2d":
      return "unknown layer '\(name)'; write maxpool(k=2) (1-D or 2-D follows the input)"
    case "pool", "avgpool1d", "avgpool2d", "avg_pool":
      return "unknown layer '\(name)'; pooling is avgpool(k=2) or maxpool(k=2)"
    case "flatten":
      return "flatten is implicit: dense layers read the channel-major flattened input; remove it"
    case "leakyrelu", "leaky_relu":
      return "unknown layer '\(name)'; write leaky(1/10) (any rational slope)"
    case "tanh", "sigmoid", "gelu", "elu", "softplus", "softmax", "silu", "swish":
      return "activation '\(name)' is not piecewise linear and not supported; use relu, leaky(a/b) or identity"
    case "input":
      return "unknown layer '\(name)'; the input size comes first with no name, e.g. 1x16"
    default:
      break
    }
    if lowered != name, ["conv", "dense", "relu", "leaky", "avgpool", "maxpool", "identity", "linear"].contains(lowered) {
      return "unknown layer '\(name)'; layer names are lowercase: \(lowered)"
    }
    if let guess = ["conv", "dense", "relu", "leaky", "avgpool", "maxpool", "identity"].first(where: { editDistance($0, lowered) <= 2 }) {
      return "unknown layer '\(name)'; did you mean \(guess)? Layers are \(known)"
    }
    if name.first?.isASCIIDigit == true {
      return "'\(name)' is not a layer; the input size is written once, first (D, CxD or CxHxW)"
    }
    return "unknown layer '\(name)'; layers are \(known)"
  }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  guard !a.isEmpty else { return b.count }
  guard !b.isEmpty else { return a.count }
  var previous = Array(0...b.count)
  for i in 1...a.count {
    var current = [i] + Array(repeating: 0, count: b.count)
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
  fileprivate var trimmingSpaces: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
