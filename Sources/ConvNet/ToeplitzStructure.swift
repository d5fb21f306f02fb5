import Exact

/// The symbolic (block, doubly block) Toeplitz structure of a parametric layer.
///
/// A conv or dense layer is the affine map z = T(θ) x + b(θ) whose matrix entries are either
/// 0 or one parameter. This stores exactly that: for every nonzero position (row a, column b)
/// the index j(a, b) of its parameter (local to the layer, PyTorch layout), and per row the index
/// of its bias parameter. Everything else derives from this one index map, with no special
/// case per layer kind:
///
/// * `T(θ)`, the evaluated matrix (`matrix(theta:in:)`);
/// * the patch (im2col) matrix `Z(x)` with T(θ)x + b = Z(x)θ (`patchMatrix(input:in:)`);
/// * the transposed patch `Y(g)` with gᵀT(θ) = θᵀY(g) (`transposedPatch(_:in:)`; bias rows 0).
///
/// Entries are kept in CSR order by row.
public struct ToeplitzStructure: Sendable, Equatable {
  /// Output size (rows of T).
  public let rows: Int
  /// Input size (columns of T).
  public let cols: Int
  /// Number of weights (local parameters 0..<weightCount).
  public let weightCount: Int
  /// Number of biases (local parameters weightCount..<weightCount + biasCount).
  public let biasCount: Int
  /// CSR row starts: entries of row a are rowStart[a]..<rowStart[a+1].
  public let rowStart: [Int]
  /// Column of each entry.
  public let column: [Int]
  /// Local parameter index of each entry.
  public let parameter: [Int]
  /// Local bias parameter of each row, or −1 when the layer has no bias.
  public let biasOfRow: [Int]

  /// All local parameters: weights then biases.
  public var parameterCount: Int { weightCount + biasCount }
  /// Number of nonzero positions of T.
  public var nonzeroCount: Int { column.count }

  /// Builds the structure of a conv layer on an input shape (1-D or 2-D).
  public init(conv c: ConvLayer, input: TensorShape, output: TensorShape) {
    let dims = input.spatial.count
    let cin = input.channels
    // Normalise 1-D to 2-D with height 1 so one loop serves both.
    let (ih, iw) = dims == 2 ? (input.spatial[0], input.spatial[1]) : (1, input.spatial[0])
    let (oh, ow) = dims == 2 ? (output.spatial[0], output.spatial[1]) : (1, output.spatial[0])
    let (kh, kw) = dims == 2 ? (c.kernel[0], c.kernel[1]) : (1, c.kernel[0])
    let (sh, sw) = dims == 2 ? (c.stride[0], c.stride[1]) : (1, c.stride[0])
    let (ph, pw) = dims == 2 ? (c.padding[0], c.padding[1]) : (0, c.padding[0])
    let (dh, dw) = dims == 2 ? (c.dilation[0], c.dilation[1]) : (1, c.dilation[0])
    var rowStart = [0]
    var column: [Int] = []
    var parameter: [Int] = []
    var biasOfRow: [Int] = []
    let weights = c.outChannels * cin * kh * kw
    for o in 0..<c.outChannels {
      for y in 0..<oh {
        for x in 0..<ow {
          for ch in 0..<cin {
            for i in 0..<kh {
              let yy = y * sh + i * dh - ph
              if yy < 0 || yy >= ih { continue }
              for j in 0..<kw {
                let xx = x * sw + j * dw - pw
                if xx < 0 || xx >= iw { continue }
                column.append((ch * ih + yy) * iw + xx)
                parameter.append(((o * cin + ch) * kh + i) * kw + j)
              }
            }
          }
          rowStart.append(column.count)
          biasOfRow.append(c.bias ? weights + o : -1)
        }
      }
    }
    self.rows = output.count
    self.cols = input.count
    self.weightCount = weights
    self.biasCount = c.bias ? c.outChannels : 0
    self.rowStart = rowStart
    self.column = column
    self.parameter = parameter
    self.biasOfRow = biasOfRow
  }

  /// Builds the structure of a dense layer on a flattened input of size `inputs`.
  public init(dense d: DenseLayer, inputs: Int) {
    rows = d.outputs
    cols = inputs
    weightCount = d.outputs * inputs
    biasCount = d.bias ? d.outputs : 0
    rowStart = (0...d.outputs).map { $0 * inputs }
    column = (0..<(d.outputs * inputs)).map { $0 % inputs }
    parameter = Array(0..<(d.outputs * inputs))
    biasOfRow = (0..<d.outputs).map { d.bias ? d.outputs * inputs + $0 : -1 }
  }

  // MARK: Evaluation over any ring

