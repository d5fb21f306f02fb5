import ConvNet
import Exact
import Foundation
import Hessian
import Testing
@testable import MatrixFreeRank

@Suite struct MatrixFreeMethodTests {
  /// Through `HessianRanks.compute`: matrix-free ranks equal the dense modular ones.
  @Test(arguments: suiteNetworks)
  func matrixFreeEqualsModular(arch: String, samples: Int) throws {
    let (inst, _) = try instance(arch, samples: samples, seed: 4)
    let free = try HessianRanks.compute(inst, options: HessianRankOptions(method: .matrixFree, primeSeed: 21))
    let modular = try HessianRanks.compute(inst, options: HessianRankOptions(method: .modular))
    #expect(free.method == .matrixFree)
    for kind in HessianKind.allCases {
      let f = try #require(free.result(kind))
      #expect(f.rank == modular.result(kind)?.rank, "\(kind) \(arch)")
      #expect(f.sketch?.rank == f.rank && f.failureBound != nil)
    }
  }

  /// `auto` picks matrix-free from `autoMatrixFreeFrom` parameters on, modular below (p > 600).
  @Test func autoChoosesBySize() {
    let from = HessianRankOptions.autoMatrixFreeFrom
    #expect(HessianRanks.resolvedMethod(.auto, p: from, jacobianRows: 640, wantCertificates: false) == .matrixFree)
    #expect(HessianRanks.resolvedMethod(.auto, p: from - 1, jacobianRows: 640, wantCertificates: false) == .modular)
    #expect(HessianRanks.resolvedMethod(.auto, p: 500, jacobianRows: 640, wantCertificates: false) == .certified)
    // Dense matrices that cannot fit: matrix-free even where a certificate is asked for.
    #expect(HessianRanks.resolvedMethod(.auto, p: 540_000, jacobianRows: 640, wantCertificates: true) == .matrixFree)
    #expect(HessianRanks.resolvedMethod(.matrixFree, p: 50, jacobianRows: 10, wantCertificates: true) == .matrixFree)
  }

  /// The memory estimate of the matrix-free path is O(p·t), far below the dense p².
  @Test func memoryEstimateIsLinearInP() throws {
    let arch = try Architecture(parsing: "3x32x32 conv(64,k=3) conv(64,k=3) dense(10)")
    let p = try arch.parameterCount()
    let rows = MatrixFreeRanks.workspaceRows(arch)
    let free = HessianRanks.memoryEstimate(method: .matrixFree, p: p, jacobianRows: 640, workspaceRows: rows,
                                           kinds: HessianKind.allCases, threads: 2)
    #expect(free < HessianRanks.memoryBudget)
    #expect(HessianRanks.memoryEstimate(method: .modular, p: p, jacobianRows: 640, workspaceRows: rows,
                                        kinds: HessianKind.allCases, threads: 2) > HessianRanks.memoryBudget)
  }

  /// Certificates: a written certificate verifies after a JSON round trip; tampered ones do not.
  @Test func certificateRoundTripAndTampering() throws {
    let config = NetworkConfig(architecture: try Architecture(parsing: "1x12 conv(2,k=3) relu dense(2)"),
                               instance: InstanceSettings(samples: 30, seed: 1, range: 1000))
    let inst = try NetworkInstance(architecture: config.architecture, settings: config.instance)
    let report = try HessianRanks.compute(inst, options: HessianRankOptions(method: .matrixFree, primes: 1, wantCertificates: true))
    let cert = try SketchCertificate(report: report, config: config)
    let back = try SketchCertificate(json: cert.jsonData())
    let verified = try back.verify()
    #expect(verified.map(\.rank) == report.results.map(\.rank))
    let hf = try #require(back.entries.firstIndex { $0.kind == .functional })
    #expect(back.entries[hf].rank < 46)  // H_f is rank-deficient here: 12 of 46

    // One more pivot than the rank: the (r+1)-minor is zero modulo P.
    var extra = back
    let unusedRow = (0..<46).first { !extra.entries[hf].pivotRows.contains($0) }!
    let unusedCol = (0..<46).first { !extra.entries[hf].pivotCols.contains($0) }!
    extra.entries[hf].rank += 1
    extra.entries[hf].pivotRows.append(unusedRow)
    extra.entries[hf].pivotCols.append(unusedCol)
    #expect(throws: HessianCertificateError.self) { try extra.verify() }
    // A repeated pivot, a composite "prime", a rank that disagrees with the pivots.
    var repeated = back
    repeated.entries[hf].pivotCols[0] = repeated.entries[hf].pivotCols[1]
    #expect(throws: HessianCertificateError.self) { try repeated.verify() }
    var composite = back
    composite.entries[hf].prime = (1 << 23) + 1  // 2^23 + 1 = 3 · 2796203
    #expect(throws: HessianCertificateError.self) { try composite.verify() }
    var short = back
    short.entries[hf].rank += 1
    #expect(throws: HessianCertificateError.self) { try short.verify() }
    // The wrong Hessian's minor: H_o's pivots (rows of J·S) claimed for H_f.
    var swapped = back
    let ho = try #require(back.entries.firstIndex { $0.kind == .outer })
    swapped.entries[hf].rank = back.entries[ho].rank
    swapped.entries[hf].pivotRows = back.entries[ho].pivotRows
    swapped.entries[hf].pivotCols = back.entries[ho].pivotCols
    #expect(throws: HessianCertificateError.self) { try swapped.verify() }
  }
}
