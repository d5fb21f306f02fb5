import Exact
@testable import ConvNet

/// Random valid architectures for round-trip and shape tests: 1-D and 2-D inputs, several
/// channels, conv layers with stride, padding, dilation and bias, average pooling, every
/// activation, and dense heads (or dense-only networks on vector inputs).
struct ArchitectureGenerator {
  var random: SeededRandom

  init(seed: UInt64) { random = SeededRandom(seed: seed) }

  mutating func int(_ r: ClosedRange<Int>) -> Int { random.nextInt(in: r) }
  mutating func coin(_ percent: Int = 50) -> Bool { int(1...100) <= percent }

  mutating func activation() -> Activation {
    switch int(0...3) {
    case 0: return .identity
    case 1: return .relu
    default:
      let slopes = [Rational(1, 10), Rational(1, 4), Rational(-1, 2), Rational(3, 100), Rational(2)]
      return .leaky(slope: slopes[int(0...(slopes.count - 1))])
    }
  }

  /// Per-dimension sizes: the same in every dimension about half the time (printed `k=3`).
  mutating func sizes(_ dims: Int, _ r: ClosedRange<Int>) -> [Int] {
    if dims == 1 || coin() { return Array(repeating: int(r), count: dims) }
    return (0..<dims).map { _ in int(r) }
  }

  mutating func next() -> Architecture {
    let kind = int(0...4)
    var layers: [Layer] = []
    let input: InputSpec
    if kind == 0 {
      input = InputSpec(shape: TensorShape(channels: 1, spatial: [int(1...40)]), form: .vector)
    } else {
      let dims = kind <= 2 ? 1 : 2
      let spatial = dims == 1 ? [int(3...24)] : [int(3...9), int(3...9)]
      input = InputSpec(shape: TensorShape(channels: int(1...3), spatial: spatial), form: dims == 1 ? .signal : .image)
      var shape = input.shape.spatial
      for _ in 0..<int(0...3) {
        if coin(75) {
          // conv: pick padding, dilation, then a kernel whose span fits the padded input.
          let padding = coin(60) ? Array(repeating: 0, count: dims) : sizes(dims, 0...2)
          let dilation = coin(70) ? Array(repeating: 1, count: dims) : sizes(dims, 1...2)
          var kernel: [Int] = []
          for d in 0..<dims {
            let room = shape[d] + 2 * padding[d]
            let maxK = max(1, min(5, (room - 1) / dilation[d] + 1))
            kernel.append(int(1...maxK))
          }
          if dims == 2, coin(), kernel[0] == kernel[1], kernel[0] > 1 { kernel[1] -= 1 }
          let stride = coin(60) ? Array(repeating: 1, count: dims) : sizes(dims, 1...3)
          let conv = ConvLayer(outChannels: int(1...4), kernel: kernel, stride: stride, padding: padding,
                               dilation: dilation, bias: coin())
          shape = (0..<dims).map { conv.outputSize(input: shape[$0], dimension: $0) }
          layers.append(.conv(conv))
        } else {
          let kernel = (0..<dims).map { int(1...min(3, shape[$0])) }
          let stride: [Int]? = coin() ? nil : (0..<dims).map { _ in int(1...3) }
          let pool = AvgPoolLayer(kernel: kernel, stride: stride)
          shape = (0..<dims).map { (shape[$0] - pool.kernel[$0]) / pool.stride[$0] + 1 }
          layers.append(.avgPool(pool))
        }
        if coin(40) { layers.append(.activation(activation())) }
      }
    }
    let denseCount = int(1...3)
    for i in 0..<denseCount {
      if i > 0, coin(60) { layers.append(.activation(activation())) }
      layers.append(.dense(DenseLayer(outputs: int(1...8), bias: coin(30))))
    }
    return Architecture(input: input, layers: layers)
  }
}
