import ConvNet
import Exact
import ExactLinearAlgebra
import Hessian
import Testing
@testable import RankBounds

/// The instance of an architecture string with n samples and a seed.
func makeInstance(_ arch: String, samples: Int, seed: UInt64 = 1, range: Int = 5, maxDenominator: Int = 1,
                  inputs: [[Rational]]? = nil) throws -> NetworkInstance {
  try NetworkInstance(architecture: Architecture(parsing: arch),
                      settings: InstanceSettings(samples: samples, seed: seed, range: range, maxDenominator: maxDenominator, inputs: inputs))
}

/// All variables at an instance (r computed exactly here).
func variables(_ instance: NetworkInstance) -> NetworkVariables {
  let r = ExactRank.certify(IntegerMatrix(rationalRows: instance.dataMatrix.nestedRows)).rank
  return NetworkVariables(instance: instance, dataRank: r)
}

extension NetworkVariables {
  func int(_ name: String) -> Int? {
    if case .value(let v)? = scalar(name) { return v.intValue }
    return nil
  }

  func int(_ name: String, _ l: Int) -> Int? {
    if case .value(let v)? = perLayer(name, at: l) { return v.intValue }
    return nil
  }

  func reason(_ name: String, _ l: Int? = nil) -> String? {
    let v = l.map { perLayer(name, at: $0) } ?? scalar(name)
    if case .undefined(let why)? = v { return why }
    return nil
  }
}

