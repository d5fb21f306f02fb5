import ConvNet
import Foundation
import Hessian
import RankBounds

/// The exact rank of one Hessian in a row.
public struct RankEntry: Equatable, Sendable {
  /// Which Hessian.
  public let kind: HessianKind
  /// The rank (exact when `proved`, otherwise a proved lower bound equal to the rank over Q
  /// with high probability).
  public let rank: Int
  /// Whether the rank is proved exactly.
  public let proved: Bool

  /// An entry.
  public init(kind: HessianKind, rank: Int, proved: Bool) {
    self.kind = kind
    self.rank = rank
    self.proved = proved
  }
}

/// One finished row of a sweep: a config at one seed, its exact ranks and its annotations.
/// Stored as one line of a JSON Lines file (`line`, `init(line:)`).
public struct TableRow: Equatable, Sendable {
  /// The identity of the computation (`RowKey.make`).
  public var key: String
  /// The hash of the sweep it belongs to.
  public var sweep: String
  /// Its position in the sweep's order.
  public var index: Int
  /// Number of rows of the whole sweep.
  public var total: Int
  /// Which config of the sweep.
  public var configIndex: Int
  /// Which seed of the config.
  public var seedIndex: Int
  /// The config's axis values.
  public var settings: [AxisSetting]
  /// The network and instance settings.
  public var config: NetworkConfig
  /// Number of parameters p.
  public var p: Int
  /// Number of samples n.
  public var n: Int
  /// Number of outputs K.
  public var k: Int
  /// r = rank(X).
  public var dataRank: Int
  /// The rank method used (after `auto` was resolved).
  public var method: String
  /// The exact ranks, in the sweep's order of Hessians.
  public var ranks: [RankEntry]
  /// Bound values, verdicts and plain columns.
  public var annotations: [Annotation]
  /// Wall-clock seconds of the computation.
  public var seconds: Double
  /// The sweep's `name` (plot title, LaTeX comment), so that `table merge` renders like `table`.
  public var sweepName: String?
  /// The sweep's plot axis (`"plot": {"x": …}`), for the same reason.
  public var plotAxis: String?

  /// A row.
  public init(key: String, sweep: String, index: Int, total: Int, configIndex: Int, seedIndex: Int,
              settings: [AxisSetting], config: NetworkConfig, p: Int, n: Int, k: Int, dataRank: Int, method: String,
              ranks: [RankEntry], annotations: [Annotation], seconds: Double, sweepName: String? = nil,
              plotAxis: String? = nil) {
    self.key = key
    self.sweep = sweep
    self.index = index
    self.total = total
    self.configIndex = configIndex
    self.seedIndex = seedIndex
    self.settings = settings
    self.config = config
    self.p = p
    self.n = n
    self.k = k
    self.dataRank = dataRank
    self.method = method
    self.ranks = ranks
    self.annotations = annotations
    self.seconds = seconds
    self.sweepName = sweepName
    self.plotAxis = plotAxis
  }

  /// The rank of one Hessian, if computed.
  public func rank(_ kind: HessianKind) -> RankEntry? { ranks.first { $0.kind == kind } }

  /// The context annotators see (the instance is rebuilt from the config on demand).
  public var context: RowContext {
    RowContext(config: config, p: p, n: n, k: k, dataRank: dataRank,
               ranks: Dictionary(uniqueKeysWithValues: ranks.map { ($0.kind, $0.rank) }),
               proved: Dictionary(uniqueKeysWithValues: ranks.map { ($0.kind, $0.proved) }))
  }

  /// Same computation and same results (ignores the timing and the sweep it was run in).
  public func sameResults(as other: TableRow) -> Bool {
    key == other.key && p == other.p && n == other.n && k == other.k && dataRank == other.dataRank && ranks == other.ranks
  }
}

// MARK: - JSON

extension TableRow {
  /// The row as a JSON object (keys in a fixed order).
  public var jsonValue: JSONValue {
    func scalar(_ s: String) -> JSONValue { Int(s) != nil ? .number(s) : .string(s) }
    let s = config.instance
    let annotationValues: [JSONValue] = annotations.map { a in
      .object([("bound", .string(a.bound)), ("hessian", a.hessian.map { .string($0.symbol) } ?? .null),
               ("column", .string(a.column)), ("value", a.value.map(JSONValue.string) ?? .null),
               ("verdict", a.verdict.map { .string($0.rawValue) } ?? .null), ("note", a.note.map(JSONValue.string) ?? .null)])
    }
    var pairs: [(String, JSONValue)] = [
      ("key", .string(key)), ("sweep", .string(sweep)), ("index", .int(index)), ("total", .int(total)),
      ("config_index", .int(configIndex)), ("seed_index", .int(seedIndex)),
      ("axes", .object(settings.map { ($0.name, scalar($0.value)) })),
      ("architecture", .string(config.architecture.description)),
      ("samples", .int(s.samples)), ("seed", .number(String(s.seed))), ("range", .int(s.range)),
      ("max_denominator", .int(s.maxDenominator)), ("targets", .string(s.targets.rawValue)),
      ("p", .int(p)), ("n", .int(n)), ("K", .int(k)), ("r", .int(dataRank)), ("method", .string(method)),
      ("ranks", .object(ranks.map { ($0.kind.symbol, .int($0.rank)) })),
      ("proved", .object(ranks.map { ($0.kind.symbol, .bool($0.proved)) })),
      ("bounds", .array(annotationValues)),
      ("seconds", .number(String(format: "%.3f", seconds))),
    ]
    if s.loss != .mse { pairs.append(("loss", .string(s.loss.rawValue))) }
    if let sweepName { pairs.append(("sweep_name", .string(sweepName))) }
    if let plotAxis { pairs.append(("plot_x", .string(plotAxis))) }
    return .object(pairs)
  }

