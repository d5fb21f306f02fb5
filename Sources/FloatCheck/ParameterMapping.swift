import Exact

/// A parameter tensor an architecture expects: its PyTorch `state_dict` name and shape.
public struct TensorSpec: Sendable, Hashable {
  /// `<layer index>.weight` or `<layer index>.bias`.
  public var name: String
  /// The PyTorch layout: conv `[out, in, k]` / `[out, in, kh, kw]`, dense `[out, in]`, bias `[out]`.
  public var shape: [Int]

  /// A named shape.
  public init(name: String, shape: [Int]) {
    self.name = name
    self.shape = shape
  }
}

/// Mismatches between the tensors in a file and what an architecture expects.
public enum TensorMappingError: Error, Equatable, CustomStringConvertible {
  /// An expected parameter is absent.
  case missing(name: String, shape: [Int], available: [String])
  /// A tensor has the wrong shape.
  case wrongShape(name: String, expected: [Int], actual: [Int])
  /// Tensors that are no parameter of the architecture.
  case unexpected(names: [String])
  /// A data tensor whose shape is not (n, sample shape…).
  case wrongSampleShape(name: String, expected: [[Int]], actual: [Int])

  /// One line for the user.
  public var description: String {
    func shape(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + (s.count == 1 ? ",)" : ")") }
    switch self {
    case .missing(let n, let s, let available):
      let have = available.isEmpty ? "no tensors" : available.sorted().joined(separator: ", ")
      return "no tensor '\(n)' of shape \(shape(s)) among the weights (found: \(have)); names are <layer index>.weight/.bias, counting the layers after the input from 0"
    case .wrongShape(let n, let e, let a):
      return "tensor '\(n)' has shape \(shape(a)) but the architecture needs \(shape(e))"
    case .unexpected(let names):
      return "tensors \(names.sorted().joined(separator: ", ")) are not parameters of this architecture"
    case .wrongSampleShape(let n, let e, let a):
      return "tensor '\(n)' has shape \(shape(a)); expected (n, \(e.map { $0.map(String.init).joined(separator: ", ") }.joined(separator: ") or (n, ")))"
    }
  }
}

/// Mapping tensors read from files onto an architecture's parameters and data.
public enum ParameterMapping {
  /// The exact parameter vector θ: the tensors named in `layout`, in that order, each in C
  /// order, checked for presence and shape. Tensors not in `layout` are an error unless
  /// `allowExtra` (a checkpoint may carry buffers or optimizer state).
  public static func exactParameters(_ tensors: [String: FloatTensor], layout: [TensorSpec],
                                     allowExtra: Bool = false) throws -> [Rational] {
    var theta: [Rational] = []
    for spec in layout {
      guard let t = tensors[spec.name] else {
        throw TensorMappingError.missing(name: spec.name, shape: spec.shape, available: tensors.keys.sorted())
      }
      guard t.shape == spec.shape else {
        throw TensorMappingError.wrongShape(name: spec.name, expected: spec.shape, actual: t.shape)
      }
      theta += try t.exactValues()
    }
    if !allowExtra {
      let extra = Set(tensors.keys).subtracting(layout.map(\.name))
      if !extra.isEmpty { throw TensorMappingError.unexpected(names: extra.sorted()) }
    }
    return theta
  }

  /// Samples stacked along the first axis: the tensor's shape must be [n] + one of
  /// `sampleShapes` (pass both [1, D] and [D] for a vector input, which PyTorch code stores
  /// either way). Returns n and the exact values in C order — sample by sample, each
  /// flattened channel-major.
  public static func exactSamples(_ tensor: FloatTensor, sampleShapes: [[Int]]) throws -> (count: Int, values: [Rational]) {
    guard let n = tensor.shape.first, sampleShapes.contains(Array(tensor.shape.dropFirst())) else {
      throw TensorMappingError.wrongSampleShape(name: tensor.name, expected: sampleShapes, actual: tensor.shape)
    }
    return (n, try tensor.exactValues())
  }
}
