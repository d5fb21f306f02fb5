import ConvNet
import Foundation
import Hessian

/// How the axes of one group combine.
public enum AxisMode: String, Sendable, CaseIterable {
  /// Every combination (cartesian product), first axis outermost.
  case cross
  /// The i-th values of all axes together; all axes have the same length.
  case zip
}

/// One swept setting: a name and its values (numbers and strings kept as text).
public struct SweepAxis: Equatable, Sendable {
  /// The placeholder or instance setting it sets.
  public let name: String
  /// The values, as text (numbers as written, strings without quotes).
  public let values: [String]

  /// An axis.
  public init(name: String, values: [String]) {
    self.name = name
    self.values = values
  }
}

/// Axes combined by one mode; groups are crossed with each other, first group outermost.
public struct AxisGroup: Equatable, Sendable {
  /// Cross or zip.
  public let mode: AxisMode
  /// The axes, in document order.
  public let axes: [SweepAxis]

  /// A group.
  public init(mode: AxisMode, axes: [SweepAxis]) {
    self.mode = mode
    self.axes = axes
  }

  /// Number of combinations the group contributes.
  public var count: Int {
    switch mode {
    case .zip: return axes.first?.values.count ?? 1
    case .cross: return axes.reduce(1) { $0.multipliedReportingOverflow(by: $1.values.count).partialValue }
    }
  }

  /// The settings of combination `i` (0 ≤ i < count), last axis fastest when crossed.
  func settings(at i: Int) -> [AxisSetting] {
    switch mode {
    case .zip: return axes.map { AxisSetting(name: $0.name, value: $0.values[i]) }
    case .cross:
      var rest = i
      var out: [AxisSetting] = []
      for axis in axes.reversed() {
        out.append(AxisSetting(name: axis.name, value: axis.values[rest % axis.values.count]))
        rest /= axis.values.count
      }
      return out.reversed()
    }
  }
}

/// Which seeds every config is run with.
public enum SeedChoice: Equatable, Sendable {
  /// `count` consecutive seeds starting at the config's seed.
  case count(Int)
  /// These seeds exactly.
  case list([UInt64])

  /// Number of seeds per config.
  public var count: Int {
    switch self {
    case .count(let c): return c
    case .list(let l): return l.count
    }
  }

  /// The seeds for a config whose base seed is `base`.
  func seeds(base: UInt64) -> [UInt64] {
    switch self {
    case .count(let c): return (0..<c).map { base &+ UInt64($0) }
    case .list(let l): return l
    }
  }
}

/// A sweep: an architecture template, instance settings, axes, what to compute and which
/// bounds to show. Read from JSON (schema in docs/sweeps.md); expanded by `plan()`.
public struct SweepSpec: Equatable, Sendable {
  /// Optional title (used in table captions and plot titles).
  public var name: String?
  /// Free text.
  public var comment: String?
  /// The architecture, possibly with placeholders.
  public var template: ArchitectureTemplate
  /// The instance settings every config starts from.
  public var base: InstanceSettings
  /// The axis groups (crossed with each other).
  public var groups: [AxisGroup]
  /// The Hessians to rank.
  public var kinds: [HessianKind]
  /// The rank method.
  public var method: RankMethod
  /// Primes for the modular method.
  public var primes: Int
  /// Bound (annotator) ids to show; nil means every registered annotator.
  public var bounds: [String]?
  /// User formulas (passed to the registry's formula parser).
  public var formulas: [String]
  /// Seeds per config.
  public var seeds: SeedChoice
  /// The axis for the x-axis of plots (nil: chosen from the data).
  public var plotAxis: String?
  /// True when the sweep names no range: each config then gets its architecture's default
  /// (`InstanceSettings.defaultRange(for:)`: 1000000).
  public var rangeFollowsArchitecture = false

  /// Settings that an axis may set instead of a placeholder.
  public static let instanceAxes = ["samples", "seed", "range", "max_denominator", "targets", "loss"]
  /// The largest number of rows a sweep may have.
  public static let maxRows = 100_000