  /// One line of a JSON Lines file, ending in a newline.
  public var line: String { jsonValue.compactText + "\n" }

  /// Reads a row back from its JSON object.
  /// - Throws: `SweepError` naming the missing or malformed field.
  public init(json: JSONValue) throws(SweepError) {
    guard let pairs = json.pairs else { throw SweepError("a row is a JSON object, found \(json.kindName)") }
    var f: [String: JSONValue] = [:]
    for (k, v) in pairs { f[k] = v }
    func int(_ key: String) throws(SweepError) -> Int {
      guard let v = f[key]?.integer else { throw SweepError("row field \"\(key)\" is missing or not an integer") }
      return v
    }
    func string(_ key: String) throws(SweepError) -> String {
      guard let v = f[key]?.string else { throw SweepError("row field \"\(key)\" is missing or not a string") }
      return v
    }
    let architecture: Architecture
    do {
      architecture = try Architecture(parsing: try string("architecture"))
    } catch let e as SweepError {
      throw e
    } catch {
      throw SweepError("row field \"architecture\": \(error)")
    }
    var instance = InstanceSettings()
    for key in ["samples", "seed", "range", "max_denominator", "targets"] {
      guard let v = f[key], let text = v.string ?? { if case .number(let t) = v { return t } else { return nil } }() else {
        throw SweepError("row field \"\(key)\" is missing")
      }
      try SweepSpec.apply(key, value: text, to: &instance, context: "row field \"\(key)\"")
    }
    if let v = f["loss"] {
      guard let text = v.string else { throw SweepError("row field \"loss\" is not a string") }
      try SweepSpec.apply("loss", value: text, to: &instance, context: "row field \"loss\"")
    }
    var settings: [AxisSetting] = []
    for (name, v) in f["axes"]?.pairs ?? [] {
      switch v {
      case .number(let t), .string(let t): settings.append(AxisSetting(name: name, value: t))
      default: throw SweepError("row axis \"\(name)\" is not a number or string")
      }
    }
    var ranks: [RankEntry] = []
    let proved = f["proved"]?.pairs ?? []
    for (name, v) in f["ranks"]?.pairs ?? [] {
      guard let kind = SweepSpec.hessianKind(name), let r = v.integer else { throw SweepError("row rank \"\(name)\" is malformed") }
      let isProved = proved.first { $0.key == name }.map { $0.value == .bool(true) } ?? false
      ranks.append(RankEntry(kind: kind, rank: r, proved: isProved))
    }
    var annotations: [Annotation] = []
    for item in f["bounds"]?.items ?? [] {
      guard let ap = item.pairs else { throw SweepError("row field \"bounds\" holds \(item.kindName), not objects") }
      var af: [String: JSONValue] = [:]
      for (k, v) in ap { af[k] = v }
      guard let bound = af["bound"]?.string, let column = af["column"]?.string else {
        throw SweepError("a row bound lacks \"bound\" or \"column\"")
      }
      var verdict: Verdict?
      if let v = af["verdict"]?.string {
        guard let parsed = Verdict(rawValue: v) else { throw SweepError("unknown verdict \"\(v)\" in a row") }
        verdict = parsed
      }
      annotations.append(Annotation(bound: bound, hessian: af["hessian"]?.string.flatMap(SweepSpec.hessianKind), column: column,
                                    value: af["value"]?.string, verdict: verdict, note: af["note"]?.string))
    }
    var seconds = 0.0
    if case .number(let t) = f["seconds"] { seconds = Double(t) ?? 0 }
    self.init(key: try string("key"), sweep: try string("sweep"), index: try int("index"), total: try int("total"),
              configIndex: try int("config_index"), seedIndex: try int("seed_index"), settings: settings,
              config: NetworkConfig(architecture: architecture, instance: instance), p: try int("p"), n: try int("n"),
              k: try int("K"), dataRank: try int("r"), method: try string("method"), ranks: ranks,
              annotations: annotations, seconds: seconds, sweepName: f["sweep_name"]?.string, plotAxis: f["plot_x"]?.string)
  }

  /// Reads a row from one line of a JSON Lines file.
  public init(line: String) throws(SweepError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(Array(line.utf8))
    } catch {
      throw SweepError(error.description)
    }
    try self.init(json: value)
  }
}
