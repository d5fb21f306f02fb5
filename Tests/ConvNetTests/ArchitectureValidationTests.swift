import Exact
import Testing
@testable import ConvNet

/// Every way to write an invalid architecture gives one line that names the place (layer and
/// column) and says the fix; none crashes.
@Suite struct ArchitectureValidationTests {
  struct Case: CustomTestStringConvertible, Sendable {
    /// The bad architecture string.
    var text: String
    /// The 0-based layer at fault (nil: the input or the whole string).
    var layer: Int?
    /// The text the caret underlines.
    var marked: String
    /// Phrases the message must contain (what is wrong and the fix).
    var phrases: [String]
    var testDescription: String { text }
  }

  static let cases: [Case] = [
    // kernel larger than the (padded) input
    Case(text: "1x4 conv(2,k=7) dense(1)", layer: 0, marked: "conv(2,k=7)",
         phrases: ["layer 0 conv(2,k=7)", "kernel span 7 is larger than the padded input 4", "smaller kernel or more padding"]),
    Case(text: "1x6 conv(1,k=3,dil=3) dense(1)", layer: 0, marked: "conv(1,k=3,dil=3)",
         phrases: ["kernel span 7", "padded input 6"]),
    Case(text: "1x5x5 conv(2,k=3) conv(2,k=4) dense(1)", layer: 1, marked: "conv(2,k=4)",
         phrases: ["layer 1 conv(2,k=4)", "larger than the padded input 3", "more padding"]),
    // zero or negative sizes
    Case(text: "0x16 conv(2,k=3) dense(1)", layer: nil, marked: "0x16", phrases: ["input sizes must be positive"]),
    Case(text: "1x16 conv(0,k=3) dense(1)", layer: 0, marked: "0", phrases: ["layer 0", "conv output channels must be at least 1"]),
    Case(text: "1x16 conv(-2,k=3) dense(1)", layer: 0, marked: "-2", phrases: ["layer 0", "at least 1, got -2"]),
    Case(text: "1x16 conv(2,k=0) dense(1)", layer: 0, marked: "0", phrases: ["layer 0", "kernel size is at least 1"]),
    Case(text: "1x16 conv(2,k=3,p=-1) dense(1)", layer: 0, marked: "-1", phrases: ["layer 0", "padding is 0 or more"]),
    Case(text: "1x16 dense(0)", layer: 0, marked: "0", phrases: ["layer 0", "dense outputs must be at least 1"]),
    Case(text: "1x16 avgpool(k=0) dense(1)", layer: 0, marked: "0", phrases: ["layer 0", "window is at least 1"]),
    // stride 0
    Case(text: "1x16 conv(2,k=3,s=0) dense(1)", layer: 0, marked: "0", phrases: ["layer 0", "stride is at least 1 (s=1 means no striding)"]),
    Case(text: "1x8x8 conv(2,k=3,s=1x0) dense(1)", layer: 0, marked: "1x0", phrases: ["layer 0", "stride is at least 1"]),
    // unknown layer kinds and options
    Case(text: "1x16 maxpool2d(k=2) dense(1)", layer: 0, marked: "maxpool2d(k=2)", phrases: ["layer 0", "unknown layer 'maxpool2d'", "maxpool(k=2)"]),
    Case(text: "1x16 conv2d(4,k=3) dense(1)", layer: 0, marked: "conv2d(4,k=3)", phrases: ["unknown layer 'conv2d'", "write conv(M,k=K)"]),
    Case(text: "1x16 conv(4,k=3) tanh dense(1)", layer: 1, marked: "tanh", phrases: ["layer 1", "not supported", "relu"]),
    Case(text: "1x16 conv(4,k=3) denes(2)", layer: 1, marked: "denes(2)", phrases: ["layer 1", "did you mean dense?"]),
    Case(text: "1x16 Conv(4,k=3) dense(2)", layer: 0, marked: "Conv(4,k=3)", phrases: ["lowercase: conv"]),
    Case(text: "1x16 conv(4,k=3) flatten dense(2)", layer: 1, marked: "flatten", phrases: ["flatten is implicit", "remove it"]),
    Case(text: "1x16 linear(10) dense(2)", layer: 0, marked: "linear(10)", phrases: ["dense(10)"]),
    Case(text: "1x16 conv(4,kernel=3) dense(2)", layer: 0, marked: "kernel=3", phrases: ["unknown option 'kernel'", "write k= instead"]),
    Case(text: "1x16 conv(4,k=3,q=1) dense(2)", layer: 0, marked: "q=1", phrases: ["unknown option 'q'", "options are k=, s=, p=, dil=, bias"]),
    Case(text: "1x16 conv(4,k=3,k=5) dense(2)", layer: 0, marked: "k=5", phrases: ["k is given twice"]),
    Case(text: "1x16 conv(4,k=3,bias=true) dense(2)", layer: 0, marked: "bias=true", phrases: ["write bias without a value"]),
    Case(text: "1x16 conv(4) dense(2)", layer: 0, marked: "conv(4)", phrases: ["needs a kernel size", "conv(4,k=3)"]),
    Case(text: "1x16 conv(k=3) dense(2)", layer: 0, marked: "k=3", phrases: ["output channels first"]),
    Case(text: "1x16 avgpool(2) dense(2)", layer: 0, marked: "2", phrases: ["avgpool(k=2)"]),
    Case(text: "8 leaky(0) dense(2)", layer: 0, marked: "leaky(0)", phrases: ["layer 0 leaky(0)", "write relu"]),
    Case(text: "8 leaky(x) dense(2)", layer: 0, marked: "x", phrases: ["not an exact number", "1/10"]),
    // conv / pooling after dense: the signal is flattened
    Case(text: "16 dense(4) conv(2,k=3) dense(1)", layer: 1, marked: "conv(2,k=3)",
         phrases: ["layer 1 conv(2,k=3)", "conv after a dense layer", "put conv layers before dense layers"]),
    Case(text: "1x16 dense(4) avgpool(k=2) dense(1)", layer: 1, marked: "avgpool(k=2)", phrases: ["avgpool after a dense layer"]),
    // the last layer must be the output dense(K)
    Case(text: "1x16 conv(4,k=3)", layer: 0, marked: "conv(4,k=3)", phrases: ["the last layer must be the output dense(K)"]),
    Case(text: "16 dense(2) relu", layer: 1, marked: "relu", phrases: ["layer 1 relu", "last layer must be the output dense(K)"]),
    Case(text: "1x16", layer: nil, marked: "1x16", phrases: ["no layers", "dense(K)"]),
    Case(text: "   ", layer: nil, marked: " ", phrases: ["empty architecture", "1x16 conv(4,k=3) dense(2)"]),
    // too many parameters for the exact instance itself (rank paths check their own memory)
    Case(text: "1x5000 dense(5000)", layer: 0, marked: "dense(5000)", phrases: ["layer 0 dense(5000)", "20000000", "memory", "fewer"]),
    Case(text: "1x512x512 conv(16,k=3) dense(20)", layer: 1, marked: "dense(20)", phrases: ["layer 1 dense(20)", "memory", "fewer"]),
    Case(text: "1x16 conv(5000,k=3) conv(5000,k=3) dense(1)", layer: 1, marked: "conv(5000,k=3)", phrases: ["layer 1", "memory"]),
    // 1-D vs 2-D sizes
    Case(text: "1x16 conv(2,k=3x2) dense(1)", layer: 0, marked: "3x2", phrases: ["layer 0", "2-D size but this layer's input is 1-D", "write k=3"]),
    Case(text: "1x16 avgpool(k=2x2) dense(1)", layer: 0, marked: "2x2", phrases: ["2-D size", "1-D"]),
    Case(text: "1x8x8 conv(2,k=3x3x3) dense(1)", layer: 0, marked: "3x3x3", phrases: ["only 1-D and 2-D"]),
    Case(text: "1x2x3x4 dense(1)", layer: nil, marked: "1x2x3x4", phrases: ["not an input size", "CxHxW"]),
    Case(text: "a16 dense(1)", layer: nil, marked: "a16", phrases: ["not an input size", "the input comes first"]),
    Case(text: "1x2 avgpool(k=3) dense(1)", layer: 0, marked: "avgpool(k=3)", phrases: ["avgpool window 3 is larger than the input"]),
    // punctuation
    Case(text: "1x16 conv(4,k=3 dense(2)", layer: 0, marked: "(", phrases: ["is a ')' missing?"]),
    Case(text: "1x16 conv(4,k=3", layer: 0, marked: "(", phrases: ["missing ')'"]),
    Case(text: "1x16 conv(4,k=3)dense(2)", layer: 0, marked: "d", phrases: ["expected a space after conv(4,k=3)"]),
    Case(text: "1x16 conv(4,,k=3) dense(2)", layer: 0, marked: ",", phrases: ["empty argument"]),
    Case(text: "1x16 conv(4,k=3) 12 dense(2)", layer: 1, marked: "12", phrases: ["the input size is written once, first"]),
    Case(text: "1x16 conv(4,k=) dense(2)", layer: 0, marked: "k=", phrases: ["k= needs a value"]),
    Case(text: "1x16 dense(99999999999999999999)", layer: 0, marked: "99999999999999999999", phrases: ["too large"]),
    // absurd sizes are errors, not arithmetic-overflow traps
    Case(text: "4611686018427387904x4 dense(1)", layer: nil, marked: "4611686018427387904x4", phrases: ["more than 10,000,000 entries"]),
    Case(text: "1x3037000500x3037000500 dense(1)", layer: nil, marked: "1x3037000500x3037000500", phrases: ["more than 10,000,000 entries"]),
    Case(text: "1x16 conv(1,k=4611686018427387904,dil=4) dense(1)", layer: 0, marked: "conv(1,k=4611686018427387904,dil=4)",
         phrases: ["layer 0", "at most 10,000,000"]),
    Case(text: "1x16 conv(1,k=3,p=4611686018427387904) dense(1)", layer: 0, marked: "conv(1,k=3,p=4611686018427387904)", phrases: ["at most 10,000,000"]),
    Case(text: "1x16 conv(1,k=1,s=9999999) avgpool(k=1,s=9999999) conv(1,k=1,s=9999999) dense(1)", layer: 2,
         marked: "conv(1,k=1,s=9999999)", phrases: ["layer 2", "smaller strides"]),
    Case(text: "1x1000x1000 conv(1,k=1,p=5000) dense(1)", layer: 0, marked: "conv(1,k=1,p=5000)",
         phrases: ["output 1x11000x11000 has more than 10,000,000 entries", "less padding"]),
  ]