  static let topLevelKeys = ["name", "comment", "architecture", "base", "samples", "seed", "range", "max_denominator",
                             "targets", "loss", "axes", "mode", "groups", "hessians", "method", "primes", "bounds",
                             "formulas", "seeds", "plot"] + NetworkConfig.fileKeys

  /// All names that axes in this sweep set.
  public var axisNames: [String] { groups.flatMap { $0.axes.map(\.name) } }

  /// Number of configs (before seeds).
  public var configCount: Int {
    groups.reduce(1) { $0.multipliedReportingOverflow(by: $1.count).partialValue }
  }
}

// MARK: - Reading

extension SweepSpec {
  /// Reads and checks a sweep file.
  /// - Throws: `SweepError` with the path and one line on what is wrong.
  public static func load(path: String) throws(SweepError) -> SweepSpec {
    let data: Data
    switch InputFile.read(path, kind: "sweep file") {
    case .success(let d): data = d
    case .failure(let e): throw SweepError("\(path): \(e.reason)")
    }
    let baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    do {
      return try SweepSpec(json: data, baseDirectory: baseDirectory)
    } catch {
      throw SweepError("\(path): \(error.message)")
    }
  }

  /// Reads and checks a sweep from JSON text (schema in docs/sweeps.md).
  /// - Parameter baseDirectory: where a `"base"` config path is looked up (relative paths
  ///   are also tried from the working directory).
  public init(json: Data, baseDirectory: String? = nil) throws(SweepError) {
    let root: JSONValue
    do {
      root = try JSONValue.parse(Array(json))
    } catch {
      throw SweepError(error.description)
    }
    guard let pairs = root.pairs else {
      throw SweepError("a sweep is a JSON object {…} with \"architecture\" and \"axes\", found \(root.kindName)")
    }
    let f = try ObjectFields(pairs, context: "the sweep", allowed: SweepSpec.topLevelKeys)

    // The architecture template and the base instance.
    var base = InstanceSettings()
    var explicitInstanceKeys: [String] = []
    let template: ArchitectureTemplate
    if let b = f["base"] {
      if f["architecture"] != nil {
        throw SweepError("give either \"architecture\" (a template string) or \"base\" (a config), not both")
      }
      let config = try SweepSpec.baseConfig(b, directory: baseDirectory)
      if config.instance.weights != nil || config.instance.inputs != nil || config.instance.targetValues != nil {
        throw SweepError("\"base\": the config has explicit weights, inputs or targets; a sweep draws random instances or reads files, so remove them (or name files with \"data_file\", \"labels_file\", …)")
      }
      base = config.instance
      template = try ArchitectureTemplate(config.architecture.description)
    } else if let a = f["architecture"] {
      guard let s = a.string else {
        throw SweepError("\"architecture\" must be a string like \"1x16 conv({m},k=3) dense(2)\", found \(a.kindName)")
      }
      template = try ArchitectureTemplate(s)
    } else {
      throw SweepError("missing \"architecture\": a template such as \"1x16 conv({m},k={k}) dense(2)\" (or \"base\": a config file)")
    }
    do {
      let own = try NetworkConfig.fileSet(from: NetworkConfig.fileKeys.compactMap { k in f[k].map { (key: k, value: $0) } })
      let fromSweep = own.relative(to: baseDirectory ?? ".")
      base.files.weights = fromSweep.weights ?? base.files.weights
      base.files.data = fromSweep.data ?? base.files.data
      if fromSweep.targets != nil || fromSweep.labels != nil {
        base.files.targets = fromSweep.targets
        base.files.labels = fromSweep.labels
      }
    } catch {
      throw SweepError(error.message)
    }
    for key in SweepSpec.instanceAxes {
      guard let v = f[key] else { continue }
      try SweepSpec.apply(key, value: SweepSpec.settingText(v, key: key, context: "\"\(key)\""), to: &base, context: "\"\(key)\"")
      explicitInstanceKeys.append(key)
    }

    // Axes.
    var groups: [AxisGroup] = []
    if let g = f["groups"] {
      if f["axes"] != nil || f["mode"] != nil {
        throw SweepError("give either \"axes\" (with an optional \"mode\") or \"groups\", not both")
      }
      guard let list = g.items, !list.isEmpty else {
        throw SweepError("\"groups\" must be a non-empty array of {\"mode\": \"cross\"|\"zip\", \"axes\": {…}}, found \(g.shortText)")
      }
      for (i, item) in list.enumerated() {
        guard let gp = item.pairs else { throw SweepError("groups[\(i)] must be an object {\"mode\": …, \"axes\": {…}}, found \(item.kindName)") }
        let gf = try ObjectFields(gp, context: "groups[\(i)]", allowed: ["mode", "axes"])
        guard let axes = gf["axes"] else { throw SweepError("groups[\(i)] has no \"axes\"") }
        groups.append(try SweepSpec.group(axes: axes, mode: gf["mode"], context: "groups[\(i)]"))
      }
    } else if let axes = f["axes"] {
      groups.append(try SweepSpec.group(axes: axes, mode: f["mode"], context: "\"axes\""))
    } else if let m = f["mode"] {
      throw SweepError("\"mode\" is \(m.shortText) but there are no \"axes\" to combine")
    }

    // What to compute.
    var kinds = HessianKind.allCases
    if let h = f["hessians"] {
      guard let list = h.items, !list.isEmpty else {
        throw SweepError("\"hessians\" must be a non-empty array such as [\"H_o\", \"H_f\", \"H_L\"], found \(h.shortText)")
      }
      kinds = []
      for item in list {
        guard let s = item.string, let k = SweepSpec.hessianKind(s) else {
          throw SweepError("unknown Hessian \(item.shortText) in \"hessians\"; use H_o (outer), H_f (functional) or H_L (loss)")
        }
        guard !kinds.contains(k) else { throw SweepError("\"hessians\" lists \(k.symbol) twice") }
        kinds.append(k)
      }
    }
    var method = RankMethod.auto
    if let m = f["method"] {
      guard let s = m.string, let v = RankMethod(rawValue: s) else {
        throw SweepError("\"method\" must be one of \(RankMethod.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \(m.shortText)")
      }
      method = v
    }
    var primes = 2
    if let p = f["primes"] {
      guard let v = p.integer, (1...64).contains(v) else { throw SweepError("\"primes\" must be an integer in 1...64, found \(p.shortText)") }
      primes = v
    }
    var bounds: [String]?
    if let b = f["bounds"] {
      guard let ids = b.strings else {
        throw SweepError("\"bounds\" must be an array of bound ids (strings), found \(b.shortText); run 'hessrank table --help' for the built-in ids")
      }
      if let dup = ids.firstDuplicate { throw SweepError("\"bounds\" lists \"\(dup)\" twice") }
      bounds = ids
    }
    var formulas: [String] = []
    if let fs = f["formulas"] {
      guard let texts = fs.strings else {
        throw SweepError("\"formulas\" must be an array of strings like \"outer: q*(r+K-q)\", found \(fs.shortText)")
      }
      if let empty = texts.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
        throw SweepError("\"formulas\"[\(empty)] is empty")
      }
      formulas = texts
    }
    var seeds = SeedChoice.count(1)
    if let s = f["seeds"] {
      if let c = s.integer {
        guard (1...1000).contains(c) else { throw SweepError("\"seeds\" must be a count in 1...1000 or a list of seeds, found \(c)") }
        seeds = .count(c)
      } else if let list = s.items, !list.isEmpty {
        var values: [UInt64] = []
        for item in list {
          guard case .number(let t) = item, let v = UInt64(t) else {
            throw SweepError("\"seeds\" lists \(item.shortText); seeds are non-negative integers")
          }
          values.append(v)
        }
        if let dup = values.firstDuplicate { throw SweepError("\"seeds\" lists \(dup) twice") }
        seeds = .list(values)
      } else {
        throw SweepError("\"seeds\" must be a count (e.g. 3) or a non-empty list of seeds (e.g. [1, 7, 42]), found \(s.shortText)")
      }
    }
    var plotAxis: String?
    if let p = f["plot"] {
      guard let pp = p.pairs else { throw SweepError("\"plot\" must be an object such as {\"x\": \"m\"}, found \(p.kindName)") }
      let pf = try ObjectFields(pp, context: "\"plot\"", allowed: ["x"])
      if let x = pf["x"] {
        guard let s = x.string else { throw SweepError("\"plot\".\"x\" must be an axis name (a string), found \(x.shortText)") }
        plotAxis = s
      }
    }
    func text(_ key: String) throws(SweepError) -> String? {
      guard let v = f[key] else { return nil }
      guard let s = v.string else { throw SweepError("\"\(key)\" must be a string, found \(v.kindName)") }
      return s
    }
    self.init(name: try text("name"), comment: try text("comment"), template: template, base: base, groups: groups,
              kinds: kinds, method: method, primes: primes, bounds: bounds, formulas: formulas, seeds: seeds,
              plotAxis: plotAxis)
    try check(explicitInstanceKeys: explicitInstanceKeys)
    rangeFollowsArchitecture = f["base"] == nil && !explicitInstanceKeys.contains("range") && !axisNames.contains("range")
  }

  /// Checks names: every axis is a placeholder or an instance setting, every placeholder has
  /// an axis, no name is set twice, seeds and the plot axis are consistent.
  func check(explicitInstanceKeys: [String]) throws(SweepError) {
    let placeholders = template.placeholders
    var seen: Set<String> = []
    for name in axisNames {
      guard seen.insert(name).inserted else {
        throw SweepError("axis \"\(name)\" appears in two groups; each axis belongs to one group")
      }
    }
    for name in placeholders where SweepSpec.instanceAxes.contains(name) {
      throw SweepError("{\(name)} in the architecture is an instance setting, not a placeholder; use another name (e.g. {\(name)_})")
    }
    for name in axisNames where !placeholders.contains(name) && !SweepSpec.instanceAxes.contains(name) {
      var hint = ""
      if name == "n" { hint = "; for the number of samples use the axis \"samples\"" }
      else if let c = closestWord(to: name, in: placeholders + SweepSpec.instanceAxes) { hint = " (did you mean \"\(c)\"?)" }
      let ph = placeholders.isEmpty ? "the template has no placeholders" : "placeholders: \(placeholders.joined(separator: ", "))"
      throw SweepError("unknown axis \"\(name)\"\(hint): it is neither a placeholder of the architecture template (\(ph)) nor an instance setting (\(SweepSpec.instanceAxes.joined(separator: ", ")))")
    }
    for name in placeholders where !seen.contains(name) {
      throw SweepError("placeholder {\(name)} in the architecture has no axis; add \"\(name)\": [values] to the axes (one value fixes it)")
    }
    for key in explicitInstanceKeys where seen.contains(key) {
      throw SweepError("\"\(key)\" is both a fixed setting and an axis; remove one of them")
    }
    for group in groups {
      for axis in group.axes where SweepSpec.instanceAxes.contains(axis.name) {
        var scratch = InstanceSettings()
        for v in axis.values { try SweepSpec.apply(axis.name, value: v, to: &scratch, context: "axis \"\(axis.name)\"") }
      }
      for axis in group.axes where template.repeatCounts.contains(axis.name) {
        if let bad = axis.values.first(where: { Int($0).map { !(0...ArchitectureTemplate.maxRepeat).contains($0) } ?? true }) {
          throw SweepError("axis \"\(axis.name)\" is a repeat count; its values must be integers in 0...\(ArchitectureTemplate.maxRepeat), found '\(bad)'")
        }
      }
    }
    if case .list = seeds, seen.contains("seed") || explicitInstanceKeys.contains("seed") {
      throw SweepError("\"seeds\" is a list of seeds, which contradicts a \"seed\" \(seen.contains("seed") ? "axis" : "setting"); use \"seeds\": N (N seeds from each config's seed) or drop \"seed\"")
    }
    if let x = plotAxis, !seen.contains(x) {
      throw SweepError("\"plot\".\"x\" is \"\(x)\", which is not an axis (axes: \(axisNames.joined(separator: ", ")))")
    }
    let total = configCount.multipliedReportingOverflow(by: seeds.count)
    if total.overflow || total.partialValue > SweepSpec.maxRows || groups.contains(where: { $0.count > SweepSpec.maxRows }) {
      throw SweepError("the sweep has more than \(SweepSpec.maxRows) rows (configs × seeds); split it into several sweeps")
    }
  }

  static func baseConfig(_ value: JSONValue, directory: String?) throws(SweepError) -> NetworkConfig {
    do {
      switch value {
      case .string(let path):
        var candidates = [path]
        if let directory, !path.hasPrefix("/") { candidates.insert((directory as NSString).appendingPathComponent(path), at: 0) }
        let found = candidates.first { FileManager.default.fileExists(atPath: $0) } ?? path
        return try NetworkConfig.load(path: found)
      case .object:
        return try NetworkConfig(json: Data(value.compactText.utf8))
      default:
        throw SweepError("\"base\" must be a config file path or a config object, found \(value.kindName)")
      }
    } catch let e as SweepError {
      throw e
    } catch {
      throw SweepError("\"base\": \(error)")
    }
  }

  static func group(axes: JSONValue, mode: JSONValue?, context: String) throws(SweepError) -> AxisGroup {
    var m = AxisMode.cross
    if let mode {
      guard let s = mode.string, let v = AxisMode(rawValue: s) else {
        throw SweepError("\"mode\" in \(context) must be \"cross\" or \"zip\", found \(mode.shortText)")
      }
      m = v
    }
    guard let pairs = axes.pairs else {
      throw SweepError("\(context) must be an object of axes such as {\"m\": [1, 2, 4], \"k\": [3, 5]}, found \(axes.kindName)")
    }
    guard !pairs.isEmpty else { throw SweepError("\(context) has no axes; remove it or add {\"name\": [values]}") }
    var list: [SweepAxis] = []
    for (name, v) in pairs {
      guard let items = v.items else {
        throw SweepError("axis \"\(name)\" must be a list of values, found \(v.shortText); write [\(v.shortText)] for a single value")
      }
      guard !items.isEmpty else { throw SweepError("axis \"\(name)\" is empty; give at least one value") }
      var values: [String] = []
      for item in items {
        values.append(try settingText(item, key: name, context: "axis \"\(name)\""))
      }
      // Repeated values are normal in zipped axes; crossed ones would repeat whole configs.
      if m == .cross, let dup = values.firstDuplicate { throw SweepError("axis \"\(name)\" lists \(dup) twice") }
      list.append(SweepAxis(name: name, values: values))
    }
    if m == .zip, let first = list.first, let bad = list.first(where: { $0.values.count != first.values.count }) {
      throw SweepError("zipped axes have different lengths: \"\(first.name)\" has \(first.values.count) values but \"\(bad.name)\" has \(bad.values.count); zip needs equal lengths (or use \"mode\": \"cross\")")
    }
    return AxisGroup(mode: m, axes: list)
  }

  /// A scalar axis value as text (numbers as written, strings as they are).
  static func settingText(_ v: JSONValue, key: String, context: String) throws(SweepError) -> String {
    switch v {
    case .number(let t): return t
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    default: throw SweepError("\(context): values must be numbers or strings, found \(v.shortText)")
    }
  }

  /// Sets one instance setting from text.
  static func apply(_ key: String, value: String, to s: inout InstanceSettings, context: String) throws(SweepError) {
    switch key {
    case "samples":
      guard let v = Int(value), (1...NetworkConfig.maxSamples).contains(v) else {
        throw SweepError("\(context): samples must be an integer in 1...\(NetworkConfig.maxSamples), found '\(value)'")
      }
      s.samples = v
    case "seed":
      guard let v = UInt64(value) else { throw SweepError("\(context): seed must be a non-negative integer, found '\(value)'") }
      s.seed = v
    case "range":
      guard let v = Int(value), (1...NetworkConfig.maxRange).contains(v) else {
        throw SweepError("\(context): range must be an integer in 1...\(NetworkConfig.maxRange), found '\(value)'")
      }
      s.range = v
    case "max_denominator":
      guard let v = Int(value), (1...1_000_000).contains(v) else {
        throw SweepError("\(context): max_denominator must be an integer in 1...1000000, found '\(value)'")
      }
      s.maxDenominator = v
    case "targets":
      guard let v = TargetMode(rawValue: value) else {
        throw SweepError("\(context): targets must be \(TargetMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), found '\(value)'")
      }
      s.targets = v
    case "loss":
      guard let v = LossFunction(rawValue: value) else {
        throw SweepError("\(context): loss must be \(LossFunction.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), found '\(value)'")
      }
      s.loss = v
    default:
      throw SweepError("\(context): unknown instance setting \(key)")
    }
  }

  /// `H_o`/`outer`, `H_f`/`functional`, `H_L`/`loss`.
  public static func hessianKind(_ s: String) -> HessianKind? {
    HessianKind(rawValue: s) ?? HessianKind.allCases.first { $0.symbol == s }
  }
}

