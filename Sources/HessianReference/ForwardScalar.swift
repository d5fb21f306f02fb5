import ConvNet
import Exact

/// The arithmetic the direct-loop forward pass needs: exact rationals for plain evaluation,
/// hyper-dual numbers for exact first and second derivatives.
protocol ForwardScalar: Sendable {
  /// A constant (no ε parts).
  init(constant: Rational)
  /// self += x.
  mutating func add(_ x: Self)
  /// self += w · x.
  mutating func addProduct(_ w: Self, _ x: Self)
  /// self · r for a rational constant r.
  func scaled(by r: Rational) -> Self
  /// The activation applied elementwise, or nil at a kink of a hyper-dual value (a ReLU or
  /// leaky ReLU at exactly 0, where no derivative exists).
  func activated(_ activation: Activation) -> Self?
}

extension Rational: ForwardScalar {
  init(constant: Rational) { self = constant }

  mutating func add(_ x: Rational) {
    if !x.isZero { self += x }
  }

  mutating func addProduct(_ w: Rational, _ x: Rational) {
    if !w.isZero, !x.isZero { self += w * x }
  }

  func scaled(by r: Rational) -> Rational { self * r }

  /// PyTorch's values: relu(z) = max(z, 0); leaky(z) = z for z > 0, slope·z otherwise.
  /// At exactly 0 both give 0 (the value is defined; only the derivative is not).
  func activated(_ activation: Activation) -> Rational? {
    switch activation {
    case .identity: return self
    case .relu: return signum > 0 ? self : Rational()
    case .leaky(let slope): return signum > 0 ? self : self * slope
    }
  }
}

extension HyperDual: ForwardScalar {
  init(constant: Rational) { self.init(constant) }

  mutating func add(_ x: HyperDual) { self += x }

  mutating func addProduct(_ w: HyperDual, _ x: HyperDual) {
    if w.isConstant, x.isConstant {
      if !w.value.isZero, !x.value.isZero { value += w.value * x.value }
      return
    }
    self += w * x
  }

  /// ReLU and leaky ReLU are linear on each side of 0: the ε parts are multiplied by the
  /// slope on the value's side (their second derivative is 0 there). At exactly 0: nil.
  func activated(_ activation: Activation) -> HyperDual? {
    switch activation {
    case .identity: return self
    case .relu:
      switch value.signum {
      case 1: return self
      case -1: return HyperDual(sharedZero)
      default: return nil
      }
    case .leaky(let slope):
      switch value.signum {
      case 1: return self
      case -1: return scaled(by: slope)
      default: return nil
      }
    }
  }
}
