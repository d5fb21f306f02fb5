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
  /// Replaces the real part by `value` (known from the plain pass); a no-op for plain numbers.
  mutating func adoptRealPart(_ value: Rational)
  /// The value (the real part of a hyper-dual number).
  var realPart: Rational { get }
  /// Whether every ε part (first and second derivatives along the seeds) equals `other`'s;
  /// always true for plain numbers.
  func hasSameDerivatives(as other: Self) -> Bool
}

extension ForwardScalar {
  /// The largest of `candidates` (the first one on ties), or nil when tied largest values
  /// differ in a derivative: there max has a kink and no second derivative.
  static func maximum(_ candidates: [Self]) -> Self? {
    guard var best = candidates.first else { return nil }
    var tied: [Self] = []
    for c in candidates.dropFirst() {
      if c.realPart > best.realPart {
        best = c
        tied = []
      } else if c.realPart == best.realPart {
        tied.append(c)
      }
    }
    return tied.allSatisfy { $0.hasSameDerivatives(as: best) } ? best : nil
  }
}

extension Rational: ForwardScalar {
  init(constant: Rational) { self = constant }

  var realPart: Rational { self }

  func hasSameDerivatives(as other: Rational) -> Bool { true }

  mutating func add(_ x: Rational) {
    if !x.isZero { self += x }
  }

  mutating func addProduct(_ w: Rational, _ x: Rational) {
    if !w.isZero, !x.isZero { self += w * x }
  }

  func scaled(by r: Rational) -> Rational { self * r }

  mutating func adoptRealPart(_ value: Rational) { self = value }

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

  var realPart: Rational { value }

  func hasSameDerivatives(as other: HyperDual) -> Bool { e1 == other.e1 && e2 == other.e2 && e12 == other.e12 }

  mutating func add(_ x: HyperDual) { self += x }

  mutating func adoptRealPart(_ value: Rational) { self.value = value }

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

/// A hyper-dual number in a pass whose real parts are already known: they do not depend on the
/// ε seeds, so they are the plain forward pass's values. Arithmetic here updates only the ε
/// parts (reading the real parts it needs), and the pass installs each layer's real parts from
/// the plain trace (`ReferenceNetwork.run(primal:)`). The ε parts are exactly those of full
/// hyper-dual evaluation; only the repeated real-part work is saved.
struct TangentHyperDual: ForwardScalar {
  var number: HyperDual
  /// False only when every ε part is known to be 0 (a cheap test that skips most products).
  var hasTangent: Bool

  init(_ number: HyperDual) {
    self.number = number
    hasTangent = !number.isConstant
  }

  init(constant: Rational) {
    number = HyperDual(constant)
    hasTangent = false
  }

  mutating func add(_ x: TangentHyperDual) {
    guard x.hasTangent else { return }
    HyperDual.addInPlace(&number.e1, x.number.e1)
    HyperDual.addInPlace(&number.e2, x.number.e2)
    HyperDual.addInPlace(&number.e12, x.number.e12)
    hasTangent = true
  }

  /// The ε parts of w·x: ε1 w0x1 + w1x0, ε2 w0x2 + w2x0, ε1ε2 w0x12 + w1x2 + w2x1 + w12x0.
  mutating func addProduct(_ w: TangentHyperDual, _ x: TangentHyperDual) {
    guard w.hasTangent || x.hasTangent else { return }
    hasTangent = true
    if x.hasTangent, !w.number.value.isZero {
      Self.addProduct(into: &number.e1, w.number.value, x.number.e1)
      Self.addProduct(into: &number.e2, w.number.value, x.number.e2)
      Self.addProduct(into: &number.e12, w.number.value, x.number.e12)
    }
    if w.hasTangent {
      if !x.number.value.isZero {
        Self.addProduct(into: &number.e1, w.number.e1, x.number.value)
        Self.addProduct(into: &number.e2, w.number.e2, x.number.value)
        Self.addProduct(into: &number.e12, w.number.e12, x.number.value)
      }
      if x.hasTangent {
        Self.addProduct(into: &number.e12, w.number.e1, x.number.e2)
        Self.addProduct(into: &number.e12, w.number.e2, x.number.e1)
      }
    }
  }

  func scaled(by r: Rational) -> TangentHyperDual {
    guard hasTangent else { return self }
    var s = self
    s.number.e1 = number.e1.isZero ? sharedZero : number.e1 * r
    s.number.e2 = number.e2.isZero ? sharedZero : number.e2 * r
    s.number.e12 = number.e12.isZero ? sharedZero : number.e12 * r
    return s
  }

  func activated(_ activation: Activation) -> TangentHyperDual? {
    guard hasTangent || activation == .identity || !number.value.isZero else { return nil }
    guard hasTangent else { return self }  // the real part is installed from the trace
    return number.activated(activation).map(TangentHyperDual.init)
  }

  mutating func adoptRealPart(_ value: Rational) { number.value = value }

  var realPart: Rational { number.value }

  func hasSameDerivatives(as other: TangentHyperDual) -> Bool {
    if !hasTangent && !other.hasTangent { return true }
    return number.hasSameDerivatives(as: other.number)
  }

  /// target += u·v, skipping a zero factor.
  @inline(__always) static func addProduct(into target: inout Rational, _ u: Rational, _ v: Rational) {
    if u.isZero || v.isZero { return }
    HyperDual.addInPlace(&target, u * v)
  }
}