extension Array where Element: Hashable {
  /// The first element that occurs earlier too.
  var firstDuplicate: Element? {
    var seen: Set<Element> = []
    return first { !seen.insert($0).inserted }
  }
}

// MARK: - Identity

extension SweepSpec {
  /// The spec in a fixed canonical form: what the sweep hash is taken of (names and
  /// comments excluded, since they change nothing computed).
  public var canonicalJSON: JSONValue {
    let s = base
    var pairs: [(key: String, value: JSONValue)] = [
      ("architecture", .string(template.text)),
      ("base", .object([("samples", .int(s.samples)), ("seed", .number(String(s.seed))), ("range", .int(s.range)),
                        ("max_denominator", .int(s.maxDenominator)), ("targets", .string(s.targets.rawValue))])),
      ("groups", .array(groups.map { g in
        .object([("mode", .string(g.mode.rawValue)),
                 ("axes", .object(g.axes.map { ($0.name, .array($0.values.map(JSONValue.string))) }))])
      })),
      ("hessians", .array(kinds.map { .string($0.symbol) })),
      ("method", .string(method.rawValue)),
      ("primes", .int(primes)),
    ]
    pairs.append(("bounds", bounds.map { .array($0.map(JSONValue.string)) } ?? .null))
    pairs.append(("formulas", .array(formulas.map(JSONValue.string))))
    switch seeds {
    case .count(let c): pairs.append(("seeds", .int(c)))
    case .list(let l): pairs.append(("seeds", .array(l.map { .number(String($0)) })))
    }
    return .object(pairs)
  }

  /// A 16-hex-digit fingerprint of `canonicalJSON` (FNV-1a, 64 bits): rows and shard files
  /// carry it so that `table merge` can tell whether they come from the same sweep.
  public var hash: String { StableHash.hex(canonicalJSON.compactText) }
}

/// FNV-1a over UTF-8 bytes: a stable fingerprint (not a cryptographic hash).
public enum StableHash {
  /// The 64-bit FNV-1a hash of `text` as 16 lowercase hex digits.
  public static func hex(_ text: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }
}
