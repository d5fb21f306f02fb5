import Exact
import ExactLinearAlgebra

/// Arithmetic modulo a prime P < 2^24 on integers carried exactly by `Double`s, for the
/// batched Jacobian- and Hessian-vector products of the matrix-free path.
///
/// Residues are stored centred, |x| ≤ h = ⌊P/2⌋ + 8. Every value formed is an integer below
/// 2^53 in magnitude, so every `Double` operation — including those BLAS carries out — is
/// exact integer arithmetic. Reduction is x ↦ x − P·round(x/P) (the rounded quotient can be
/// off by one near a half-integer, hence the margin 8 in h). Up to `delay` products of two
/// reduced values (127 for P < 2^24, `ModularElimination.delay(forPrime:)`) can be added onto a
/// reduced value before it must be reduced again.
public struct CentredResidues: Sendable {
  /// The prime.
  public let prime: UInt64
  /// The prime as a double.
  @usableFromInline let p: Double
  @usableFromInline let pInverse: Double
  /// Products of reduced values that may be summed onto a reduced value between reductions.
  public let delay: Int
  /// 1.5·2^52: adding and subtracting it rounds a double of magnitude < 2^51 to an integer.
  @usableFromInline static let roundingConstant: Double = 6_755_399_441_055_744.0

  /// The primes the matrix-free path draws from: [2^23, 2^24).
  public static let primeRange: ClosedRange<UInt64> = (1 << 23)...((1 << 24) - 1)
  /// A lower bound on the number of primes in `primeRange` (there are 513,708).
  public static let primeCountLowerBound = 500_000

  /// Arithmetic modulo `prime`, which must lie in `primeRange`.
  public init(prime: UInt64) {
    precondition(Self.primeRange.contains(prime), "the matrix-free path needs a prime in [2^23, 2^24)")
    self.prime = prime
    p = Double(prime)
    pInverse = 1.0 / Double(prime)
    delay = ModularElimination.delay(forPrime: prime) ?? 1
  }

  /// x reduced to a centred residue.
  @inlinable @inline(__always) public func reduce(_ x: Double) -> Double {
    let q = (x * pInverse + Self.roundingConstant) - Self.roundingConstant
    return x - q * p
  }

  /// The centred form of a residue in [0, P).
  @inlinable @inline(__always) public func centred(_ r: UInt64) -> Double {
    let y = r < prime ? r : r % prime
    return y > prime / 2 ? -Double(prime - y) : Double(y)
  }

  /// The residue in [0, P) of an integer-valued double below 2^53 in magnitude.
  @inlinable @inline(__always) public func residue(_ x: Double) -> UInt64 {
    let v = Int64(reduce(x))
    return v < 0 ? UInt64(Int64(prime) + v) : UInt64(v)
  }

  // MARK: Kernels on rows of `count` doubles

  /// dst[j] += c·src[j].
  @inlinable @inline(__always)
  func axpy(_ dst: UnsafeMutablePointer<Double>, _ c: Double, _ src: UnsafePointer<Double>, _ count: Int) {
    for j in 0..<count { dst[j] += c * src[j] }
  }

  /// dst[j] += src[j].
  @inlinable @inline(__always)
  func add(_ dst: UnsafeMutablePointer<Double>, _ src: UnsafePointer<Double>, _ count: Int) {
    for j in 0..<count { dst[j] += src[j] }
  }

  /// dst[j] ← reduce(dst[j]).
  @inlinable @inline(__always)
  func reduce(_ dst: UnsafeMutablePointer<Double>, _ count: Int) {
    let c = Self.roundingConstant, pi = pInverse, pp = p
    for j in 0..<count {
      let x = dst[j]
      dst[j] = x - ((x * pi + c) - c) * pp
    }
  }

  /// dst[j] ← reduce(c·src[j]).
  @inlinable @inline(__always)
  func scaled(_ dst: UnsafeMutablePointer<Double>, _ c: Double, _ src: UnsafePointer<Double>, _ count: Int) {
    let k = Self.roundingConstant, pi = pInverse, pp = p
    for j in 0..<count {
      let x = c * src[j]
      dst[j] = x - ((x * pi + k) - k) * pp
    }
  }
}

/// Random primes for the matrix-free path: uniform in `CentredResidues.primeRange`, from a seed.
public enum SketchPrimes {
  /// `count` distinct primes in [2^23, 2^24) drawn from `seed`.
  public static func draw(count: Int, seed: UInt64) -> [UInt64] {
    var rng = SeededRandom(seed: seed ^ 0x534B_4554_4348)  // "SKETCH"
    var out: [UInt64] = []
    while out.count < count {
      let q = Primality.randomPrime(in: CentredResidues.primeRange, using: &rng)
      if !out.contains(q) { out.append(q) }
    }
    return out
  }
}
