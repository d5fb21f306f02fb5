/// A file one part of an instance is read from, and its SHA-256 once it has been read.
public struct InstanceFileReference: Equatable, Hashable, Sendable {
  /// The path as given (configs: relative to the config file; the command line: the working directory).
  public var path: String
  /// 64 lowercase hex digits; nil until the file has been read. When a config or certificate
  /// gives it, the file must still have this digest.
  public var sha256: String?

  /// A reference to `path`.
  public init(path: String, sha256: String? = nil) {
    self.path = path
    self.sha256 = sha256
  }
}

/// The files an instance's weights θ, inputs X and targets Y come from (any subset; the rest
/// is drawn from the seed). The `InstanceFiles` module reads them into explicit values.
public struct InstanceFileSet: Equatable, Hashable, Sendable {
  /// θ: a .safetensors file, a directory of `<name>.npy`, or one .npy (by name, or θ flat).
  public var weights: InstanceFileReference?
  /// X: one .npy of shape (n, sample shape…), any float or integer dtype.
  public var data: InstanceFileReference?
  /// Y: one .npy of shape (n, K) (or (n,) when K = 1).
  public var targets: InstanceFileReference?
  /// Class indices: one .npy of shape (n,), each in 0..<K; Y is their one-hot encoding.
  public var labels: InstanceFileReference?
  /// Use only the first rows of the data, targets and labels (a sweep's `samples`, `--samples`).
  public var rowLimit: Int?

  /// No files.
  public init(weights: InstanceFileReference? = nil, data: InstanceFileReference? = nil,
              targets: InstanceFileReference? = nil, labels: InstanceFileReference? = nil, rowLimit: Int? = nil) {
    self.weights = weights
    self.data = data
    self.targets = targets
    self.labels = labels
    self.rowLimit = rowLimit
  }

  /// True when nothing comes from a file.
  public var isEmpty: Bool { weights == nil && data == nil && targets == nil && labels == nil }

  /// The references with their roles, in a fixed order (weights, data, targets, labels).
  public var all: [(role: String, reference: InstanceFileReference)] {
    [("weights", weights), ("data", data), ("targets", targets), ("labels", labels)].compactMap { pair in
      pair.1.map { (pair.0, $0) }
    }
  }

  /// Each path joined to `directory` when it is relative (configs name files relative to themselves).
  public func relative(to directory: String) -> InstanceFileSet {
    func join(_ r: InstanceFileReference?) -> InstanceFileReference? {
      guard var r else { return nil }
      if !r.path.hasPrefix("/") && !directory.isEmpty && directory != "." {
        r.path = directory.hasSuffix("/") ? directory + r.path : directory + "/" + r.path
      }
      return r
    }
    return InstanceFileSet(weights: join(weights), data: join(data), targets: join(targets), labels: join(labels),
                           rowLimit: rowLimit)
  }
}
