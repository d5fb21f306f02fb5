import ConvNet
import Foundation
import Testing

/// The `"loss"` config key: read, written back, checked.
@Suite struct LossConfigTests {
  @Test func lossKeyRoundTrips() throws {
    let ce = try NetworkConfig(json: Data(#"{"architecture": "4 dense(3)", "loss": "ce"}"#.utf8))
    #expect(ce.instance.loss == .crossEntropy)
    let back = try NetworkConfig(json: ce.jsonData())
    #expect(back == ce)
    let mse = try NetworkConfig(json: Data(#"{"architecture": "4 dense(3)"}"#.utf8))
    #expect(mse.instance.loss == .mse)
    // MSE, the default, is not written (configs written before the key are unchanged).
    #expect(!String(decoding: mse.jsonData(), as: UTF8.self).contains("loss"))
    #expect(try NetworkConfig(json: Data(#"{"architecture": "4 dense(3)", "loss": "mse"}"#.utf8)) == mse)
  }

  @Test func badLossIsOneLine() {
    #expect(throws: ConfigError(#""loss" must be one of "mse", "ce", found "CE""#)) {
      try NetworkConfig(json: Data(#"{"architecture": "4 dense(3)", "loss": "CE"}"#.utf8))
    }
    #expect(throws: ConfigError.self) { try NetworkConfig(json: Data(#"{"architecture": "4 dense(3)", "loss": 1}"#.utf8)) }
  }
}
