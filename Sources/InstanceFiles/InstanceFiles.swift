import ConvNet
import Exact
import FloatCheck
import FloatVerification
import Foundation

/// What is wrong with a file an instance is read from: one line for the user.
public enum InstanceFileError: Error, Equatable, CustomStringConvertible {
  /// The file cannot be read or decoded, or its tensors do not fit the architecture.
  case invalid(String)
  /// The file exists but its SHA-256 is not the recorded one.
  case changed(role: String, path: String, recorded: String, actual: String)
  /// The recorded file is not there.
  case missing(role: String, path: String)
  /// The file has the recorded digest but the explicit values are not the file's.
  case differs(role: String, path: String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .invalid(let s): return s
    case .changed(let role, let path, let recorded, let actual):
      return "the \(role) file \(path) has changed: its SHA-256 is \(actual.prefix(16))…, the recorded one \(recorded.prefix(16))…"
    case .missing(let role, let path):
      return "the \(role) file \(path) recorded with a SHA-256 cannot be read"
    case .differs(let role, let path):
      return "the \(role) values in the certificate are not the values of \(path)"
    }
  }
}

/// Reading the weights θ, inputs X, targets Y or class labels of an instance from files
/// (`InstanceFileSet`): .npy (every float and integer dtype, read exactly: each float is a
/// dyadic rational), .safetensors, or a directory of `<name>.npy`, with PyTorch `state_dict`
/// names by stage index (`hessrank describe` lists them). Every file is recorded by its SHA-256.
public enum InstanceFiles {
  /// The settings with every named file read into explicit values and its digest recorded.
  /// Parts given both as a file and as explicit values (a certificate's config) are not read
  /// again; their file must still have the recorded digest. `search` lists directories tried
  /// in turn for relative paths that do not exist as given (e.g. a certificate's directory).
  public static func resolve(_ settings: InstanceSettings, architecture: Architecture,
                             search: [String] = []) throws(InstanceFileError) -> InstanceSettings {
    var s = settings
    var files = s.files
    guard !files.isEmpty else { return s }
    let plan: NetworkPlan
    do { plan = try NetworkPlan(architecture) } catch { throw .invalid("\(error)") }
    let k = plan.outputSize
    var rows: [(role: String, path: String, count: Int)] = []

    if var ref = files.weights {
      let read = try readRecorded(&ref, role: "weights", search: search)
      if s.weights == nil, let read { s.weights = try weights(read, path: ref.path, architecture: architecture, p: plan.parameterCount) }
      files.weights = ref
    }
    if var ref = files.data {
      let read = try readRecorded(&ref, role: "data", search: search)
      if s.inputs == nil, let read {
        let t = try oneTensor(read, path: ref.path)
        let (n, values) = try samples(t, path: ref.path, shapes: FloatNetworkData.inputSampleShapes(of: architecture))
        let d = plan.inputSize
        s.inputs = (0..<n).map { Array(values[($0 * d)..<(($0 + 1) * d)]) }
      }
      if let x = s.inputs { rows.append(("data", ref.path, x.count)) }
      files.data = ref
    }
    if var ref = files.targets {
      let read = try readRecorded(&ref, role: "targets", search: search)
      if s.targetValues == nil, let read {
        let t = try oneTensor(read, path: ref.path)
        let (n, values) = try samples(t, path: ref.path, shapes: FloatNetworkData.targetSampleShapes(outputs: k))
        s.targetValues = (0..<n).map { Array(values[($0 * k)..<(($0 + 1) * k)]) }
      }
      if let y = s.targetValues { rows.append(("targets", ref.path, y.count)) }
      files.targets = ref
    }
    if var ref = files.labels {
      let read = try readRecorded(&ref, role: "labels", search: search)
      if s.targetValues == nil, let read {
        s.targetValues = try oneHot(try oneTensor(read, path: ref.path), path: ref.path, classes: k)
      }
      if let y = s.targetValues { rows.append(("labels", ref.path, y.count)) }
      files.labels = ref
    }
    if let first = rows.first, let other = rows.first(where: { $0.count != first.count }) {
      throw .invalid("\(first.path) holds n = \(first.count) samples but \(other.path) holds \(other.count); the \(first.role) and \(other.role) must have one row per sample")
    }
    if let n = rows.first?.count {
      let limit = files.rowLimit ?? n
      guard limit <= n else {
        throw .invalid("\(limit) samples asked for, but \(rows[0].path) holds only \(n) rows")
      }
      guard (1...NetworkConfig.maxSamples).contains(limit) else {
        throw .invalid("\(rows[0].path) holds \(n) samples; between 1 and \(NetworkConfig.maxSamples) are supported")
      }
      if files.data != nil { s.inputs = Array(s.inputs!.prefix(limit)) }
      if files.targets != nil || files.labels != nil { s.targetValues = Array(s.targetValues!.prefix(limit)) }
      s.samples = limit
    }
    s.files = files
    return s
  }

