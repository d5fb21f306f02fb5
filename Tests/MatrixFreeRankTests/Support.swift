import ConvNet
import Exact
import ExactLinearAlgebra

/// Dense residue matrices for the comparisons.
enum ModularMatrixBox {
  static func make(_ m: ScalarMatrix<UInt64>, prime: UInt64) -> ModularMatrix {
    var out = ModularMatrix(rows: m.rows, cols: m.cols, field: PrimeField(unchecked: prime))
    out.withUnsafeMutableBufferPointer { buf in for i in m.storage.indices { buf[i] = m.storage[i] } }
    return out
  }
}
