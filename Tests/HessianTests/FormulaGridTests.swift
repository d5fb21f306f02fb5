import ConvNet
import Exact
import Testing
@testable import Hessian

/// Paper 2 (Singh, Bachmann & Hofmann, NeurIPS 2021): deep linear fully connected networks,
/// q = min(r, K, M_1, …, M_{L−1}), s = min(r, K):
///   rank H_o = q(r + K − q),  rank H_f = 2qΣM_i + 2qs − Lq²,  rank H_L = 2qΣM_i + q(r + K) − Lq².
@Suite struct FormulaGridTests {
  struct Case: Sendable, CustomStringConvertible {
    let d: Int, hidden: [Int], k: Int, n: Int
    var description: String { "d=\(d) hidden=\(hidden) K=\(k) n=\(n)" }
  }

  static let grid: [Case] = {
    var out: [Case] = []
    for d in [4, 7] {
      for hidden in [[3], [5], [2, 4], [4, 3], [3, 3, 3]] {
        for k in [1, 3] {
          for n in [2, 5, 20] { out.append(Case(d: d, hidden: hidden, k: k, n: n)) }
        }
      }
    }
    return out
  }()

  @Test(arguments: grid)
  func paperFormulas(_ c: Case) throws {
    let arch = fc(c.d, c.hidden + [c.k])
    let opts = HessianRankOptions(method: .modular, primes: 2)
    for seed: UInt64 in [11, 12] {
      let inst = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: c.n, seed: seed))
      let report = try HessianRanks.compute(inst, options: opts)
      let r = report.dataRank
      #expect(r == min(c.d, c.n))
      let l = c.hidden.count + 1
      let q = ([r, c.k] + c.hidden).min()!, s = min(r, c.k)
      let sumM = c.hidden.reduce(0, +)
      #expect(report.result(.outer)?.rank == q * (r + c.k - q), "H_o \(c) seed \(seed)")
      #expect(report.result(.functional)?.rank == 2 * q * sumM + 2 * q * s - l * q * q, "H_f \(c) seed \(seed)")
      #expect(report.result(.loss)?.rank == 2 * q * sumM + q * (r + c.k) - l * q * q, "H_L \(c) seed \(seed)")
    }
  }

  /// The certified path proves the same ranks, with certificates that verify, on both seeds.
  @Test func certifiedPathAgreesAndVerifies() throws {
    let arch = fc(5, [3, 4, 2])
    for seed: UInt64 in [1, 2] {
      let config = NetworkConfig(architecture: arch, instance: InstanceSettings(samples: 4, seed: seed))
      let inst = try NetworkInstance(architecture: arch, settings: config.instance)
      let modular = try HessianRanks.compute(inst, options: HessianRankOptions(method: .modular))
      let certified = try HessianRanks.compute(inst, options: HessianRankOptions(method: .certified))
      let bareiss = try HessianRanks.compute(inst, options: HessianRankOptions(method: .bareiss))
      for kind in HessianKind.allCases {
        #expect(modular.result(kind)?.rank == certified.result(kind)?.rank)
        #expect(bareiss.result(kind)?.rank == certified.result(kind)?.rank)
        #expect(certified.result(kind)?.isProved == true)
      }
      let cert = try HessianCertificate(report: certified, config: config)
      let reread = try HessianCertificate(json: cert.jsonData())
      let v = try reread.verify(seed: 5)
      #expect(v.ranks.map(\.rank) == HessianKind.allCases.map { certified.result($0)!.rank })
      #expect(v.ranks.allSatisfy { $0.exact })
    }
  }

  /// A certificate for another seed's instance, or with a changed claim, is rejected.
  @Test func tamperedHessianCertificatesAreRejected() throws {
    let arch = fc(5, [3, 2])
    let config = NetworkConfig(architecture: arch, instance: InstanceSettings(samples: 6, seed: 3))
    let inst = try NetworkInstance(architecture: arch, settings: config.instance)
    let report = try HessianRanks.compute(inst, options: HessianRankOptions(method: .certified))
    let good = try HessianCertificate(report: report, config: config)
    var otherSeed = good
    otherSeed.config.instance.seed = 4
    #expect(throws: HessianCertificateError.self) { _ = try otherSeed.verify(seed: 1) }
    #expect(throws: HessianCertificateError.self) { _ = try Self.lowered(good, entry: 1).verify(seed: 1) }
    var swapped = good
    swapped.entries[0].kind = .loss
    swapped.entries[2].kind = .outer
    #expect(throws: HessianCertificateError.self) { _ = try swapped.verify(seed: 1) }
  }

  /// A CNN whose Hessians are large low-rank matrices with big entries: the certified path
  /// proves the upper bounds (by primes, or by kernel vectors when the output-sensitive
  /// lifting finds them small), agrees with the modular path, and its certificate verifies;
  /// a shortened proof, or a lowered rank, is rejected.
  @Test func primeCertificatesOfACNNVerify() throws {
    let arch = try Architecture(parsing: "1x32 conv(2,k=5) conv(2,k=5) dense(10)")  // p = 510
    let config = NetworkConfig(architecture: arch, instance: InstanceSettings(samples: 64, seed: 2))
    let inst = try NetworkInstance(architecture: arch, settings: config.instance)
    let certified = try HessianRanks.compute(inst, options: HessianRankOptions(method: .certified))
    let modular = try HessianRanks.compute(inst, options: HessianRankOptions(method: .modular))
    for kind in HessianKind.allCases {
      #expect(certified.result(kind)?.rank == modular.result(kind)?.rank)
      #expect(certified.result(kind)?.isProved == true)
    }
    // The upper bound comes by the primes or (output-sensitive, when the kernel is small) by
    // kernel vectors; either way a shortened proof is rejected.
    let loss = try #require(certified.result(.loss)?.certificate)
    #expect(loss.upperBoundPrimes != nil || loss.kernel != nil)
    let cert = try HessianCertificate(report: certified, config: config)
    let v = try HessianCertificate(json: cert.jsonData()).verify(seed: 3)
    #expect(v.ranks.allSatisfy { $0.exact })
    #expect(v.ranks.map(\.rank) == HessianKind.allCases.map { certified.result($0)!.rank })
    var short = cert
    if let primes = loss.upperBoundPrimes {
      short.entries[2].certificate.upperBoundPrimes = Array(primes.prefix(primes.count / 2))
    } else if let kernel = loss.kernel {
      short.entries[2].certificate.kernel = Array(kernel.dropLast())
    }
    #expect(throws: HessianCertificateError.self) { _ = try short.verify(seed: 3) }
    #expect(throws: HessianCertificateError.self) { _ = try Self.lowered(cert, entry: 2).verify(seed: 3) }
  }

  /// The certificate with entry `entry` claiming one rank less (its last pivot dropped).
  static func lowered(_ cert: HessianCertificate, entry: Int) -> HessianCertificate {
    var c = cert
    c.entries[entry].certificate.rank -= 1
    c.entries[entry].certificate.pivotRows.removeLast()
    c.entries[entry].certificate.pivotCols.removeLast()
    return c
  }
}
