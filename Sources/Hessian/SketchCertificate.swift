import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation
import MatrixFreeRank

/// A checkable proof of lower bounds on Hessian ranks from the matrix-free method.
///
/// Per Hessian it names the prime P, the sketch seed and the pivot rows and columns of an
/// r × r minor of the sketch matrix (J·S for H_o, Sᵀ(n·H)S otherwise) that is nonzero modulo
/// P. `verify` trusts nothing but the config: it regenerates the instance, the sketch columns
/// the minor touches, their products with J and n·H modulo P, and the minor's determinant. A
/// nonzero minor of SᵀHS mod P is a nonzero r × r minor of a product of matrices with H mod P,
/// so rank(H mod P) ≥ r and hence rank(H over Q) ≥ r (P divides no denominator of the instance,
/// checked). It proves a lower bound only; it proves the rank when r = p (or min(nK, p) for H_o).
public struct SketchCertificate: Sendable {
  /// The format identifier.
  public static let currentFormat = "hessrank-sketch-certificate/1"

  /// One Hessian's minor.
  public struct Entry: Sendable, Equatable {
    /// Which Hessian.
    public var kind: HessianKind
    /// The claimed lower bound (= the number of pivots).
    public var rank: Int
    /// The prime.
    public var prime: UInt64
    /// The sketch seed.
    public var sketchSeed: UInt64
    /// Rows of the minor (J·S rows i·K + c for H_o, sketch columns otherwise).
    public var pivotRows: [Int]
    /// Columns of the minor (sketch columns).
    public var pivotCols: [Int]

    /// An entry.
    public init(kind: HessianKind, rank: Int, prime: UInt64, sketchSeed: UInt64, pivotRows: [Int], pivotCols: [Int]) {
      self.kind = kind
      self.rank = rank
      self.prime = prime
      self.sketchSeed = sketchSeed
      self.pivotRows = pivotRows
      self.pivotCols = pivotCols
    }
  }

  /// The network and its instance settings.
  public var config: NetworkConfig
  /// One entry per Hessian.
  public var entries: [Entry]

  /// A certificate from its parts.
  public init(config: NetworkConfig, entries: [Entry]) {
    self.config = config
    self.entries = entries
  }

  /// The certificate of a matrix-free rank report.
  /// - Throws: `HessianCertificateError.missingCertificate` for results not computed matrix-free.
  public init(report: HessianRankReport, config: NetworkConfig) throws {
    let entries = try report.results.map { r -> Entry in
      guard let s = r.sketch else { throw HessianCertificateError.missingCertificate(r.kind.symbol) }
      return Entry(kind: r.kind, rank: s.rank, prime: s.prime, sketchSeed: s.sketchSeed,
                   pivotRows: s.pivotRows, pivotCols: s.pivotCols)
    }
    self.init(config: config, entries: entries)
  }

  // MARK: JSON

  /// The certificate as a JSON value.
  public var jsonValue: JSONValue {
    .object([
      ("format", .string(Self.currentFormat)),
      ("config", config.jsonObject(structuredLayers: false)),
      ("hessians", .array(entries.map { e in
        .object([("hessian", .string(e.kind.rawValue)), ("rank_at_least", .number(String(e.rank))),
                 ("prime", .number(String(e.prime))), ("sketch_seed", .string(String(e.sketchSeed))),
                 ("pivot_rows", .array(e.pivotRows.map { .number(String($0)) })),
                 ("pivot_cols", .array(e.pivotCols.map { .number(String($0)) }))])
      })),
    ])
  }

  /// JSON text.
  public func jsonData() -> Data { Data((jsonValue.serialized() + "\n").utf8) }

