import ConvNet
import Exact
import Foundation
import Hessian
import Testing
@testable import RankBounds

/// Replaces the value at `path` (object keys and array indices) in a JSON tree.
func edited(_ v: JSONValue, _ path: [String], _ change: (JSONValue) -> JSONValue) -> JSONValue {
  guard let head = path.first else { return change(v) }
  let rest = Array(path.dropFirst())
  switch v {
  case .object(let pairs):
    return .object(pairs.map { $0.key == head ? ($0.key, edited($0.value, rest, change)) : $0 })
  case .array(let items):
    guard let i = Int(head) else { return v }
    return .array(items.enumerated().map { $0.offset == i ? edited($0.element, rest, change) : $0.element })
  default:
    return v
  }
}

@Suite struct CertificateTests {
  /// A run with a deliberately wrong user formula, the reference's one-conv formula (refuted
  /// here) and the corrected one, with certificates.
  static func wrongFormulaCertificate() throws -> (BoundCertificate, CertifyOutcome) {
    var config = NetworkConfig(architecture: try Architecture(parsing: "4x6 conv(1,k=5) dense(3)"))
    config.instance.samples = 10
    let wrong = RankBound(userFormula: try Formula(parsing: "K*r - 10"), id: "formula-1", hessian: .outer, claim: .equality)
    let request = CertifyRequest(config: config, bounds: [wrong, BoundCatalog.bound(id: "one-conv-outer-rho")!,
                                                          BoundCatalog.bound(id: "one-conv-outer")!, BoundCatalog.bound(id: "fc-outer")!],
                                 seedCount: 2, wantCertificates: true)
    let outcome = try BoundCertifier.run(request)
    return (try BoundCertificate(request: request, outcome: outcome), outcome)
  }

  @Test func wrongUserFormulaIsViolatedAndTheCertificateChecks() throws {
    let (cert, outcome) = try Self.wrongFormulaCertificate()
    #expect(outcome.anyViolated)
    for s in outcome.seeds {
      let verdicts = Dictionary(uniqueKeysWithValues: s.checks.map { ($0.bound.id, $0.verdict) })
      #expect(verdicts == ["formula-1": .violated, "one-conv-outer-rho": .violated, "one-conv-outer": .tight])
      #expect(s.checks.allSatisfy { $0.proved })
      #expect(s.skipped.map(\.bound.id) == ["fc-outer"])
    }
    // Round trip through the file format, then a from-scratch verification.
    let read = try BoundCertificate(json: cert.jsonData())
    let v = try read.verify(seed: 7)
    #expect(v.checks.map { $0.map(\.verdict) } == [[.violated, .violated, .tight], [.violated, .violated, .tight]])
    #expect(v.summary.contains("4 VIOLATED, 2 TIGHT, 0 HOLDS"))
  }

  static let tamperings: [(what: String, path: [String], change: @Sendable (JSONValue) -> JSONValue)] = [
    ("rank", ["instances", "0", "results", "0", "rank"], { _ in .number("21") }),
    ("verdict", ["instances", "1", "results", "1", "verdict"], { _ in .string("HOLDS") }),
    ("value", ["instances", "0", "results", "2", "value"], { _ in .number("23") }),
    ("proved flag", ["instances", "0", "results", "0", "proved"], { _ in .bool(false) }),
    ("user formula", ["bounds", "0", "formula"], { _ in .string("K*r - 8") }),
    ("catalog formula", ["bounds", "1", "formula"], { _ in .string("K*r") }),
    ("bound status", ["bounds", "1", "status"], { _ in .string("paper") }),
    ("config samples", ["config", "samples"], { _ in .number("11") }),
    ("config architecture", ["config", "architecture"], { _ in .string("4x6 conv(1,k=4) dense(3)") }),
    ("instance config", ["instances", "1", "hessian_certificate", "config", "seed"], { _ in .number("5") }),
    ("variable", ["instances", "0", "variables", "rhat"], { _ in .number("10") }),
    ("pivot rows", ["instances", "0", "hessian_certificate", "hessians", "0", "certificate", "pivotRows", "0"], { _ in .number("29") }),
    ("kernel vector", ["instances", "1", "hessian_certificate", "hessians", "0", "certificate", "kernel", "0", "values", "0"], { v in
      if case .string(let s) = v { return .string(s == "1" ? "2" : "1") }
      return v
    }),
    ("data rank", ["instances", "0", "hessian_certificate", "data_rank", "rank"], { _ in .number("9") }),
    ("skipped list", ["instances", "0", "skipped"], { _ in .array([]) }),
    ("seeds", ["seeds", "1"], { _ in .number("3") }),
  ]

  @Test(arguments: tamperings.indices) func tamperedCertificatesAreRejected(_ index: Int) throws {
    let t = Self.tamperings[index]
    let (cert, _) = try Self.wrongFormulaCertificate()
    let changed = edited(cert.jsonValue, t.path, t.change)
    #expect(changed != cert.jsonValue, "\(t.what): the edit did not change anything")
    var rejected = false
    do {
      let read = try BoundCertificate(json: Data(changed.serialized().utf8))
      _ = try read.verify(seed: 3)
    } catch is BoundCertificateError {
      rejected = true
    }
    #expect(rejected, "tampered \(t.what) was accepted")
  }

  /// Every certificate in proofs/certificates/ holds when re-derived from scratch.
  @Test func proofsCertificatesVerify() throws {
    var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
      root = root.deletingLastPathComponent()
    }
    let dir = root.appendingPathComponent("proofs/certificates")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
    #expect(files.count >= 8)
    for name in files {
      let cert = try BoundCertificate(json: Data(contentsOf: dir.appendingPathComponent(name)))
      let v = try cert.verify(seed: 1)
      #expect(!v.checks.isEmpty, "\(name)")
      if name.hasPrefix("counterexample") || name.hasPrefix("wrong") {
        #expect(v.checks.joined().contains { $0.verdict == .violated && $0.proved }, "\(name)")
      } else if name.hasPrefix("not-attained-one-conv-outer-stride") {
        // one-conv-outer's formula under a stride with K < m: the exact rank (proved at every
        // seed) is c0 below it, as the syzygy directions of proofs/one-conv-outer.md predict; the
        // entry itself no longer applies (its hypotheses need stride 1 or K ≥ m).
        let c0 = cert.config.architecture.input.shape.channels
        let formula = v.checks.joined().filter { $0.bound.id == "formula-1" }
        #expect(formula.count == cert.instances.count && formula.count >= 2, "\(name)")
        for c in formula {
          #expect(c.verdict == .short && c.evidence.isExact && c.value == BigInt(c.evidence.rank + c0), "\(name)")
        }
        #expect(!v.checks.joined().contains { $0.bound.id == "one-conv-outer" }, "\(name)")
        #expect(!v.checks.joined().contains { $0.verdict == .violated }, "\(name)")
      } else if name.hasPrefix("fc-ce-") {
        // Cross-entropy: H_f and H_L are lower bounds from minors at t, and every verdict is
        // TIGHT and proved by the catalog's upper bound (K → K − 1).
        #expect(cert.config.instance.loss == .crossEntropy, "\(name)")
        #expect(v.checks.joined().allSatisfy { $0.verdict == .tight && $0.proved }, "\(name)")
        #expect(v.checks.joined().contains { !$0.evidence.isExact }, "\(name)")
      } else {
        #expect(!v.checks.joined().contains { $0.verdict == .violated }, "\(name)")
      }
    }
  }
}
