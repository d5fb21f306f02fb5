import ConvNet
import FloatCheck
import Foundation
import InstanceFiles

/// `hessrank instance CONFIG|ARCH --out DIR`: writes the exact point the other commands use.
enum InstanceCommand: Subcommand {
  static let name = "instance"
  static let abstract = "Write the instance's weights, inputs and targets as safetensors/.npy files"
  static let spec = ArgumentSpec(valued: NetworkOptions.valued.union(["out"]), flags: [])
  static let help = """
    USAGE: hessrank instance <CONFIG|ARCH> --out DIR [instance options]

    Writes the point rank, certify, hessian and table use for these options, as float64
    files that JAX, PyTorch or NumPy load exactly:
      DIR/weights.safetensors   θ as PyTorch state_dict tensors (<layer index>.weight/.bias)
      DIR/X.npy                 inputs, shape (n, C, H, W), (n, C, D) or (n, 1, D)
      DIR/Y.npy                 targets, shape (n, K)
      DIR/config.json           the architecture and the three files with their SHA-256:
                                'hessrank rank DIR/config.json' computes at the same point
    Values must be exactly float64 (integers, or values read from float files).

    OPTIONS:
      --out DIR    the directory (created if missing)
    \(NetworkOptions.help)

    EXAMPLE:
      hessrank instance "1x8x8 conv(4,k=3,bias) relu dense(10)" --samples 20 --out point
      python -c "import numpy as np; print(np.load('point/X.npy').shape)"
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    let config = try NetworkOptions.load(args)
    guard let out = args.value("out") else { throw CLIError("--out DIR is required") }
    let instance = try NetworkOptions.instance(config)
    let export: InstanceExport
    do {
      export = try InstanceExport(instance)
    } catch {
      throw CLIError(error.description)
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
      throw CLIError("--out \(out) is a file; give a directory")
    }
    do {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    } catch {
      throw CLIError("cannot create \(out): \(error.localizedDescription)")
    }
    func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
    let weights = export.weightsFile
    do {
      try AtomicFile.write(Data(weights), to: path("weights.safetensors"))
      try NumpyFile.write(values: export.inputs, shape: export.inputShape, to: path("X.npy"))
      try NumpyFile.write(values: export.targets, shape: export.targetShape, to: path("Y.npy"))
    } catch let e as CLIError {
      throw e
    } catch {
      throw CLIError("\(error)")
    }
    // A config naming the files (relative to itself) with their digests.
    var s = config.instance
    s.weights = nil
    s.inputs = nil
    s.targetValues = nil
    func digest(_ name: String) -> InstanceFileReference {
      let bytes = FileManager.default.contents(atPath: path(name)).map { [UInt8]($0) } ?? []
      return InstanceFileReference(path: name, sha256: SHA256.hex(bytes))
    }
    s.files = InstanceFileSet(weights: digest("weights.safetensors"), data: digest("X.npy"), targets: digest("Y.npy"))
    let written = NetworkConfig(architecture: config.architecture, instance: s, comment: "written by hessrank instance")
    try AtomicFile.write(written.jsonData(), to: path("config.json"))
    Console.out("""
      network   \(config.architecture)
      instance  \(NetworkOptions.instanceSummary(config, n: instance.sampleCount))
      wrote     \(path("weights.safetensors")) (\(export.weights.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")))
                \(path("X.npy")) \(export.inputShape), \(path("Y.npy")) \(export.targetShape), \(path("config.json"))
      """)
    return 0
  }
}
