import Foundation
import ConvNet
import Exact
import ExactLinearAlgebra
import HessianReference
import Testing
@testable import Hessian

/// The BLAS Gram product is exact integer arithmetic: it agrees with JᵀJ computed in the field,
/// including on the largest residues (where the delayed sums come closest to 2^53).
@Suite struct GramProductTests {
  @Test(arguments: [(1, 1), (31, 7), (32, 5), (95, 40), (200, 3)] as [(Int, Int)])
  func agreesWithFieldArithmetic(rows: Int, cols: Int) {
    let p = ModularRank.randomPrimes(count: 1, seed: UInt64(rows * 1000 + cols))[0]
    let field = MontgomeryField(prime: p)
    var rng = SeededRandom(seed: UInt64(rows + cols))
    // Half the entries at the extremes ±(p−1)/2, the rest random.
    let storage = (0..<(rows * cols)).map { i -> UInt64 in
      let r: UInt64 = i % 2 == 0 ? (i % 4 == 0 ? (p - 1) / 2 : (p + 1) / 2) : rng.next(in: 0...(p - 1))
      return field.fromResidue(r)
    }
    let j = ScalarMatrix(rows: rows, cols: cols, storage: storage)
    let gram = GramProduct.gram(j, field: field)
    for a in 0..<cols {
      for c in 0..<cols {
        var s = field.zero
        for r in 0..<rows { s = field.add(s, field.multiply(j[r, a], j[r, c])) }
        #expect(gram[a * cols + c] == field.residue(s), "(\(a), \(c))")
      }
    }
  }
}

/// The magnitude ring bounds every entry of the exact matrices from above.
@Suite struct MagnitudeBoundTests {
  @Test func boundsDominateExactEntries() throws {
    var rng = SeededRandom(seed: 31)
    var checked = 0
    while checked < 10 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 60, allowNonlinear: true)
      let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 3, seed: rng.next() % 100))
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      guard let bounds = try? HessianBuilder(instance: instance, pattern: pattern, ring: MagnitudeRing()) else { continue }
      let exact = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      for kind in [HessianKind.functional, .loss] {
        let e = exact.scaled(kind), b = bounds.scaled(kind)
        for (x, bound) in zip(e.storage, b.storage) { #expect(x.magnitude <= Rational(BigInt(bound))) }
      }
      checked += 1
    }
    #expect(ModularFailureBound.hadamardBits(rows: 4, cols: 9, maxEntry: 3) == 4 * (2 + 2))
  }

  /// The log2 bounds dominate every exact entry at the wide default range (where the word
  /// bounds saturate), and at range 5 they are within a bit of the word bounds.
  @Test(arguments: [5, InstanceSettings.wideDefaultRange])
  func logBoundsDominateExactEntries(range: Int) throws {
    var rng = SeededRandom(seed: 43)
    var checked = 0
    while checked < 8 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 60, allowNonlinear: true)
      let settings = InstanceSettings(samples: 3, seed: rng.next() % 100, range: range)
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      guard let logs = try? HessianBuilder(instance: instance, pattern: pattern, ring: LogMagnitudeRing()) else { continue }
      let words = try HessianBuilder(instance: instance, pattern: pattern, ring: MagnitudeRing())
      let exact = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      for kind in [HessianKind.functional, .loss] {
        let e = exact.scaled(kind), b = logs.scaled(kind), w = words.scaled(kind)
        for ((x, bound), word) in zip(zip(e.storage, b.storage), w.storage) {
          #expect(x.isInteger)
          let bits = x.numerator.magnitude.bitWidth   // 2^(bits−1) ≤ |x| < 2^bits
          if bits == 0 { continue }
          #expect(Double(bits - 1) <= bound, "|x| ≥ 2^\(bits - 1) but the bound is 2^\(bound)")
          if word != .max, word > 0 { #expect(bound <= log2(Double(word)) + 1, "no looser than the word bound") }
        }
      }
      checked += 1
    }
    #expect(ModularFailureBound.hadamardBits(rows: 4, cols: 9, maxEntryLog2: log2(3)) == 4 * (2 + 2))
  }
}

/// The exact matrices by two constructions: over Z with the word-size Gram product (integer
/// instances) or through one common denominator (rational instances), against the builder's
/// own products over Q.
@Suite struct ExactMatrixTests {
  @Test func integerPathMatchesRationalBuilder() throws {
    var rng = SeededRandom(seed: 77)
    for _ in 0..<8 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 50, allowNonlinear: true)
      let instance = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: 4, seed: rng.next() % 1000))
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      let fast = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: HessianKind.allCases)
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let jac = builder.jacobian()
      let hf = builder.functionalScaled()
      let hl = RationalRing().sum(builder.outerScaled(jacobian: jac), hf)
      #expect(fast[.outer] == IntegerMatrix(rationalRows: jac.nestedRows), "\(arch)")
      #expect(fast[.functional] == IntegerMatrix(rationalRows: hf.nestedRows), "\(arch)")
      #expect(fast[.loss] == IntegerMatrix(rationalRows: hl.nestedRows), "\(arch)")
    }
  }

  @Test func rationalGramMatchesProductInFractions() throws {
    var rng = SeededRandom(seed: 78)
    for _ in 0..<6 {
      let arch = RandomArchitectures.make(&rng, maxParameters: 40, allowNonlinear: true)
      let settings = InstanceSettings(samples: 3, seed: rng.next() % 1000, maxDenominator: 9)
      let instance = try NetworkInstance(architecture: arch, settings: settings)
      guard let pattern = try? instance.activationPattern().pattern else { continue }
      let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
      let jac = builder.jacobian()
      #expect(HessianRanks.rationalGram(jac).storage == builder.outerScaled(jacobian: jac).storage, "\(arch)")
    }
  }
}
