import ConvNet
import Exact
import HessianReference
import Testing

/// The direct-loop forward pass against examples computed by hand.
@Suite struct ForwardTests {
  @Test func conv1DWithStridePaddingDilationAndBias() throws {
    // x = [1 2 3 4 5], k = 2, stride 2, padding 1, dilation 2, w = [2, −1], b = 1/2:
    // out[x] = b + 2·in[2x − 1] − in[2x + 1] with zeros outside: [−3/2, 1/2, 17/2].
    let net = Nets.signal(1, 5, [
      .conv(ConvLayer(outChannels: 1, kernel: [2], stride: [2], padding: [1], dilation: [2], bias: true)),
      .dense(DenseLayer(outputs: 1)),
    ])
    let theta = [q(2), q(-1), q(1, 2), q(1), q(1), q(1)]
    let trace = try ReferenceNetwork(net).trace(theta: theta, input: [1, 2, 3, 4, 5].map { q($0) })
    #expect(trace.layerOutputs[0] == [q(-3, 2), q(1, 2), q(17, 2)])
    #expect(trace.output == [q(15, 2)])
  }

  @Test func conv1DChannelsAreIndexedOutInKernel() throws {
    // in0 = [1 2 3], in1 = [−1 0 1]; w[0] = [[1 0], [0 1]], w[1] = [[0 0], [2 −1]].
    // out0[x] = in0[x] + in1[x+1] = [1, 3]; out1[x] = 2 in1[x] − in1[x+1] = [−2, −1].
    // The dense layer (bias 10, 20) reads the channel-major flattening [1, 3, −2, −1].
    let net = Nets.signal(2, 3, [
      .conv(ConvLayer(outChannels: 2, kernel: [2])), .dense(DenseLayer(outputs: 2, bias: true)),
    ])
    let conv = [1, 0, 0, 1, 0, 0, 2, -1].map { q($0) }
    let dense = [0, 1, 0, 0, /**/ 0, 0, 1, 1].map { q($0) } + [q(10), q(20)]
    let trace = try ReferenceNetwork(net).trace(theta: conv + dense, input: [1, 2, 3, -1, 0, 1].map { q($0) })
    #expect(trace.layerOutputs[0] == [1, 3, -2, -1].map { q($0) })
    #expect(trace.output == [q(13), q(17)])
  }

  @Test func conv2DWithKernel3x2() throws {
    // 4×3 image with rows [1 2 3], [4 5 6], [7 8 9], [10 11 12]; kernel w[i][j] = 2i + j + 1
    // (3 rows, 2 columns), stride (2, 1), padding (1, 0), bias −1. Output 2×2, e.g.
    // out[0][0] = −1 + (3·1 + 4·2) + (5·4 + 6·5) = 60 (the first kernel row meets padding).
    let net = Nets.image(1, 4, 3, [
      .conv(ConvLayer(outChannels: 1, kernel: [3, 2], stride: [2, 1], padding: [1, 0], bias: true)),
      .dense(DenseLayer(outputs: 4)),
    ])
    var theta = (1...6).map { q($0) } + [q(-1)]
    for o in 0..<4 { theta += (0..<4).map { q($0 == o ? 1 : 0) } }
    let out = try ReferenceNetwork.forward(architecture: net, theta: theta, input: (1...12).map { q($0) })
    #expect(out == [q(60), q(78), q(182), q(203)])
  }

  @Test func conv2DDilationReadsTheCorners() throws {
    // 3×3 image 1…9, 2×2 kernel with dilation 2 sees the corners 1, 3, 7, 9.
    let net = Nets.image(1, 3, 3, [.conv(ConvLayer(outChannels: 1, kernel: [2, 2], dilation: [2, 2])), .dense(DenseLayer(outputs: 1))])
    let theta = [q(1), q(10), q(100), q(1000), q(1)]
    #expect(try ReferenceNetwork.forward(architecture: net, theta: theta, input: (1...9).map { q($0) }) == [q(9731)])
  }