  /// Reads a certificate written by `jsonData()`.
  public init(json data: Data) throws {
    let root: JSONValue
    do { root = try JSONValue.parse(Array(data)) } catch { throw HessianCertificateError.malformed(error.description) }
    config = try HessianCertificate.config(of: root, format: Self.currentFormat)
    guard case .array(let items)? = root["hessians"] else { throw HessianCertificateError.malformed("no \"hessians\" array") }
    entries = try items.enumerated().map { (i, item) in
      func bad(_ s: String) -> HessianCertificateError { .malformed("hessians[\(i)]: \(s)") }
      guard case .string(let k)? = item["hessian"], let kind = HessianKind(rawValue: k) else {
        throw bad("\"hessian\" must be outer, functional or loss")
      }
      guard case .number(let r)? = item["rank_at_least"], let rank = Int(r), rank >= 0 else { throw bad("\"rank_at_least\" must be a non-negative integer") }
      guard case .number(let pr)? = item["prime"], let prime = UInt64(pr) else { throw bad("\"prime\" must be an integer") }
      guard case .string(let sd)? = item["sketch_seed"], let seed = UInt64(sd) else { throw bad("\"sketch_seed\" must be an integer in a string") }
      func indices(_ key: String) throws -> [Int] { try HessianCertificate.integers(item, key, bad: bad) }
      return Entry(kind: kind, rank: rank, prime: prime, sketchSeed: seed, pivotRows: try indices("pivot_rows"),
                   pivotCols: try indices("pivot_cols"))
    }
  }

  // MARK: Verification

  /// Regenerates the instance and each minor and checks that it is nonzero modulo its prime.
  /// - Returns: per Hessian the proved lower bound, and whether it is the exact rank (full).
  /// - Throws: `HessianCertificateError.rejected` when anything does not hold.
  public func verify(threads: Int = ModularElimination.defaultThreads) throws -> [(kind: HessianKind, rank: Int, exact: Bool)] {
    // Sketch minors of the cross-entropy Hessians depend on the random t of the softmax, which
    // this format does not record: such a certificate is refused, never checked as MSE.
    guard config.instance.loss == .mse else {
      throw HessianCertificateError.rejected("sketch certificates are checked for the MSE loss only; this one's config has \"loss\": \"\(config.instance.loss.rawValue)\"")
    }
    let instance: NetworkInstance
    let pattern: ActivationPattern
    do {
      instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
      pattern = try instance.activationPatternOnly()
    } catch {
      throw HessianCertificateError.rejected("the config does not give a valid instance: \(error)")
    }
    let p = instance.plan.parameterCount, rowsJ = instance.sampleCount * instance.plan.outputSize
    let kinds = entries.map(\.kind)
    guard Set(kinds).count == kinds.count else { throw HessianCertificateError.rejected("a Hessian is listed twice") }
    var out: [(HessianKind, Int, Bool)] = []
    for e in entries {
      func reject(_ s: String) -> HessianCertificateError { .rejected("\(e.kind.symbol): \(s)") }
      guard CentredResidues.primeRange.contains(e.prime), Primality.isPrime(e.prime) else {
        throw reject("\(e.prime) is not a prime in [2^23, 2^24)")
      }
      let r = e.rank
      guard e.pivotRows.count == r, e.pivotCols.count == r else { throw reject("the minor must have \(r) rows and \(r) columns") }
      guard Set(e.pivotRows).count == r, Set(e.pivotCols).count == r else { throw reject("repeated pivot index") }
      let rowLimit = e.kind == .outer ? rowsJ : Int.max
      guard e.pivotRows.allSatisfy({ $0 >= 0 && $0 < rowLimit }), e.pivotCols.allSatisfy({ $0 >= 0 }),
            (e.pivotRows + e.pivotCols).allSatisfy({ $0 < 1 << 24 }) else {
        throw reject("pivot index out of range")
      }
      guard r <= (e.kind == .outer ? min(rowsJ, p) : p) else { throw reject("rank \(r) exceeds the matrix size") }
      let products: BatchedProducts
      do {
        products = try BatchedProducts(instance: instance, pattern: pattern, prime: e.prime, hessian: e.kind != .outer)
      } catch {
        throw reject("the prime divides a denominator of the instance")
      }
      let det = r == 0 ? 1 : SketchedRank.minorDeterminant(products, seed: e.sketchSeed, target: MatrixFreeRanks.target(e.kind),
                                                          rows: e.pivotRows, cols: e.pivotCols, threads: threads)
      guard det != 0 else { throw reject("the \(r) × \(r) minor is zero modulo \(e.prime): no lower bound") }
      out.append((e.kind, r, r == (e.kind == .outer ? min(rowsJ, p) : p)))
    }
    return out
  }
}
