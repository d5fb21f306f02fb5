import ConvNet
import Exact

/// Random valid architectures covering every layer option, for identity and cross-check tests.
public enum RandomArchitectures {
  /// A random small architecture (1-D or 2-D, channels, stride, padding, dilation, bias,
  /// pooling, activations) that passes validation, with at most `maxParameters` parameters.
  /// With `maxPooling`, a max-pooling layer follows each conv layer with probability 1/2 (the
  /// draws without it are unchanged).
  public static func make(_ rng: inout SeededRandom, maxParameters: Int = 120, allowNonlinear: Bool = true,
                          maxPooling: Bool = false) -> Architecture {
    while true {
      let twoD = rng.nextInt(in: 0...1) == 1
      let c0 = rng.nextInt(in: 1...2)
      let spatial = twoD ? [rng.nextInt(in: 3...6), rng.nextInt(in: 3...6)] : [rng.nextInt(in: 4...10)]
      let form: InputForm = twoD ? .image : (c0 == 1 && rng.nextInt(in: 0...3) == 0 ? .vector : .signal)
      var layers: [Layer] = []
      let convs = rng.nextInt(in: 0...2)
      for _ in 0..<convs {
        func sizes(_ r: ClosedRange<Int>) -> [Int] { (0..<spatial.count).map { _ in rng.nextInt(in: r) } }
        layers.append(.conv(ConvLayer(outChannels: rng.nextInt(in: 1...3), kernel: sizes(1...3), stride: sizes(1...2),
                                      padding: sizes(0...1), dilation: sizes(1...2), bias: rng.nextInt(in: 0...1) == 1)))
        if allowNonlinear { appendActivation(&layers, &rng) }
        if rng.nextInt(in: 0...4) == 0 { layers.append(.avgPool(AvgPoolLayer(kernel: sizes(1...2)))) }
        if maxPooling, rng.nextInt(in: 0...1) == 0 {
          layers.append(.maxPool(MaxPoolLayer(kernel: sizes(1...2), stride: sizes(1...2))))
        }
      }
      if rng.nextInt(in: 0...2) == 0 {
        layers.append(.dense(DenseLayer(outputs: rng.nextInt(in: 1...4), bias: rng.nextInt(in: 0...1) == 1)))
        if allowNonlinear { appendActivation(&layers, &rng) }
      }
      layers.append(.dense(DenseLayer(outputs: rng.nextInt(in: 1...3), bias: rng.nextInt(in: 0...1) == 1)))
      let arch = Architecture(input: InputSpec(shape: TensorShape(channels: c0, spatial: spatial), form: form), layers: layers)
      if let p = try? arch.parameterCount(), p <= maxParameters { return arch }
    }
  }

  private static func appendActivation(_ layers: inout [Layer], _ rng: inout SeededRandom) {
    switch rng.nextInt(in: 0...3) {
    case 0: layers.append(.activation(.relu))
    case 1: layers.append(.activation(.leaky(slope: Rational(1, rng.nextInt(in: 2...10)))))
    default: break
    }
  }
}
