import ConvNet
import Exact

/// Writes exact matrices as float64 `.npy` (filled in when FloatCheck lands).
enum NumpyExport {
  static func write(_ matrix: ScalarMatrix<Rational>, to path: String) throws {
    throw CLIError(".npy export is not available in this build; use a .txt path")
  }
}
