import ConvNet
import Exact
@testable import Hessian

/// Builds an architecture in code (the string parser lives elsewhere).
func fc(_ d: Int, _ widths: [Int], bias: Bool = false) -> Architecture {
  Architecture(input: InputSpec(shape: TensorShape(channels: 1, spatial: [d]), form: .vector),
               layers: widths.map { .dense(DenseLayer(outputs: $0, bias: bias)) })
}

func conv1d(c0: Int, d: Int, _ layers: [Layer]) -> Architecture {
  Architecture(input: InputSpec(shape: TensorShape(channels: c0, spatial: [d]), form: .signal), layers: layers)
}

/// Rank of a matrix over a prime field by plain elimination (test-side cross-check only).
func rankModP(_ m: ScalarMatrix<UInt64>, _ f: PrimeField) -> Int {
  var a = m.storage
  let rows = m.rows, cols = m.cols
  var r = 0
  for c in 0..<cols where r < rows {
    guard let piv = (r..<rows).first(where: { a[$0 * cols + c] != 0 }) else { continue }
    if piv != r { for j in 0..<cols { a.swapAt(piv * cols + j, r * cols + j) } }
    let inv = f.inverse(a[r * cols + c])!
    for i in (r + 1)..<rows where a[i * cols + c] != 0 {
      let factor = f.multiply(a[i * cols + c], inv)
      for j in c..<cols { a[i * cols + j] = f.subtract(a[i * cols + j], f.multiply(factor, a[r * cols + j])) }
    }
    r += 1
  }
  return r
}

struct Ranks: Equatable, CustomStringConvertible {
  var outer: Int, functional: Int, loss: Int
  var description: String { "H_o \(outer), H_f \(functional), H_L \(loss)" }
}

func ranksModP(_ arch: Architecture, samples: Int, seed: UInt64 = 1, prime: UInt64 = 2_305_843_009_213_693_951) throws -> Ranks {
  let inst = try NetworkInstance(architecture: arch, settings: InstanceSettings(samples: samples, seed: seed))
  let (pattern, _) = try inst.activationPattern()
  let f = PrimeField(unchecked: prime)
  let b = try HessianBuilder(instance: inst, pattern: pattern, ring: f)
  let j = b.jacobian()
  let ho = b.outerScaled(jacobian: j)
  let hf = b.functionalScaled()
  return Ranks(outer: rankModP(j, f), functional: rankModP(hf, f), loss: rankModP(f.sum(ho, hf), f))
}
