import ConvNet
import Exact
import FloatCheck

/// Writes exact matrices as float64 `.npy` for NumPy, PyTorch or JAX.
enum NumpyExport {
  /// Writes `matrix` (C order, shape (rows, cols)) with each entry the double nearest to its
  /// exact value (ties to even), atomically. An entry beyond the double range is an error.
  static func write(_ matrix: ScalarMatrix<Rational>, to path: String) throws {
    var values: [Double] = []
    values.reserveCapacity(matrix.storage.count)
    for (k, q) in matrix.storage.enumerated() {
      let d = Double(nearest: q)
      guard d.isFinite else {
        throw CLIError("entry (\(k / matrix.cols), \(k % matrix.cols)) of the matrix exceeds the float64 range; use a .txt path for the exact values")
      }
      values.append(d)
    }
    do {
      try NumpyFile.write(values: values, shape: [matrix.rows, matrix.cols], to: path)
    } catch {
      throw CLIError("\(error)")
    }
  }
}
