import Exact
import Foundation
import Testing
@testable import ConvNet

/// `maxpool(k=…,s=…)` in the grammar, in JSON configs (PyTorch's MaxPool keys) and in describe.
@Suite struct MaxPoolArchitectureTests {
  @Test func parsesAndPrintsBack() throws {
    let a = try Architecture(parsing: "1x8x8 conv(2,k=3,bias) relu maxpool(k=2) dense(3)")
    #expect(a.layers[2] == .maxPool(MaxPoolLayer(kernel: [2, 2], stride: [2, 2])))
    #expect(a.description == "1x8x8 conv(2,k=3,bias) relu maxpool(k=2) dense(3)")
    let infos = try a.layerInfos()
    #expect(infos[2].output == TensorShape(channels: 2, spatial: [3, 3]))
    #expect(try a.parameterCount() == 2 * 9 + 2 + 3 * 18)
    let b = try Architecture(parsing: "2x10 maxpool(k=3,s=2) dense(1)")
    #expect(b.description == "2x10 maxpool(k=3,s=2) dense(1)")
    #expect(try b.layerInfos()[0].output == TensorShape(channels: 2, spatial: [4]))
    let c = try Architecture(parsing: "1x5x7 maxpool(k=2x3,s=1x2) dense(1)")
    #expect(try c.layerInfos()[0].output == TensorShape(channels: 1, spatial: [4, 3]))
  }

  @Test func errorsSayTheFix() throws {
    func message(_ text: String) -> String {
      do {
        _ = try Architecture(parsing: text)
        return ""
      } catch { return error.description }
    }
    #expect(message("1x8 maxpool2d(k=2) dense(1)").contains("write maxpool(k=2)"))
    #expect(message("1x8 maxpool(2) dense(1)").contains("maxpool(k=2)"))
    #expect(message("1x8 maxpool(s=2) dense(1)").contains("maxpool needs a window"))
    #expect(message("1x8 maxpool(k=9) dense(1)").contains("maxpool window 9 is larger"))
    #expect(message("4 dense(3) maxpool(k=2) dense(1)").contains("maxpool after a dense layer"))
  }

  @Test func configRoundTripAndPyTorchKeys() throws {
    let a = try Architecture(parsing: "1x6x6 conv(2,k=3) maxpool(k=2,s=1) dense(2)")
    let config = NetworkConfig(architecture: a)
    #expect(try NetworkConfig(json: config.jsonData()) == config)
    #expect(try NetworkConfig(json: config.jsonData(structuredLayers: true)) == config)
    let json = """
      {"input": {"channels": 1, "height": 6, "width": 6}, "layers": [
        {"type": "conv", "out_channels": 2, "kernel_size": 3},
        {"type": "maxpool", "kernel_size": [2, 2], "stride": 1, "padding": 0, "dilation": 1, "ceil_mode": false},
        {"type": "dense", "out_features": 2}]}
      """
    #expect(try NetworkConfig(json: Data(json.utf8)).architecture == a)
    let padded = json.replacingOccurrences(of: "\"padding\": 0", with: "\"padding\": 1")
    let error = try #require(throws: ConfigError.self) { try NetworkConfig(json: Data(padded.utf8)) }
    #expect(error.description.contains("padded max pooling is not supported"))
  }

  @Test func describeShowsTheSelection() throws {
    let a = try Architecture(parsing: "1x8 conv(2,k=3) maxpool(k=2) dense(1)")
    let table = try NetworkDescription(NetworkConfig(architecture: a), includesInstance: false).table
    #expect(table.contains("maxpool(k=2)"))
    #expect(table.contains("6 x 12 (0/1 selection)"))
  }
}
