/// The element types the tensor readers understand. Every one of them converts to `Double`
/// exactly (the 64-bit integers only up to magnitude 2^53: larger values are rejected).
public enum TensorDType: String, Sendable, Hashable, CaseIterable, Codable {
  case float16, bfloat16, float32, float64
  case int8, int16, int32, int64
  case uint8, uint16, uint32, uint64
  case bool

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .bool, .int8, .uint8: return 1
    case .float16, .bfloat16, .int16, .uint16: return 2
    case .float32, .int32, .uint32: return 4
    case .float64, .int64, .uint64: return 8
    }
  }

  /// True for the floating-point types.
  public var isFloatingPoint: Bool {
    switch self {
    case .float16, .bfloat16, .float32, .float64: return true
    default: return false
    }
  }

  /// The floating-point precision of this type, for tolerance rules (nil for integers/bool).
  public var precision: FloatPrecision? {
    switch self {
    case .float16: return .float16
    case .bfloat16: return .bfloat16
    case .float32: return .float32
    case .float64: return .float64
    default: return nil
    }
  }

  /// NumPy's type code without byte order (`f8`, `i4`, `b1`, …); nil for bfloat16, which
  /// NumPy has no code for.
  public var numpyCode: String? {
    switch self {
    case .float16: return "f2"
    case .bfloat16: return nil
    case .float32: return "f4"
    case .float64: return "f8"
    case .int8: return "i1"
    case .int16: return "i2"
    case .int32: return "i4"
    case .int64: return "i8"
    case .uint8: return "u1"
    case .uint16: return "u2"
    case .uint32: return "u4"
    case .uint64: return "u8"
    case .bool: return "b1"
    }
  }

  /// The `dtype` string of the safetensors format (`F64`, `BF16`, `I32`, `BOOL`, …).
  public var safetensorsCode: String {
    switch self {
    case .float16: return "F16"
    case .bfloat16: return "BF16"
    case .float32: return "F32"
    case .float64: return "F64"
    case .int8: return "I8"
    case .int16: return "I16"
    case .int32: return "I32"
    case .int64: return "I64"
    case .uint8: return "U8"
    case .uint16: return "U16"
    case .uint32: return "U32"
    case .uint64: return "U64"
    case .bool: return "BOOL"
    }
  }

  /// The type for a NumPy code without byte order (`f8`, `<f8` minus the `<`), or nil.
  init?(numpyCode: String) {
    guard let t = TensorDType.allCases.first(where: { $0.numpyCode == numpyCode }) else { return nil }
    self = t
  }

  /// The type for a safetensors dtype string, or nil.
  init?(safetensorsCode: String) {
    guard let t = TensorDType.allCases.first(where: { $0.safetensorsCode == safetensorsCode }) else {
      return nil
    }
    self = t
  }
}

/// A floating-point format, for machine epsilon in tolerance rules.
public enum FloatPrecision: String, Sendable, Hashable, CaseIterable, Codable {
  case float16, bfloat16, float32, float64

  /// Machine epsilon as NumPy's `finfo(dtype).eps` and PyTorch's `finfo` define it: the gap
  /// between 1 and the next representable number, 2^-(significand bits).
  /// float64 2^-52, float32 2^-23, float16 2^-10, bfloat16 2^-7.
  public var epsilon: Double {
    switch self {
    case .float64: return 0x1p-52
    case .float32: return 0x1p-23
    case .float16: return 0x1p-10
    case .bfloat16: return 0x1p-7
    }
  }
}

// MARK: - Exact decoding of element bits

enum ElementDecoding {
  /// The exact value of an IEEE 754 binary16 bit pattern, by bit manipulation:
  /// sign · 2^(e−15) · (1 + m/2^10) for normal numbers, sign · 2^−14 · m/2^10 for subnormals.
  static func half(_ bits: UInt16) -> Double {
    let sign: FloatingPointSign = bits & 0x8000 != 0 ? .minus : .plus
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = Int(bits & 0x3FF)
    switch exponent {
    case 0:
      // Subnormal (or zero): m · 2^-24, exact in a double.
      return Double(sign: sign, exponent: -24, significand: Double(mantissa))
    case 0x1F:
      if mantissa == 0 { return sign == .minus ? -.infinity : .infinity }
      return .nan
    default:
      return Double(sign: sign, exponent: exponent - 25, significand: Double(1024 + mantissa))
    }
  }

  /// The exact value of a bfloat16 bit pattern: the top half of a binary32.
  static func bfloat16(_ bits: UInt16) -> Double {
    Double(Float(bitPattern: UInt32(bits) << 16))
  }
}
