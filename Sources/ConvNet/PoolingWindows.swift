/// The windows of a max-pooling layer: for every output position, the input positions it takes
/// the largest of (per channel, no padding, floor mode, PyTorch's order within a window).
///
/// At a point the layer is the 0/1 matrix S with S[a, s_a] = 1 for the selected input s_a of
/// each window; the selection is part of the activation pattern (`ActivationPattern.selected`).
public struct PoolingWindows: Sendable, Equatable {
  /// Output size.
  public let rows: Int
  /// Input size.
  public let cols: Int
  /// CSR row starts: the candidates of output a are rowStart[a]..<rowStart[a+1].
  public let rowStart: [Int]
  /// Input position of each candidate.
  public let column: [Int]

  /// The windows of max pooling on `input` (1-D or 2-D), giving `output`.
  public init(maxPool pl: MaxPoolLayer, input: TensorShape, output: TensorShape) {
    (rowStart, column) = Self.layout(kernel: pl.kernel, stride: pl.stride, input: input, output: output)
    rows = output.count
    cols = input.count
  }

  /// The pooling windows of a k × s layout on `input` giving `output` (1-D or 2-D, per channel,
  /// no padding), in CSR form: output a reads input positions column[rowStart[a]..<rowStart[a+1]],
  /// in PyTorch's order within a window. Shared by max pooling and average pooling.
  static func layout(kernel: [Int], stride: [Int], input: TensorShape, output: TensorShape) -> (rowStart: [Int], column: [Int]) {
    let dims = input.spatial.count
    let (ih, iw) = dims == 2 ? (input.spatial[0], input.spatial[1]) : (1, input.spatial[0])
    let (oh, ow) = dims == 2 ? (output.spatial[0], output.spatial[1]) : (1, output.spatial[0])
    let (kh, kw) = dims == 2 ? (kernel[0], kernel[1]) : (1, kernel[0])
    let (sh, sw) = dims == 2 ? (stride[0], stride[1]) : (1, stride[0])
    var rowStart = [0]
    var column: [Int] = []
    for ch in 0..<input.channels {
      for y in 0..<oh {
        for x in 0..<ow {
          for i in 0..<kh {
            for j in 0..<kw { column.append((ch * ih + y * sh + i) * iw + x * sw + j) }
          }
          rowStart.append(column.count)
        }
      }
    }
    return (rowStart, column)
  }

  /// The candidates (input positions) of output `a`.
  @inlinable public func candidates(_ a: Int) -> ArraySlice<Int> { column[rowStart[a]..<rowStart[a + 1]] }
}
