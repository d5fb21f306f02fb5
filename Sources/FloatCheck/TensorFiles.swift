import Foundation

/// Reading a set of named tensors from whatever the user points at.
public enum TensorFiles {
  /// The tensors at `path`: a directory of `.npy` files (keyed by file stem), a `.npy` file
  /// (one tensor named by its stem), or a `.safetensors` file. Files are told apart by their
  /// first bytes, not their names. Unless `allowNonFinite`, NaN or infinity is an error.
  public static func read(_ path: String, allowNonFinite: Bool = false) throws -> [String: FloatTensor] {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      return try NumpyFile.readDirectory(path, allowNonFinite: allowNonFinite)
    }
    let bytes = try readFileBytes(path)
    if bytes.starts(with: NumpyFile.magic) {
      let t = try NumpyFile.decode(bytes, name: NumpyFile.stem(of: path), file: path, allowNonFinite: allowNonFinite)
      return [t.name: t]
    }
    return try SafetensorsFile.decode(bytes, file: path, allowNonFinite: allowNonFinite).tensors
  }
}
