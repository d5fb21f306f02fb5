import Exact
import Testing
@testable import ConvNet

@Suite struct ArchitectureStringTests {
  /// The issue's examples and other canonical strings print back exactly.
  @Test(arguments: [
    "1x16 conv(4,k=3) conv(4,k=3) dense(2)",
    "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)",
    "64 dense(10) dense(10) dense(10)",
    "1x12 conv(2,k=3) dense(2)",
    "1x5x5 conv(2,k=3) dense(2)",
    "2x9x7 conv(3,k=3x2,s=2x1,p=1x0,dil=2x1,bias) leaky(1/4) avgpool(k=2) dense(4,bias)",
    "1x20 conv(2,k=5,dil=3) avgpool(k=3,s=1) identity dense(3) leaky(-1/2) dense(1)",
    "3x10 avgpool(k=2) conv(1,k=1) relu dense(1,bias)",
    "1x6x6 avgpool(k=2x3) dense(2)",
  ])
  func canonicalStringsPrintBack(text: String) throws {
    let a = try Architecture(parsing: text)
    #expect(a.description == text)
    #expect(try Architecture(parsing: a.description) == a)
  }

  @Test func issueExamplesParseToTheIntendedLayers() throws {
    let a = try Architecture(parsing: "3x8x8 conv(6,k=3,s=2,p=1,bias) relu dense(10)")
    #expect(a.input == InputSpec(shape: TensorShape(channels: 3, spatial: [8, 8]), form: .image))
    #expect(a.layers == [
      .conv(ConvLayer(outChannels: 6, kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], bias: true)),
      .activation(.relu), .dense(DenseLayer(outputs: 10)),
    ])
    let v = try Architecture(parsing: "64 dense(10) dense(10) dense(10)")
    #expect(v.input == InputSpec(shape: TensorShape(channels: 1, spatial: [64]), form: .vector))
    #expect(v.layers == Array(repeating: .dense(DenseLayer(outputs: 10)), count: 3))
    let rect = try Architecture(parsing: "1x6x5 conv(2,k=3x2) dense(1)")
    #expect(rect.layers[0] == .conv(ConvLayer(outChannels: 2, kernel: [3, 2])))
  }

  /// parse(print(a)) == a and print(parse(print(a))) == print(a) on many random architectures.
  @Test func randomArchitecturesRoundTrip() throws {
    var generator = ArchitectureGenerator(seed: 2024)
    var twoD = 0, rectangular = 0
    for _ in 0..<600 {
      let a = generator.next()
      _ = try a.layerInfos()  // the generator only makes valid networks
      let text = a.description
      let parsed = try Architecture(parsing: text)
      #expect(parsed == a, "\(text)")
      #expect(parsed.description == text)
      if a.input.shape.spatial.count == 2 { twoD += 1 }
      if text.split(separator: " ").dropFirst().contains(where: { $0.contains("x") }) {
        rectangular += 1
      }
    }
    // The generator really exercises 2-D and non-square sizes.
    #expect(twoD > 100)
    #expect(rectangular > 30)
  }

  /// Spaces inside parentheses, around '=' and ',', and between layers do not matter.
  @Test func whitespaceIsTolerated() throws {
    var generator = ArchitectureGenerator(seed: 7)
    var random = SeededRandom(seed: 99)
    for _ in 0..<200 {
      let a = generator.next()
      var spaced = ""
      for ch in a.description {
        switch ch {
        case "(", ",", "=": spaced += String(ch) + String(repeating: " ", count: random.nextInt(in: 0...2))
        case ")": spaced += String(repeating: " ", count: random.nextInt(in: 0...2)) + ")"
        case " ": spaced += String(repeating: " ", count: random.nextInt(in: 1...3))
        default: spaced.append(ch)
        }
      }
      spaced = "  " + spaced.replacingOccurrences(of: ",", with: " ,") + "\t"
      #expect(try Architecture(parsing: spaced) == a, "\(spaced)")
    }
    #expect(try Architecture(parsing: "1x16 conv(4, k=3)  dense( 2 )").description == "1x16 conv(4,k=3) dense(2)")
  }

  @Test func leakySlopesAreExactRationals() throws {
    #expect(try Architecture(parsing: "4 leaky(0.01) dense(1)").layers[0] == .activation(.leaky(slope: Rational(1, 100))))
    #expect(try Architecture(parsing: "4 leaky(1/10) dense(1)").layers[0] == .activation(.leaky(slope: Rational(1, 10))))
    #expect(try Architecture(parsing: "4 leaky(2/20) dense(1)").description == "4 leaky(1/10) dense(1)")
    #expect(try Architecture(parsing: "4 leaky(1e-1) dense(1)").description == "4 leaky(1/10) dense(1)")
    #expect(try Architecture(parsing: "4 leaky(-0.5) dense(1)").description == "4 leaky(-1/2) dense(1)")
    // PyTorch's default negative_slope when none is given.
    #expect(try Architecture(parsing: "4 leaky dense(1)").description == "4 leaky(1/100) dense(1)")
  }

  @Test func extensionsOfTheGrammarReadToCanonicalForms() throws {
    let cases: [(String, String)] = [
      ("4 linear dense(1)", "4 identity dense(1)"),
      ("4 relu() dense(1)", "4 relu dense(1)"),
      ("1×4×4 conv(1,k=3×2) dense(1)", "1x4x4 conv(1,k=3x2) dense(1)"),
      ("1x4x4 conv(1,k=2x2,s=1x1,p=0x0,dil=1x1) dense(1)", "1x4x4 conv(1,k=2) dense(1)"),
      ("1x8 conv(1,bias,dil=2,k=3,p=1) dense(1)", "1x8 conv(1,k=3,p=1,dil=2,bias) dense(1)"),
      ("1x8 avgpool(k=2,s=2) dense(1)", "1x8 avgpool(k=2) dense(1)"),
      ("1x8 leaky(slope=1/4) dense(1)", "1x8 leaky(1/4) dense(1)"),
    ]
    for (text, canonical) in cases {
      #expect(try Architecture(parsing: text).description == canonical, "\(text)")
    }
    // `D` and `1xD` are the same shape but print as written.
    let vector = try Architecture(parsing: "16 dense(2)")
    let signal = try Architecture(parsing: "1x16 dense(2)")
    #expect(vector.input.shape == signal.input.shape)
    #expect(try vector.parameterCount() == signal.parameterCount())
    #expect(vector.description == "16 dense(2)" && signal.description == "1x16 dense(2)")
  }

  /// The error says where: the column points at the offending characters.
  @Test func errorColumnsPointAtTheOffendingText() throws {
    let text = "1x16 conv(4,q=3) dense(2)"
    let error = try #require(throws: ArchitectureParseError.self) { try Architecture(parsing: text) }
    #expect(error.column == 13 && error.length == 3)
    #expect(error.layer == 0)
    #expect(error.diagram == text + "\n" + String(repeating: " ", count: 12) + "^^^")
    #expect(error.description.hasPrefix("column 13 of \"\(text)\": "))
    #expect(!error.description.contains("\n"))
  }
}
