import Exact

/// The shape of a tensor flowing through the network: channels × spatial sizes.
///
/// `spatial` has one entry for 1-D signals (length) and two for 2-D images (height, width).
/// A plain vector of length D is 1 channel × [D]. Flattening is channel-major, as PyTorch's
/// `flatten` after `Conv1d`/`Conv2d`: index = ((c · H) + y) · W + x.
public struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
  /// Number of channels.
  public var channels: Int
  /// Spatial sizes: [d] in 1-D, [h, w] in 2-D.
  public var spatial: [Int]

  /// A shape of `channels` × `spatial`.
  public init(channels: Int, spatial: [Int]) {
    self.channels = channels
    self.spatial = spatial
  }

  /// Number of spatial positions (product of `spatial`).
  public var positions: Int { spatial.reduce(1, *) }
  /// Total number of entries: channels · positions.
  public var count: Int { channels * positions }
  /// "4x12" or "6x5x5".
  public var description: String { ([channels] + spatial).map(String.init).joined(separator: "x") }
}

/// How the input was written in an architecture string: `D`, `CxD` or `CxHxW`.
public enum InputForm: String, Equatable, Hashable, Sendable, Codable {
  /// `D`: a plain vector (1 channel).
  case vector
  /// `CxD`: C channels of length D.
  case signal
  /// `CxHxW`: C channels of H×W images.
  case image
}

/// The network input.
public struct InputSpec: Equatable, Hashable, Sendable {
  /// Channels and spatial sizes.
  public var shape: TensorShape
  /// How it is written (so printing gives back the same string).
  public var form: InputForm

  /// An input of the given shape and written form.
  public init(shape: TensorShape, form: InputForm) {
    self.shape = shape
    self.form = form
  }
}

/// An elementwise activation.
public enum Activation: Equatable, Hashable, Sendable {
  /// f(z) = z.
  case identity
  /// f(z) = max(z, 0).
  case relu
  /// f(z) = z for z > 0, slope·z otherwise.
  case leaky(slope: Rational)
}

/// A 1-D or 2-D convolution (cross-correlation, as PyTorch's `Conv1d`/`Conv2d`).
///
/// All per-dimension arrays have one entry per spatial dimension of the layer's input.
public struct ConvLayer: Equatable, Hashable, Sendable {
  /// Output channels m.
  public var outChannels: Int
  /// Kernel size per spatial dimension.
  public var kernel: [Int]
  /// Stride per spatial dimension.
  public var stride: [Int]
  /// Zero padding per side, per spatial dimension.
  public var padding: [Int]
  /// Dilation per spatial dimension.
  public var dilation: [Int]
  /// Whether the layer has a bias (one per output channel).
  public var bias: Bool

  /// A conv layer; stride, padding and dilation default to 1, 0, 1 in every dimension.
  public init(outChannels: Int, kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil,
              dilation: [Int]? = nil, bias: Bool = false) {
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride ?? Array(repeating: 1, count: kernel.count)
    self.padding = padding ?? Array(repeating: 0, count: kernel.count)
    self.dilation = dilation ?? Array(repeating: 1, count: kernel.count)
    self.bias = bias
  }

  /// Output size along one dimension: ⌊(d + 2P − dil·(k−1) − 1)/S⌋ + 1 (PyTorch's formula).
  public func outputSize(input d: Int, dimension i: Int) -> Int {
    let span = dilation[i] * (kernel[i] - 1) + 1
    let padded = d + 2 * padding[i]
    guard padded >= span else { return 0 }
    return (padded - span) / stride[i] + 1
  }
}

/// A fully connected layer with `outputs` outputs on the flattened input.
public struct DenseLayer: Equatable, Hashable, Sendable {
  /// Number of outputs.
  public var outputs: Int
  /// Whether the layer has a bias.
  public var bias: Bool

  /// A dense layer.
  public init(outputs: Int, bias: Bool = false) {
    self.outputs = outputs
    self.bias = bias
  }
}

/// Average pooling per channel: a fixed linear map with weights 1/(window size).
public struct AvgPoolLayer: Equatable, Hashable, Sendable {
  /// Window size per spatial dimension.
  public var kernel: [Int]
  /// Stride per spatial dimension (PyTorch's default: the window size).
  public var stride: [Int]

  /// An average-pooling layer; the stride defaults to the window.
  public init(kernel: [Int], stride: [Int]? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }
}

/// Max pooling per channel (PyTorch's `MaxPool1d`/`MaxPool2d`, no padding, floor mode).
///
/// At a point where every window has one largest entry (or tied entries that are the same
/// function of θ nearby) it is a fixed 0/1 selection, like a ReLU mask.
public struct MaxPoolLayer: Equatable, Hashable, Sendable {
  /// Window size per spatial dimension.
  public var kernel: [Int]
  /// Stride per spatial dimension (PyTorch's default: the window size).
  public var stride: [Int]

  /// A max-pooling layer; the stride defaults to the window.
  public init(kernel: [Int], stride: [Int]? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }
}

/// One layer of an architecture.
public enum Layer: Equatable, Hashable, Sendable {
  /// A convolution.
  case conv(ConvLayer)
  /// A fully connected layer.
  case dense(DenseLayer)
  /// An elementwise activation.
  case activation(Activation)
  /// Average pooling.
  case avgPool(AvgPoolLayer)
  /// Max pooling.
  case maxPool(MaxPoolLayer)
}

/// A network: an input followed by layers; the last layer is the output `dense(K)`.
public struct Architecture: Equatable, Hashable, Sendable {
  /// The input.
  public var input: InputSpec
  /// The layers, first to last.
  public var layers: [Layer]

  /// An architecture (not validated: call `validated()` or build it by parsing).
  public init(input: InputSpec, layers: [Layer]) {
    self.input = input
    self.layers = layers
  }
}
