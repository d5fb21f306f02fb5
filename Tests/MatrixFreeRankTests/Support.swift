import ConvNet
import Exact
import ExactLinearAlgebra
@testable import MatrixFreeRank

/// Dense residue matrices for the comparisons.
enum ModularMatrixBox {
  static func make(_ m: ScalarMatrix<UInt64>, prime: UInt64) -> ModularMatrix {
    var out = ModularMatrix(rows: m.rows, cols: m.cols, field: PrimeField(unchecked: prime))
    out.withUnsafeMutableBufferPointer { buf in for i in m.storage.indices { buf[i] = m.storage[i] } }
    return out
  }
}

/// Arbitrary probabilities π modulo P (the algebra does not need Σπ = 1) and one-hot targets y
/// for n samples of K outputs, from a fixed seed: the cross-entropy comparisons' loss side.
func arbitraryCrossEntropy(samples n: Int, outputs k: Int, prime: UInt64) -> (pi: [[UInt64]], y: [[UInt64]], loss: CrossEntropySketchLoss) {
  var rng = SeededRandom(seed: 5)
  let pi = (0..<n).map { _ in (0..<k).map { _ in rng.next(in: 1...(prime - 1)) } }
  let y = (0..<n).map { i in (0..<k).map { c in UInt64(c == i % k ? 1 : 0) } }
  return (pi, y, CrossEntropySketchLoss(probabilities: pi, targets: y))
}