  @Test(arguments: cases)
  func errorNamesThePlaceAndTheFix(_ c: Case) throws {
    let error = try #require(throws: ArchitectureParseError.self) { try Architecture(parsing: c.text) }
    #expect(error.layer == c.layer, "\(error)")
    let chars = Array(c.text)
    let marked = String(chars[(error.column - 1)..<min(chars.count, error.column - 1 + error.length)])
    #expect(marked == c.marked, "\(error.diagram)")
    for phrase in c.phrases {
      #expect(error.message.contains(phrase), "\(error.message) lacks '\(phrase)'")
    }
    if let layer = c.layer { #expect(error.message.hasPrefix("layer \(layer)")) }
    #expect(!error.description.contains("\n"))
  }

  /// The same checks hold for architectures built in code (no parser in between).
  @Test func layerInfosRejectsInconsistentLayersBuiltInCode() throws {
    let input = InputSpec(shape: TensorShape(channels: 1, spatial: [8]), form: .signal)
    let twoDKernel = Architecture(input: input, layers: [.conv(ConvLayer(outChannels: 2, kernel: [3, 3])), .dense(DenseLayer(outputs: 1))])
    #expect(throws: ArchitectureError.self) { try twoDKernel.layerInfos() }
    let zeroStride = Architecture(input: input, layers: [.conv(ConvLayer(outChannels: 2, kernel: [3], stride: [0])), .dense(DenseLayer(outputs: 1))])
    let e = try #require(throws: ArchitectureError.self) { try zeroStride.layerInfos() }
    #expect(e.layer == 0 && e.message.contains("s=1"))
  }

  /// Random junk never traps: it parses or throws.
  @Test func randomTextNeverCrashes() {
    let alphabet = Array("0123456789x×(),= convdenserluleakyavgpoolbiaspkdil-/.")
    var random = SeededRandom(seed: 11)
    var valid = 0
    for _ in 0..<3000 {
      let length = random.nextInt(in: 0...30)
      let text = String((0..<length).map { _ in alphabet[random.nextInt(in: 0...(alphabet.count - 1))] })
      if (try? Architecture(parsing: text)) != nil { valid += 1 }
    }
    // Mutations of valid strings: delete or duplicate one character.
    var generator = ArchitectureGenerator(seed: 12)
    for _ in 0..<500 {
      var chars = Array(generator.next().description)
      let i = random.nextInt(in: 0...(chars.count - 1))
      if random.nextInt(in: 0...1) == 0 { chars.remove(at: i) } else { chars.insert(chars[i], at: i) }
      if let a = try? Architecture(parsing: String(chars)) {
        #expect((try? a.layerInfos()) != nil)  // whatever parses is valid
        valid += 1
      }
    }
    #expect(valid > 0)
  }
}