  /// The config with its files read (see `resolve(_:architecture:search:)`).
  public static func resolve(_ config: NetworkConfig, search: [String] = []) throws(InstanceFileError) -> NetworkConfig {
    var c = config
    c.instance = try resolve(config.instance, architecture: config.architecture, search: search)
    return c
  }

  /// Checks a certificate's config: every recorded file still has its SHA-256 and still holds
  /// exactly the explicit values the config carries (the point that was certified).
  public static func verifyRecorded(_ config: NetworkConfig, search: [String] = []) throws(InstanceFileError) {
    let files = config.instance.files
    guard !files.isEmpty else { return }
    var fresh = config.instance
    if files.weights != nil { fresh.weights = nil }
    if files.data != nil { fresh.inputs = nil }
    if files.targets != nil || files.labels != nil { fresh.targetValues = nil }
    let read = try resolve(fresh, architecture: config.architecture, search: search)
    let recorded = config.instance
    if let f = files.weights, read.weights != recorded.weights { throw .differs(role: "weights", path: f.path) }
    if let f = files.data, read.inputs != recorded.inputs { throw .differs(role: "data", path: f.path) }
    if let f = files.targets ?? files.labels, read.targetValues != recorded.targetValues {
      throw .differs(role: files.targets != nil ? "targets" : "labels", path: f.path)
    }
  }

  // MARK: Reading

  /// Reads the file (or directory) of `ref`, records its digest, and checks it against a
  /// recorded one. Returns the tensors, or nil when the values are already explicit.
  static func readRecorded(_ ref: inout InstanceFileReference, role: String,
                           search: [String]) throws(InstanceFileError) -> [String: FloatTensor]? {
    var path = ref.path
    if !FileManager.default.fileExists(atPath: path), !path.hasPrefix("/") {
      for dir in search {
        let candidate = (dir as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: candidate) { path = candidate; break }
      }
    }
    let (digest, tensors): (String, [String: FloatTensor])
    do {
      (digest, tensors) = try digestAndTensors(path)
    } catch let e as InstanceFileError {
      if ref.sha256 != nil, case .invalid = e, !FileManager.default.fileExists(atPath: path) {
        throw .missing(role: role, path: ref.path)
      }
      throw e
    } catch {
      throw .invalid("\(ref.path): \(error)")
    }
    if let recorded = ref.sha256, recorded != digest {
      throw .changed(role: role, path: ref.path, recorded: recorded, actual: digest)
    }
    ref.sha256 = digest
    return tensors
  }

