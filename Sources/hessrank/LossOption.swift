import ConvNet

/// `--loss mse|ce`, shared by `rank` and `certify`.
enum LossOption {
  /// The loss: `--loss` when given, else the config's `"loss"` key (MSE by default).
  /// - Throws: `CLIError` for a value other than mse or ce.
  static func parse(_ args: ParsedArguments, config: NetworkConfig) throws -> LossFunction {
    guard let l = args.value("loss") else { return config.instance.loss }
    guard let loss = LossFunction(rawValue: l) else {
      throw CLIError("--loss must be mse or ce, got '\(l.prefix(40))'")
    }
    return loss
  }
}
