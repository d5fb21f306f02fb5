import Exact

/// A tensor read from a `.npy` or `.safetensors` file: its shape, its values converted
/// exactly to `Double` in C (row-major) order, and the element type it was stored as.
///
/// Every supported element type is exactly representable as a double (float16, bfloat16 and
/// float32 widen exactly; integers up to 2^53 in magnitude — the readers reject larger ones),
/// so `values` carries the stored numbers without rounding, and `exactValues()` gives the
/// dyadic rationals they are.
public struct FloatTensor: Sendable, Equatable {
  /// The tensor's name: the file stem for `.npy`, the header key for `.safetensors`.
  public var name: String
  /// Sizes per dimension; `[]` for a 0-d (scalar) tensor.
  public var shape: [Int]
  /// The elements in C order (last index fastest), converted exactly.
  public var values: [Double]
  /// The element type in the file.
  public var dtype: TensorDType

  /// A tensor; `values.count` must equal the product of `shape`.
  public init(name: String, shape: [Int], values: [Double], dtype: TensorDType) {
    precondition(shape.allSatisfy { $0 >= 0 } && values.count == shape.reduce(1, *),
                 "FloatTensor: \(values.count) values do not fill shape \(shape)")
    self.name = name
    self.shape = shape
    self.values = values
    self.dtype = dtype
  }

  /// Number of elements (1 for a 0-d tensor).
  public var count: Int { values.count }

  /// "(2, 3)" as NumPy prints shapes.
  public var shapeDescription: String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  /// The multi-index (C order) of the element at flat position `flat`.
  public func index(ofFlat flat: Int) -> [Int] { ElementBuffer.cIndex(flat, shape: shape) }

  /// Throws `TensorFileError.nonFinite` naming the first NaN or infinity, if any.
  public func checkFinite() throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
      throw TensorFileError.nonFinite(tensor: name, index: index(ofFlat: i), value: values[i])
    }
  }

  /// The exact rational value of every element, in C order (via `Rational(exactly:)`).
  /// Throws `TensorFileError.nonFinite` naming the tensor and index of a NaN or infinity.
  public func exactValues() throws -> [Rational] {
    try checkFinite()
    var out: [Rational] = []
    out.reserveCapacity(values.count)
    for v in values { out.append(try Rational(exactly: v)) }
    return out
  }

  /// The exact value of one element (C-order flat position).
  public func exactValue(at flat: Int) throws -> Rational {
    let v = values[flat]
    guard v.isFinite else { throw TensorFileError.nonFinite(tensor: name, index: index(ofFlat: flat), value: v) }
    return try Rational(exactly: v)
  }
}