@Suite struct VariableTests {
  @Test func oneConvLayer1D() throws {
    let v = variables(try makeInstance("1x12 conv(2,k=3) dense(2)", samples: 100))
    #expect(v.facts.architectureClass == .oneConv)
    let expected: [String: Int] = ["d": 12, "c0": 1, "D": 12, "dims": 1, "n": 100, "K": 2, "L": 2, "Lc": 1, "p": 46, "r": 12,
                                   "s": 2, "q": 2, "kt": 3, "rt": 3, "dp": 10, "rho": 12, "rhat": 3, "qhat": 2, "rc": 12, "r1": 13]
    for (name, value) in expected { #expect(v.int(name) == value, "\(name)") }
    #expect(v.int("m", 0) == 1 && v.int("m", 1) == 2 && v.int("m", 2) == 2)
    #expect(v.int("k", 1) == 3 && v.int("d_out", 1) == 10 && v.int("d_out", 2) == 1 && v.int("RF", 1) == 3)
    #expect(v.int("S", 1) == 1 && v.int("P", 1) == 0 && v.int("bias", 1) == 0 && v.int("params", 1) == 6 && v.int("params", 2) == 40)
    #expect(v.reason("k", 2) == "layer 2 is dense, not a conv layer")
    #expect(v.reason("M", 1)?.contains("fully connected") == true)
    #expect(v.reason("h")?.contains("1-D") == true)
    #expect(v.reason("m", 3)?.contains("1…L = 2") == true)
  }

  @Test func fullyConnected() throws {
    let v = variables(try makeInstance("10 dense(4) dense(4) dense(6)", samples: 5))
    #expect(v.facts.architectureClass == .fullyConnected)
    #expect(v.int("r") == 5 && v.int("q") == 4 && v.int("L") == 3 && v.int("Lc") == 0 && v.int("p") == 80)
    #expect((0...3).map { v.int("M", $0) } == [10, 4, 4, 6])
    #expect(v.reason("rho")?.contains("no conv layer") == true)
    #expect(v.reason("RF", 1) == "layer 1 is dense, not a conv layer")
  }

  @Test func deepAnd2DShapes() throws {
    let deep = variables(try makeInstance("1x16 conv(3,k=3) conv(3,k=3) dense(2)", samples: 20))
    #expect(deep.facts.architectureClass == .deepCNN)
    #expect(deep.int("RF", 1) == 3 && deep.int("RF", 2) == 5 && deep.int("d_out", 2) == 12 && deep.int("Lc") == 2)
    #expect(deep.reason("q")?.contains("deep CNN") == true)
    let image = variables(try makeInstance("2x5x6 conv(3,k=2x3,s=2x1) dense(2)", samples: 4))
    #expect(image.int("h") == 5 && image.int("w") == 6 && image.int("d") == 30 && image.int("D") == 60)
    #expect(image.int("kh", 1) == 2 && image.int("kw", 1) == 3 && image.int("k", 1) == 6 && image.int("kt") == 12)
    #expect(image.int("Smax", 1) == 2 && image.int("dp") == 2 * 4)
    #expect(image.reason("S", 1)?.contains("differs per dimension") == true)
  }

  /// ρ = rank(T^V X) from the evaluated Toeplitz matrix equals the rank of the first layer's
  /// outputs computed by the forward pass (another code path: apply, not matrix).
  @Test(arguments: ["1x12 conv(2,k=3) dense(2)", "1x5x5 conv(2,k=3) dense(2)", "3x7 conv(2,k=2,s=2,p=1) dense(1)", "2x4x5 conv(3,k=2x3) dense(2)"])
  func rhoAgreesWithTheForwardPass(_ arch: String) throws {
    for n in [3, 40] {
      let instance = try makeInstance(arch, samples: n, seed: 4)
      let network = try RingNetwork(instance: instance, pattern: instance.activationPattern().pattern, ring: RationalRing())
      let outputs = (0..<n).map { network.forward(sample: $0).stageInputs[1] }
      let rank = ExactRank.certify(IntegerMatrix(rationalRows: outputs)).rank
      #expect(NetworkVariables.rho(instance) == rank, "\(arch) n=\(n)")
    }
  }

  /// The Toeplitz rank lemma: with X = I (so ρ = rank T^V), 1-D, stride 1, no padding,
  /// rank T^V = min(m d′, d) at random weights (drawn from a wide range: a weight of 0 is
  /// a non-generic point).
  @Test func toeplitzLemma1D() throws {
    for d in 3...9 {
      for k in 1...d {
        for m in 1...4 {
          let identity = (0..<d).map { i in (0..<d).map { Rational($0 == i ? 1 : 0) } }
          let instance = try makeInstance("1x\(d) conv(\(m),k=\(k)) dense(1)", samples: d, seed: UInt64(d * 100 + k * 10 + m),
                                          range: 1_000_000, inputs: identity)
          #expect(NetworkVariables.rho(instance) == min(m * (d - k + 1), d), "d=\(d) k=\(k) m=\(m)")
        }
      }
    }
  }

  /// 2-D: commuting kernels make rank T^V smaller than min(m d′, d). For m = 2 the commuting
  /// relations v₂ * v₁ = v₁ * v₂ give (h′−kh+1)₊(w′−kw+1)₊ independent left-kernel vectors
  /// (rank 17, not 18, for a 5×5 input, 3×3 kernels); for m = 3 the alternating Koszul count
  /// Σ_i (−1)^{i+1} C(m,i) (h′−(i−1)(kh−1))₊ (w′−(i−1)(kw−1))₊ (observed, capped at d).
  @Test func toeplitzRank2D() throws {
    let cases: [(h: Int, w: Int, kh: Int, kw: Int, m: Int)] = [(5, 5, 3, 3, 2), (6, 6, 3, 3, 2), (7, 7, 3, 2, 2), (6, 5, 2, 2, 3),
                                                                (5, 5, 2, 2, 3), (8, 8, 3, 3, 3), (7, 6, 2, 3, 3)]
    for c in cases {
      let d = c.h * c.w
      let identity = (0..<d).map { i in (0..<d).map { Rational($0 == i ? 1 : 0) } }
      let instance = try makeInstance("1x\(c.h)x\(c.w) conv(\(c.m),k=\(c.kh)x\(c.kw)) dense(1)", samples: d, seed: 3,
                                      range: 1_000_000, inputs: identity)
      let hp = c.h - c.kh + 1, wp = c.w - c.kw + 1
      var koszul = 0
      var binomial = 1
      for i in 1...c.m {
        binomial = binomial * (c.m - i + 1) / i
        let term = binomial * max(0, hp - (i - 1) * (c.kh - 1)) * max(0, wp - (i - 1) * (c.kw - 1))
        koszul += i % 2 == 1 ? term : -term
      }
      #expect(NetworkVariables.rho(instance) == min(d, koszul), "\(c)")
    }
    let v = variables(try makeInstance("1x5x5 conv(2,k=3) dense(2)", samples: 100))
    #expect(v.int("rho") == 17 && v.int("r") == 25 && v.int("dp") == 9)
  }

  /// r_c < r when a stride skips inputs; r̂ > r̃ = min(k̃, r) when patches at several positions span more.
  @Test func readDataRankAndPatchRank() throws {
    let skip = variables(try makeInstance("1x12 conv(4,k=11,s=2) dense(1)", samples: 20))
    #expect(skip.int("r") == 12 && skip.int("rc") == 11)
    let wide = variables(try makeInstance("4x6 conv(1,k=5) dense(3)", samples: 10))
    #expect(wide.int("r") == 10 && wide.int("rt") == 10 && wide.int("rhat") == 20 && wide.int("rho") == 2)
    #expect(wide.int("r1") == 10)
  }
}
