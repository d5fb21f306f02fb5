import ConvNet
import Exact
import HessianReference
import Testing
@testable import Hessian

/// Compares the Toeplitz path with the independent reference at `instance`: identical outputs,
/// J, H_o, H_f and H_L over Q (and H_L symmetric). Returns false, comparing nothing, at a
/// point either side refuses: a real kink for the builder, or a pre-activation that is 0 for
/// every θ near the point — no kink for the builder (its branch cannot matter, see KinkTests),
/// but the reference refuses every exact 0.
func matchesReference(_ arch: Architecture, _ instance: NetworkInstance,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
  guard let (pattern, outputs) = try? instance.activationPattern() else { return false }
  let ref: ReferenceHessians
  do {
    ref = try ReferenceHessians(architecture: arch, theta: instance.theta, inputs: instance.inputs, targets: instance.targets)
  } catch ReferenceError.nonDifferentiable {
    return false
  }
  let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: RationalRing())
  #expect(outputs == ref.outputs, "\(arch)", sourceLocation: sourceLocation)
  #expect(builder.jacobian().nestedRows == ref.jacobian, "\(arch)", sourceLocation: sourceLocation)
  #expect(builder.exactHessian(.outer).nestedRows == ref.outer, "\(arch)", sourceLocation: sourceLocation)
  #expect(builder.exactHessian(.functional).nestedRows == ref.functional, "\(arch)", sourceLocation: sourceLocation)
  let hl = builder.exactHessian(.loss)
  #expect(hl.nestedRows == ref.loss, "\(arch)", sourceLocation: sourceLocation)
  #expect(hl == hl.transposed(), "H_L symmetric: \(arch)", sourceLocation: sourceLocation)
  return true
}
