import ConvNet
import Exact
import FloatCheck
import FloatVerification
import Foundation

/// The tensors of an exact instance as float64 arrays a JAX, PyTorch or NumPy program loads:
/// θ split into PyTorch `state_dict` tensors, X as (n, C, spatial…), Y as (n, K).
public struct InstanceExport: Sendable {
  /// The parameter tensors in `state_dict` order.
  public var weights: [(name: String, shape: [Int], values: [Double])]
  /// X's shape and values (C order).
  public var inputShape: [Int]
  public var inputs: [Double]
  /// Y's shape and values (C order).
  public var targetShape: [Int]
  public var targets: [Double]

  /// The float64 form of `instance`; every value must be a double exactly (integers below
  /// 2^53 and dyadic rationals are; random fractions usually are not).
  public init(_ instance: NetworkInstance) throws(InstanceFileError) {
    func exact(_ q: Rational, _ what: String) throws(InstanceFileError) -> Double {
      let d = Double(nearest: q)
      guard d.isFinite, let back = try? Rational(exactly: d), back == q else {
        throw .invalid("\(what) \(q) is not exactly a float64, so the files would not hold this point; use integer or file values (--max-denominator 1)")
      }
      return d
    }
    let specs: [TensorSpec]
    do { specs = try FloatNetworkData.layout(of: instance.plan.architecture) } catch { throw .invalid("\(error)") }
    var offset = 0
    var tensors: [(name: String, shape: [Int], values: [Double])] = []
    for spec in specs {
      let count = spec.shape.reduce(1, *)
      var values: [Double] = []
      values.reserveCapacity(count)
      for q in instance.theta[offset..<(offset + count)] { values.append(try exact(q, "weight")) }
      tensors.append((spec.name, spec.shape, values))
      offset += count
    }
    weights = tensors
    let shape = instance.plan.architecture.input.shape
    inputShape = [instance.sampleCount, shape.channels] + shape.spatial
    var x: [Double] = []
    for row in instance.inputs { for q in row { x.append(try exact(q, "input")) } }
    inputs = x
    targetShape = [instance.sampleCount, instance.plan.outputSize]
    var y: [Double] = []
    for row in instance.targets { for q in row { y.append(try exact(q, "target")) } }
    targets = y
  }

  /// The safetensors bytes of the weights.
  public var weightsFile: [UInt8] { SafetensorsWriter.encode(weights) }
}