  /// The SHA-256 and the tensors of a file; a directory's digest is the SHA-256 of its
  /// `<name>.npy` files' names and digests, one "name digest" line each, sorted by name.
  public static func digestAndTensors(_ path: String) throws -> (digest: String, tensors: [String: FloatTensor]) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw InstanceFileError.invalid("\(path): no such file")
    }
    do {
      if isDirectory.boolValue {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".npy") && !$0.hasPrefix(".") }.sorted()
        var listing = ""
        for name in names {
          let bytes = try bytes(of: (path as NSString).appendingPathComponent(name))
          listing += "\(name) \(SHA256.hex(bytes))\n"
        }
        return (SHA256.hex(Array(listing.utf8)), try NumpyFile.readDirectory(path))
      }
      let data = try bytes(of: path)
      let digest = SHA256.hex(data)
      if data.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
        let base = (path as NSString).lastPathComponent
        let stem = base.hasSuffix(".npy") ? String(base.dropLast(4)) : base
        let t = try NumpyFile.decode(data, name: stem, file: path)
        return (digest, [t.name: t])
      }
      return (digest, try SafetensorsFile.decode(data, file: path).tensors)
    } catch let e as InstanceFileError {
      throw e
    } catch let e as TensorFileError {
      if case .nonFinite = e { throw InstanceFileError.invalid("\(path): \(e)") }
      throw InstanceFileError.invalid("\(e)")
    }
  }

  static func bytes(of path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InstanceFileError.invalid("\(path): cannot read")
    }
    return [UInt8](data)
  }

  // MARK: Mapping

  /// θ from named tensors (PyTorch `state_dict` names), or from one 1-D tensor of p values in
  /// `state_dict` order.
  static func weights(_ tensors: [String: FloatTensor], path: String, architecture: Architecture,
                      p: Int) throws(InstanceFileError) -> [Rational] {
    do {
      let layout = try FloatNetworkData.layout(of: architecture)
      let names = Set(layout.map(\.name))
      if tensors.count == 1, let only = tensors.values.first, !names.contains(only.name), only.shape.count == 1 {
        guard only.count == p else {
          throw InstanceFileError.invalid("\(path): one tensor of \(only.count) values, but the architecture has p = \(p) parameters (a flat θ in state_dict order, or tensors named \(layout.map(\.name).joined(separator: ", ")))")
        }
        return try only.exactValues()
      }
      do {
        return try ParameterMapping.exactParameters(tensors, layout: layout)
      } catch TensorMappingError.missing(let name, let shape, let available) {
        if let other = tensors.values.filter({ !names.contains($0.name) && $0.shape == shape }).map(\.name).sorted().first {
          throw FloatVerificationError.misnamedTensor(expected: name, found: other, shape: shape)
        }
        throw TensorMappingError.missing(name: name, shape: shape, available: available)
      }
    } catch let e as InstanceFileError {
      throw e
    } catch {
      throw .invalid("\(path): \(error)")
    }
  }

  static func oneTensor(_ tensors: [String: FloatTensor], path: String) throws(InstanceFileError) -> FloatTensor {
    guard tensors.count == 1, let t = tensors.values.first else {
      throw .invalid("\(path): expected one tensor, found \(tensors.count) (\(tensors.keys.sorted().joined(separator: ", ")))")
    }
    return t
  }

  static func samples(_ t: FloatTensor, path: String, shapes: [[Int]]) throws(InstanceFileError) -> (Int, [Rational]) {
    do {
      let (n, values) = try ParameterMapping.exactSamples(t, sampleShapes: shapes)
      guard n >= 1 else { throw InstanceFileError.invalid("\(path): no samples (shape \(t.shapeDescription))") }
      return (n, values)
    } catch let e as InstanceFileError {
      throw e
    } catch {
      throw .invalid("\(path): \(error)")
    }
  }

  /// One-hot rows from class indices 0..<K (`FloatNetworkData.oneHotRows`).
  static func oneHot(_ t: FloatTensor, path: String, classes k: Int) throws(InstanceFileError) -> [[Rational]] {
    do {
      return try FloatNetworkData.oneHotRows(labels: t, path: path, classes: k)
    } catch {
      throw .invalid("\(error)")
    }
  }
}