  @Test func averagePooling() throws {
    let identity3 = [1, 0, 0, 0, 1, 0, 0, 0, 1].map { q($0) }
    let pool1D = Nets.vector(5, [.avgPool(AvgPoolLayer(kernel: [3], stride: [1])), .dense(DenseLayer(outputs: 3))])
    #expect(try ReferenceNetwork.forward(architecture: pool1D, theta: identity3, input: [1, 2, 3, 4, 6].map { q($0) })
      == [q(2), q(3), q(13, 3)])
    // Default stride = window; the incomplete last window is dropped (floor mode).
    let pairs = Nets.vector(5, [.avgPool(AvgPoolLayer(kernel: [2])), .dense(DenseLayer(outputs: 1))])
    let trace = try ReferenceNetwork(pairs).trace(theta: [q(1), q(0)], input: [1, 2, 3, 4, 6].map { q($0) })
    #expect(trace.layerOutputs[0] == [q(3, 2), q(7, 2)])
    let pool2D = Nets.image(1, 3, 3, [.avgPool(AvgPoolLayer(kernel: [2, 2], stride: [1, 1])), .dense(DenseLayer(outputs: 1))])
    let trace2 = try ReferenceNetwork(pool2D).trace(theta: [1, 0, 0, 0].map { q($0) }, input: (1...9).map { q($0) })
    #expect(trace2.layerOutputs[0] == [q(3), q(4), q(6), q(7)])
  }

  @Test func activations() throws {
    let x = [q(-3), q(2), q(0), q(-1, 2)]
    let identity4 = (0..<16).map { q($0 % 5 == 0 ? 1 : 0) }
    func run(_ a: Activation) throws -> ReferenceTrace {
      try ReferenceNetwork(Nets.vector(4, [.activation(a), .dense(DenseLayer(outputs: 4))])).trace(theta: identity4, input: x)
    }
    #expect(try run(.leaky(slope: q(1, 10))).output == [q(-3, 10), q(2), q(0), q(-1, 20)])
    #expect(try run(.relu).output == [q(0), q(2), q(0), q(0)])
    #expect(try run(.identity).output == x)
    // The pre-activation 0 before a ReLU is reported with its layer and position.
    let relu = try run(.relu)
    #expect(relu.preActivations.map(\.values) == [x])
    #expect(relu.firstKink?.layer == 0 && relu.firstKink?.position == 2)
    #expect(throws: ReferenceError.nonDifferentiable(layer: 0, sample: 3, position: 2)) { try relu.checkDifferentiable(sample: 3) }
    #expect(try run(.identity).firstKink == nil)
  }

  @Test func denseLayoutIsOutByInThenBias() throws {
    // W = [[1 2 3], [4 5 6]], b = [−1, 1], x = [1, 0, −1]: Wx + b = [−3, −1].
    let net = Nets.vector(3, [.dense(DenseLayer(outputs: 2, bias: true))])
    let out = try ReferenceNetwork.forward(architecture: net, theta: [1, 2, 3, 4, 5, 6, -1, 1].map { q($0) }, input: [q(1), q(0), q(-1)])
    #expect(out == [q(-3), q(-1)])
  }

  /// Shapes and the parameter layout are recomputed independently of `ConvNet`: they must agree.
  @Test(arguments: Nets.covering.map(\.architecture))
  func shapesAgreeWithConvNet(architecture: Architecture) throws {
    let net = try ReferenceNetwork(architecture)
    let infos = try architecture.layerInfos()
    #expect(net.outputShapes.map(\.count) == infos.map(\.output.count))
    #expect(net.outputShapes.map(\.spatial) == infos.map { $0.output.spatial })
    #expect(net.parameterCount == (try architecture.parameterCount()))
    #expect(net.outputCount == architecture.outputCount)
  }

  @Test func badInputIsAnError() throws {
    let net = Nets.vector(3, [.dense(DenseLayer(outputs: 2))])
    #expect(throws: ReferenceError.parameterCount(expected: 6, got: 5)) {
      try ReferenceNetwork.forward(architecture: net, theta: Array(repeating: q(1), count: 5), input: [q(1), q(2), q(3)])
    }
    #expect(throws: ReferenceError.inputLength(sample: 0, expected: 3, got: 2)) {
      try ReferenceNetwork.forward(architecture: net, theta: Array(repeating: q(1), count: 6), input: [q(1), q(2)])
    }
    let tooBig = Nets.vector(3, [.conv(ConvLayer(outChannels: 1, kernel: [4])), .dense(DenseLayer(outputs: 1))])
    #expect {
      try ReferenceNetwork(tooBig)
    } throws: { error in
      guard case .architecture(let e)? = error as? ReferenceError else { return false }
      return e.layer == 0
    }
  }
}