  /// z = T(θ) x + b(θ) for the layer's local parameters θ.
  @inlinable
  public func apply<R: ScalarRing>(theta: ArraySlice<R.Element>, to x: [R.Element], in ring: R) -> [R.Element] {
    let base = theta.startIndex
    var z = [R.Element]()
    z.reserveCapacity(rows)
    for a in 0..<rows {
      var s = biasOfRow[a] >= 0 ? theta[base + biasOfRow[a]] : ring.zero
      for e in rowStart[a]..<rowStart[a + 1] {
        s = ring.add(s, ring.multiply(theta[base + parameter[e]], x[column[e]]))
      }
      z.append(s)
    }
    return z
  }

  /// gᵀ T(θ) (a row vector over the inputs): the backward pass through the layer.
  @inlinable
  public func applyTransposed<R: ScalarRing>(theta: ArraySlice<R.Element>, to g: [R.Element], in ring: R) -> [R.Element] {
    let base = theta.startIndex
    var out = [R.Element](repeating: ring.zero, count: cols)
    for a in 0..<rows where !ring.isZero(g[a]) {
      for e in rowStart[a]..<rowStart[a + 1] {
        out[column[e]] = ring.add(out[column[e]], ring.multiply(g[a], theta[base + parameter[e]]))
      }
    }
    return out
  }

  /// The evaluated matrix T(θ) (rows × cols; biases are not part of T).
  public func matrix<R: ScalarRing>(theta: ArraySlice<R.Element>, in ring: R) -> ScalarMatrix<R.Element> {
    var t = ring.zeroMatrix(rows: rows, cols: cols)
    for a in 0..<rows {
      for e in rowStart[a]..<rowStart[a + 1] {
        t[a, column[e]] = ring.add(t[a, column[e]], theta[theta.startIndex + parameter[e]])
      }
    }
    return t
  }

  /// The patch matrix Z(x) (rows × parameterCount) with T(θ)x + b(θ) = Z(x)θ.
  public func patchMatrix<R: ScalarRing>(input x: [R.Element], in ring: R) -> ScalarMatrix<R.Element> {
    var z = ring.zeroMatrix(rows: rows, cols: parameterCount)
    for a in 0..<rows {
      for e in rowStart[a]..<rowStart[a + 1] {
        z[a, parameter[e]] = ring.add(z[a, parameter[e]], x[column[e]])
      }
      if biasOfRow[a] >= 0 { z[a, biasOfRow[a]] = ring.one }
    }
    return z
  }

  /// The transposed patch Y(g) (parameterCount × cols) with gᵀT(θ) = θᵀY(g); bias rows are 0.
  public func transposedPatch<R: ScalarRing>(_ g: [R.Element], in ring: R) -> ScalarMatrix<R.Element> {
    var y = ring.zeroMatrix(rows: parameterCount, cols: cols)
    for a in 0..<rows {
      for e in rowStart[a]..<rowStart[a + 1] {
        y[parameter[e], column[e]] = ring.add(y[parameter[e], column[e]], g[a])
      }
    }
    return y
  }
}

/// A fixed (parameter-free) linear map with rational coefficients, such as average pooling.
public struct FixedLinearMap: Sendable, Equatable {
  /// Output size.
  public let rows: Int
  /// Input size.
  public let cols: Int
  /// CSR row starts.
  public let rowStart: [Int]
  /// Column of each entry.
  public let column: [Int]
  /// Coefficient of each entry.
  public let coefficient: [Rational]

  /// Average pooling per channel (1-D or 2-D): each output is the mean of its window.
  public init(avgPool pl: AvgPoolLayer, input: TensorShape, output: TensorShape) {
    let weight = Rational(1, pl.kernel.reduce(1, *))
    (rowStart, column) = PoolingWindows.layout(kernel: pl.kernel, stride: pl.stride, input: input, output: output)
    rows = output.count
    cols = input.count
    coefficient = Array(repeating: weight, count: column.count)
  }

  /// The map's coefficients in a ring (throws when a coefficient has no image, e.g. p | window).
  public func coefficients<R: ScalarRing>(in ring: R) throws -> [R.Element] {
    try coefficient.map { try ring.element($0) }
  }

  /// A x, with coefficients already mapped into the ring.
  @inlinable
  public func apply<R: ScalarRing>(_ coeffs: [R.Element], to x: [R.Element], in ring: R) -> [R.Element] {
    (0..<rows).map { a in
      var s = ring.zero
      for e in rowStart[a]..<rowStart[a + 1] { s = ring.add(s, ring.multiply(coeffs[e], x[column[e]])) }
      return s
    }
  }

  /// gᵀ A, with coefficients already mapped into the ring.
  @inlinable
  public func applyTransposed<R: ScalarRing>(_ coeffs: [R.Element], to g: [R.Element], in ring: R) -> [R.Element] {
    var out = [R.Element](repeating: ring.zero, count: cols)
    for a in 0..<rows where !ring.isZero(g[a]) {
      for e in rowStart[a]..<rowStart[a + 1] {
        out[column[e]] = ring.add(out[column[e]], ring.multiply(g[a], coeffs[e]))
      }
    }
    return out
  }
}
