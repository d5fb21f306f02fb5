import ConvNet
import Exact
import FloatCheck

/// Input that cannot be verified: each case is one line for the user.
public enum FloatVerificationError: Error, Equatable, CustomStringConvertible {
  /// X and Y hold different numbers of samples.
  case sampleCountMismatch(inputs: Int, targets: Int)
  /// No samples, or more than the project's limit.
  case sampleCount(Int, limit: Int)
  /// A data file holds several tensors where one is expected.
  case notOneTensor(file: String, names: [String])
  /// The float Hessian is not p × p.
  case hessianShape(file: String, shape: [Int], parameters: Int)
  /// The float Hessian is stored in a type with no LAPACK routines or no float rule.
  case hessianDType(file: String, dtype: String)
  /// A ReLU or leaky-ReLU pre-activation is exactly 0 at the given weights and data.
  case nonDifferentiable(layer: Int, sample: Int, position: Int)
  /// The architecture or the values do not make an instance.
  case invalidInstance(String)
  /// The exact matrices would not fit the memory budget.
  case tooLarge(parameters: Int, bytes: Int, budget: Int)
  /// A claimed rank outside 0...p.
  case claimedRankOutOfRange(Int, parameters: Int)
  /// A reduction the loss does not have (the elementwise ones are MSE's).
  case reductionForLoss(String, loss: String)
  /// An expected tensor is missing, but another, unexpected one has its shape: most often
  /// PyTorch's layer indices shifted by an explicit `nn.Flatten()`.
  case misnamedTensor(expected: String, found: String, shape: [Int])

  /// One line for the user.
  public var description: String {
    switch self {
    case .sampleCountMismatch(let x, let y):
      return "the inputs hold \(x) samples but the targets \(y); they must match"
    case .sampleCount(let n, let limit):
      return "the data hold \(n) samples; between 1 and \(limit) are supported"
    case .notOneTensor(let f, let names):
      return "\(f): expected one tensor, found \(names.count) (\(names.sorted().joined(separator: ", ")))"
    case .hessianShape(let f, let shape, let p):
      return "\(f): the float Hessian has shape (\(shape.map(String.init).joined(separator: ", "))) but the network has p = \(p) parameters, so it must be (\(p), \(p))"
    case .hessianDType(let f, let d):
      return "\(f): the float Hessian is stored as \(d); float32 or float64 is needed"
    case .nonDifferentiable(let layer, let sample, let position):
      return "non-differentiable point: the pre-activation of layer \(layer) (sample \(sample), position \(position)) is exactly 0 at these weights and data, where the activation has a kink; the Hessian does not exist there"
    case .invalidInstance(let why):
      return why
    case .tooLarge(let p, let bytes, let budget):
      return "the exact p × p matrices for p = \(p) need about \(bytes >> 20) MiB (budget \(budget >> 20) MiB)"
    case .claimedRankOutOfRange(let r, let p):
      return "the claimed rank \(r) is outside 0...\(p)"
    case .reductionForLoss(let r, let loss):
      return "--reduction \(r) is defined for MSE only (an elementwise mean or sum of squares); \(loss) takes mean or sum"
    case .misnamedTensor(let expected, let found, let shape):
      return "no tensor '\(expected)' among the weights, but '\(found)' has its shape (\(shape.map(String.init).joined(separator: ", "))); hessrank counts the layers of the architecture string from 0 with the flatten implicit, so an nn.Flatten() in PyTorch shifts later indices: rename '\(found)' to '\(expected)'"
    }
  }
}

/// Float tensors from a PyTorch, JAX or NumPy program, read as the exact rationals they are
/// and laid out as an architecture's weights θ, inputs X and targets Y.
///
/// Every finite float is a dyadic rational, so the instance is exactly the point the float
/// program evaluated, not an approximation of it.
public enum FloatNetworkData {
  /// The parameter tensors `architecture` expects (PyTorch `state_dict` names and shapes).
  public static func layout(of architecture: Architecture) throws -> [TensorSpec] {
    do {
      return try architecture.parameterTensors().map { TensorSpec(name: $0.name, shape: $0.shape) }
    } catch {
      throw FloatVerificationError.invalidInstance("\(error)")
    }
  }

  /// The shapes one input sample may have: `[C] + spatial` (PyTorch's layout), `spatial` alone
  /// when there is one channel, and the flattened `[C·positions]`. All three flatten, in C
  /// order, to the channel-major vector the network reads.
  public static func inputSampleShapes(of architecture: Architecture) -> [[Int]] {
    let shape = architecture.input.shape
    var shapes = [[shape.channels] + shape.spatial]
    if shape.channels == 1 { shapes.append(shape.spatial) }
    shapes.append([shape.count])
    var unique: [[Int]] = []
    for s in shapes where !unique.contains(s) { unique.append(s) }
    return unique
  }

