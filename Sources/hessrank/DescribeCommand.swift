import ConvNet
import Foundation

/// `hessrank describe CONFIG|ARCH [--json]`: layer shapes, output sizes d_l, receptive fields,
/// parameter tensors and counts, and each linear layer's matrix size, to check against
/// PyTorch's own summary.
enum DescribeCommand: Subcommand {
  static let name = "describe"
  static let abstract = "Shapes, receptive fields, parameters and Toeplitz sizes of a network"
  static let help = """
    USAGE: hessrank describe <CONFIG|ARCH> [--json]

    Describes a network layer by layer: input and output shapes (channels first, as PyTorch),
    output positions d_l, receptive field on the input, parameter tensors in PyTorch
    state_dict order with their offsets in θ, and the size (rows x cols) of each linear
    layer's matrix (the Toeplitz matrix of a conv layer). Totals: p, K and the input size.

    ARGUMENTS:
      <CONFIG|ARCH>   a JSON config file (an existing file or a name ending in .json), or an
                      architecture string such as "1x16 conv(4,k=3) conv(4,k=3) dense(2)"
                      (quote it; several words are joined with spaces)

    OPTIONS:
      --json          print one JSON object: p, K, input, output, layers[] (and instance)

    Grammar and config schema: docs/architectures.md, docs/config.md.

    EXAMPLES:
      hessrank describe "1x16 conv(4,k=3) conv(4,k=3) dense(2)"
      hessrank describe examples/configs/cnn2d-5x5-k3-m2-K2.json --json
    """
  static let spec = ArgumentSpec(valued: [], flags: ["json"])

  static func run(_ args: ParsedArguments) throws -> Int32 {
    guard !args.positional.isEmpty else {
      throw CLIError("expected <CONFIG|ARCH>: a JSON config file or an architecture string like \"1x16 conv(4,k=3) dense(2)\"")
    }
    let argument = args.positional.joined(separator: " ")
    let config: NetworkConfig
    do {
      config = try NetworkConfig.load(configOrArchitecture: argument)
    } catch {
      throw CLIError(error.description)
    }
    // Instance settings are shown only when they came from a config file.
    let fromFile = FileManager.default.fileExists(atPath: argument) || argument.lowercased().hasSuffix(".json")
    let description = try NetworkDescription(config, includesInstance: fromFile)
    Console.out(args.has("json") ? description.json : description.table)
    return 0
  }
}
