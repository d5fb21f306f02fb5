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
///
/// Cross-entropy (config `"loss": "ce"`): H_o's minor is one of C·J·S (rank(H_o) = rank(C·J),
/// proofs/cross-entropy.md, Lemma 1; rows i·(K−1) + c); H_f's and H_L's entries record the residue
/// t of t = e^(1/D) modulo their prime at which π was evaluated: a nonzero minor there is a nonzero
/// polynomial in t over Q, nonzero at the transcendental e^(1/D) (Lemmas 2 and 3), so it proves
/// rank ≥ r at the point. Every entry then also records the minor's value modulo P, which `verify`
/// recomputes: a changed t, seed, prime, pivot or instance does not pass unnoticed even where its
/// own minor would be nonzero.
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
    /// Cross-entropy H_f, H_L: the residue of t at which π was evaluated modulo `prime`.
    public var softmaxT: UInt64?
    /// The minor's determinant modulo `prime` (required for cross-entropy, optional for MSE).
    public var minorDeterminant: UInt64?
    /// For a rank from the head-block reduction (no sketch, no minor): its parts rank M, rank CK
    /// and the reduced rank (`HeadSchurRank.Outcome`), which `verify` recomputes modulo `prime`.
    public var reduction: ReductionParts?

    /// An entry.
    public init(kind: HessianKind, rank: Int, prime: UInt64, sketchSeed: UInt64, pivotRows: [Int], pivotCols: [Int],
                softmaxT: UInt64? = nil, minorDeterminant: UInt64? = nil) {
      self.kind = kind
      self.rank = rank
      self.prime = prime
      self.sketchSeed = sketchSeed
      self.pivotRows = pivotRows
      self.pivotCols = pivotCols
      self.softmaxT = softmaxT
      self.minorDeterminant = minorDeterminant
    }
  }

  /// The recorded parts of a head-block reduction (proofs/head-block-reduction.md).
  public struct ReductionParts: Sendable, Equatable {
    /// rank M = 2 Σ_g rank N_g.
    public var blockRank: Int
    /// rank CK.
    public var coupling: Int
    /// The rank of the reduced matrix.
    public var reduced: Int
    /// The parts.
    public init(blockRank: Int, coupling: Int, reduced: Int) {
      self.blockRank = blockRank
      self.coupling = coupling
      self.reduced = reduced
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
      var e = Entry(kind: r.kind, rank: s.rank, prime: s.prime, sketchSeed: s.sketchSeed,
                    pivotRows: s.pivotRows, pivotCols: s.pivotCols, softmaxT: s.softmaxT, minorDeterminant: s.minorDeterminant)
      e.reduction = s.reduction.map { ReductionParts(blockRank: $0.blockRank, coupling: $0.coupling, reduced: $0.reduced) }
      return e
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
        var fields: [(key: String, value: JSONValue)] = [
          ("hessian", .string(e.kind.rawValue)), ("rank_at_least", .number(String(e.rank))),
          ("prime", .number(String(e.prime))), ("sketch_seed", .string(String(e.sketchSeed)))]
        if let t = e.softmaxT { fields.append(("t", .string(String(t)))) }
        if let red = e.reduction {
          fields += [("method", .string("head-block-reduction")), ("block_rank", .number(String(red.blockRank))),
                     ("coupling_rank", .number(String(red.coupling))), ("reduced_rank", .number(String(red.reduced)))]
          return .object(fields)
        }
        fields += [("pivot_rows", .array(e.pivotRows.map { .number(String($0)) })),
                   ("pivot_cols", .array(e.pivotCols.map { .number(String($0)) }))]
        if let d = e.minorDeterminant { fields.append(("minor_mod_prime", .string(String(d)))) }
        return .object(fields)
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
      func optional(_ key: String) throws -> UInt64? {
        guard let v = item[key] else { return nil }
        guard case .string(let text) = v, let x = UInt64(text) else { throw bad("\"\(key)\" must be an integer below 2^64 in a string") }
        return x
      }
      if let method = item["method"] {
        guard case .string("head-block-reduction") = method else { throw bad("\"method\" must be \"head-block-reduction\" (or absent for a sketch minor)") }
        guard kind != .outer else { throw bad("H_o has no head-block reduction") }
        func count(_ key: String) throws -> Int {
          guard case .number(let x)? = item[key], let v = Int(x), v >= 0, v < 1 << 40 else { throw bad("\"\(key)\" must be a non-negative integer") }
          return v
        }
        var e = Entry(kind: kind, rank: rank, prime: prime, sketchSeed: seed, pivotRows: [], pivotCols: [], softmaxT: try optional("t"))
        e.reduction = ReductionParts(blockRank: try count("block_rank"), coupling: try count("coupling_rank"),
                                     reduced: try count("reduced_rank"))
        return e
      }
      return Entry(kind: kind, rank: rank, prime: prime, sketchSeed: seed, pivotRows: try indices("pivot_rows"),
                   pivotCols: try indices("pivot_cols"), softmaxT: try optional("t"), minorDeterminant: try optional("minor_mod_prime"))
    }
  }

  // MARK: Verification

  /// Regenerates the instance and each minor and checks that it is nonzero modulo its prime.
  /// - Returns: per Hessian the proved lower bound, and whether it is the exact rank (full).
  /// - Throws: `HessianCertificateError.rejected` when anything does not hold.
  public func verify(threads: Int = ModularElimination.defaultThreads) throws -> [(kind: HessianKind, rank: Int, exact: Bool)] {
    let ce = config.instance.loss == .crossEntropy
    let instance: NetworkInstance
    let pattern: ActivationPattern
    var softmax: SoftmaxExponents?
    var targets: [[Rational]] = []
    do {
      instance = try NetworkInstance(architecture: config.architecture, settings: config.instance)
      if ce {
        let (pat, logits) = try instance.activationPattern()
        pattern = pat
        softmax = SoftmaxExponents(logits: logits)
        targets = try CrossEntropyTargets.targets(instance)
      } else {
        pattern = try instance.activationPatternOnly()
      }
    } catch {
      throw HessianCertificateError.rejected("the config does not give a valid instance: \(error)")
    }
    let k = instance.plan.outputSize
    let p = instance.plan.parameterCount, rowsJ = instance.sampleCount * (ce ? k - 1 : k)
    let kinds = entries.map(\.kind)
    guard Set(kinds).count == kinds.count else { throw HessianCertificateError.rejected("a Hessian is listed twice") }
    var out: [(HessianKind, Int, Bool)] = []
    for e in entries {
      func reject(_ s: String) -> HessianCertificateError { .rejected("\(e.kind.symbol): \(s)") }
      guard CentredResidues.primeRange.contains(e.prime), Primality.isPrime(e.prime) else {
        throw reject("\(e.prime) is not a prime in [2^23, 2^24)")
      }
      let r = e.rank
      guard r <= (e.kind == .outer ? min(rowsJ, p) : p) else { throw reject("rank \(r) exceeds the matrix size") }
      if e.reduction == nil {
        guard e.pivotRows.count == r, e.pivotCols.count == r else { throw reject("the minor must have \(r) rows and \(r) columns") }
        guard Set(e.pivotRows).count == r, Set(e.pivotCols).count == r else { throw reject("repeated pivot index") }
        let rowLimit = e.kind == .outer ? rowsJ : Int.max
        guard e.pivotRows.allSatisfy({ $0 >= 0 && $0 < rowLimit }), e.pivotCols.allSatisfy({ $0 >= 0 }),
              (e.pivotRows + e.pivotCols).allSatisfy({ $0 < 1 << 24 }) else {
          throw reject("pivot index out of range")
        }
      }
      let loss: any SketchLoss
      if let softmax {
        guard e.minorDeterminant != nil || e.reduction != nil else { throw reject("a cross-entropy entry must record \"minor_mod_prime\"") }
        let pf = PrimeField(unchecked: e.prime)
        if e.kind == .outer {
          // C·J·S does not depend on π (only the rows of C·J are used): any probabilities do.
          guard e.softmaxT == nil else { throw reject("H_o's minor (of C·J) records no t") }
          guard let y = try? targets.map({ try $0.map { try pf.element($0) } }) else {
            throw reject("the prime divides a denominator of the instance")
          }
          loss = CrossEntropySketchLoss(probabilities: y, targets: y)
        } else {
          guard let t = e.softmaxT else { throw reject("a cross-entropy entry must record the residue \"t\" at which π was evaluated") }
          guard let l = MatrixFreeRanks.crossEntropyLoss(softmax: softmax, targets: targets, prime: e.prime, t: t) else {
            throw reject("π is undefined modulo \(e.prime) at t = \(t) (t outside [1, P), or a denominator vanishes there)")
          }
          loss = l
        }
      } else {
        guard e.softmaxT == nil else { throw reject("records a softmax t, but the config's loss is MSE") }
        loss = MeanSquaredSketchLoss()
      }
      let products: BatchedProducts
      do {
        products = try BatchedProducts(instance: instance, pattern: pattern, prime: e.prime, loss: loss, hessian: e.kind != .outer)
      } catch {
        throw reject("the prime divides a denominator of the instance")
      }
      if let recorded = e.reduction {
        // The reduction recomputed modulo the prime (and at t): rank(n·H mod P) itself.
        guard let plan = HeadSchurRank.plan(products) else { throw reject("the network has no head block: no head-block reduction") }
        var o = SketchOptions(targets: [MatrixFreeRanks.target(e.kind)], threads: threads)
        o.memoryBudget = HessianRanks.memoryBudget
        guard let red = HeadSchurRank.run(products, plan: plan, targets: o.targets, options: o).first else {
          throw reject("no head-block reduction for this Hessian")
        }
        let parts = ReductionParts(blockRank: red.blockRank, coupling: red.coupling, reduced: red.reduced)
        guard parts == recorded, red.rank == r else {
          throw reject("the head-block reduction modulo \(e.prime) gives rank \(red.rank) = \(red.blockRank) + 2·\(red.coupling) + \(red.reduced)\(red.curvatureRank > 0 ? " − \(red.curvatureRank)" : ""), recorded \(r) = \(recorded.blockRank) + 2·\(recorded.coupling) + \(recorded.reduced) (t, prime or instance changed)")
        }
        out.append((e.kind, r, r == p))
        continue
      }
      let det = r == 0 ? 1 : SketchedRank.minorDeterminant(products, seed: e.sketchSeed, target: MatrixFreeRanks.target(e.kind),
                                                          rows: e.pivotRows, cols: e.pivotCols, threads: threads)
      guard det != 0 else { throw reject("the \(r) × \(r) minor is zero modulo \(e.prime)\(e.softmaxT.map { " at t = \($0)" } ?? ""): no lower bound") }
      if let recorded = e.minorDeterminant, recorded != det {
        throw reject("the minor is \(det) modulo \(e.prime), recorded as \(recorded) (t, seed, prime, pivots or instance changed)")
      }
      out.append((e.kind, r, r == (e.kind == .outer ? min(rowsJ, p) : p)))
    }
    return out
  }
}