  /// The shapes one target sample may have: `[K]`, or `[]` (Y of shape (n,)) when K = 1.
  public static func targetSampleShapes(outputs k: Int) -> [[Int]] {
    k == 1 ? [[1], []] : [[k]]
  }

  /// Exact instance settings from float tensors: θ from `weights` (by name and shape; other
  /// tensors are an error unless `allowExtraTensors`), X from `inputs` (n × input shape) and
  /// Y from `targets` (n × K). NaN and infinity are errors naming the tensor and index.
  /// With `targetsAreLabels`, `targets` holds class indices (shape (n,)) read as one-hot rows.
  public static func settings(architecture: Architecture, weights: [String: FloatTensor], inputs: FloatTensor,
                              targets: FloatTensor, targetsAreLabels: Bool = false,
                              allowExtraTensors: Bool = false) throws -> InstanceSettings {
    let plan: NetworkPlan
    do {
      plan = try NetworkPlan(architecture)
    } catch {
      throw FloatVerificationError.invalidInstance("\(error)")
    }
    let specs = try layout(of: architecture)
    let theta: [Rational]
    do {
      theta = try ParameterMapping.exactParameters(weights, layout: specs, allowExtra: allowExtraTensors)
    } catch TensorMappingError.missing(let name, let shape, _) {
      let expected = Set(specs.map(\.name))
      if let other = weights.values.filter({ !expected.contains($0.name) && $0.shape == shape }).map(\.name).sorted().first {
        throw FloatVerificationError.misnamedTensor(expected: name, found: other, shape: shape)
      }
      throw TensorMappingError.missing(name: name, shape: shape, available: weights.keys.sorted())
    }
    let k = plan.outputSize
    let x = try ParameterMapping.exactSamples(inputs, sampleShapes: inputSampleShapes(of: architecture))
    let y: (count: Int, values: [Rational])
    if targetsAreLabels {
      let rows = try oneHotRows(labels: targets, path: targets.name, classes: k)
      y = (rows.count, rows.flatMap { $0 })
    } else {
      y = try ParameterMapping.exactSamples(targets, sampleShapes: targetSampleShapes(outputs: k))
    }
    guard x.count == y.count else { throw FloatVerificationError.sampleCountMismatch(inputs: x.count, targets: y.count) }
    guard (1...NetworkConfig.maxSamples).contains(x.count) else {
      throw FloatVerificationError.sampleCount(x.count, limit: NetworkConfig.maxSamples)
    }
    let d = plan.inputSize
    let rows = (0..<x.count).map { Array(x.values[($0 * d)..<(($0 + 1) * d)]) }
    let targetRows = (0..<y.count).map { Array(y.values[($0 * k)..<(($0 + 1) * k)]) }
    return InstanceSettings(samples: x.count, weights: theta, inputs: rows, targetValues: targetRows)
  }

  /// One-hot rows from class indices 0..<K (any dtype holding whole numbers), shape (n,) or (n, 1).
  /// - Throws: `FloatVerificationError.invalidInstance` naming `path` and the bad label.
  public static func oneHotRows(labels t: FloatTensor, path: String, classes k: Int) throws -> [[Rational]] {
    guard t.shape.count == 1 || (t.shape.count == 2 && t.shape[1] == 1), t.count >= 1 else {
      throw FloatVerificationError.invalidInstance("\(path): labels must have shape (n,), one class index per sample, found \(t.shapeDescription)")
    }
    var rows: [[Rational]] = []
    rows.reserveCapacity(t.count)
    for (i, v) in t.values.enumerated() {
      guard v.isFinite, v == v.rounded(), v >= 0, v < Double(k) else {
        throw FloatVerificationError.invalidInstance("\(path): label \(v) of sample \(i) is not a class index in 0...\(k - 1) (the network has K = \(k) outputs)")
      }
      var row = [Rational](repeating: Rational(), count: k)
      row[Int(v)] = Rational(1)
      rows.append(row)
    }
    return rows
  }

  /// The exact network instance at float weights and data (see `settings`).
  public static func instance(architecture: Architecture, weights: [String: FloatTensor], inputs: FloatTensor,
                              targets: FloatTensor, targetsAreLabels: Bool = false,
                              allowExtraTensors: Bool = false) throws -> NetworkInstance {
    let s = try settings(architecture: architecture, weights: weights, inputs: inputs, targets: targets,
                         targetsAreLabels: targetsAreLabels, allowExtraTensors: allowExtraTensors)
    do {
      return try NetworkInstance(architecture: architecture, settings: s)
    } catch let e as InstanceError {
      throw FloatVerificationError.invalidInstance(e.description)
    }
  }
}
