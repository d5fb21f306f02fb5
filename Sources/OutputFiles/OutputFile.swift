#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file could not be written: one line for the user.
public struct OutputFileError: Error, Equatable, CustomStringConvertible {
  /// The path as the user gave it.
  public let path: String
  /// What went wrong (no path in it).
  public let reason: String
  init(_ path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }
  /// `cannot write "PATH": REASON`, the path quoted and cut.
  public var description: String { "cannot write \(OutputFile.quoted(path)): \(reason)" }
}

/// The one writer behind every file the tool produces (certificates, tables, plots, matrices,
/// `.npy` files), with the behaviour of the tools people trust:
///
/// * `-` is standard output;
/// * a regular file (or a path that does not exist yet) is replaced atomically: the bytes go to
///   a new temporary file in the same directory, created with `O_CREAT|O_EXCL|O_NOFOLLOW` (a file
///   or link planted under that name is never opened), synced, then renamed over the target, so a
///   reader sees the old or the new file, never half of one; an existing file keeps its mode and
///   (when run as root) its owner;
/// * a symbolic link is followed to its target, which is then written the same way: the link
///   itself is never replaced. As the kernel's `protected_symlinks` does, a link in a sticky
///   world-writable directory (such as /tmp) is followed only when it belongs to the caller or
///   to the directory's owner;
/// * a character device, FIFO or socket is written in place (so `/dev/stdout`, a pipe or a
///   device node work, and are never replaced by a regular file);
/// * a directory or a block device is an error.
///
/// Temporary files of processes that died before their rename (e.g. killed) are removed the
/// next time the same target is written.
public enum OutputFile {
  /// The name that means standard output.
  public static let standardOutputName = "-"

  /// The marker in temporary file names: `.<name>.hessrank-<pid>-<random>.tmp`.
  static let temporaryMarker = ".hessrank-"

  /// Writes `bytes` to `path` as described on the type.
  public static func write(_ bytes: [UInt8], to path: String) throws(OutputFileError) {
    guard !path.isEmpty else { throw OutputFileError(path, "the file name is empty") }
    if path == standardOutputName {
      try writeAll(bytes, to: STDOUT_FILENO, path: "standard output")
      return
    }
    let target = try resolveLinks(path)
    var st = stat()
    if lstat(target, &st) == 0 {
      switch st.st_mode & S_IFMT {
      case S_IFREG:
        try replaceAtomically(target, with: bytes, shownAs: path, existing: st)
      case S_IFCHR, S_IFIFO:
        try writeInPlace(target, bytes, shownAs: path)
      case S_IFSOCK:
        throw OutputFileError(path, "it is a socket, which cannot be opened as a file")
      case S_IFDIR:
        throw OutputFileError(path, "it is a directory; give a file name")
      case S_IFBLK:
        throw OutputFileError(path, "it is a block device; refusing to overwrite it")
      default:
        throw OutputFileError(path, "it is not a regular file")
      }
    } else if errno == ENOENT {
      try replaceAtomically(target, with: bytes, shownAs: path, existing: nil)
    } else {
      throw OutputFileError(path, lastError())
    }
  }

  /// Writes UTF-8 text (see `write(_:to:)`).
  public static func write(text: String, to path: String) throws(OutputFileError) {
    try write(Array(text.utf8), to: path)
  }

  // MARK: - Symbolic links

  /// The path with every symbolic link of its last component followed (at most 40 hops).
  static func resolveLinks(_ path: String) throws(OutputFileError) -> String {
    var current = path
    for _ in 0..<40 {
      var st = stat()
      guard lstat(current, &st) == 0 else { return current }
      guard st.st_mode & S_IFMT == S_IFLNK else { return current }
      let directory = directoryName(current)
      try checkLinkMayBeFollowed(current, link: st, directory: directory, shownAs: path)
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, Int(PATH_MAX))
      guard n > 0 else { throw OutputFileError(path, "cannot read the symbolic link \(quoted(current)): \(lastError())") }
      let destination = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = destination.hasPrefix("/") ? destination : directory + "/" + destination
    }
    throw OutputFileError(path, "too many levels of symbolic links")
  }

  /// Refuses a link in a sticky, world-writable directory unless the caller or the directory's
  /// owner owns it (the rule of Linux's fs.protected_symlinks), so a link planted in /tmp by
  /// another user cannot redirect a write.
  static func checkLinkMayBeFollowed(_ linkPath: String, link: stat, directory: String, shownAs path: String) throws(OutputFileError) {
    var dir = stat()
    guard stat(directory, &dir) == 0 else { return }
    let sticky = dir.st_mode & S_ISVTX != 0
    let worldWritable = dir.st_mode & S_IWOTH != 0
    guard sticky && worldWritable else { return }
    if link.st_uid == geteuid() || link.st_uid == dir.st_uid { return }
    throw OutputFileError(path, "refusing to follow the symbolic link \(quoted(linkPath)): it belongs to another user in a shared sticky directory")
  }

  // MARK: - Devices, FIFOs

  static func writeInPlace(_ target: String, _ bytes: [UInt8], shownAs path: String) throws(OutputFileError) {
    let fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { throw OutputFileError(path, lastError()) }
    defer { close(fd) }
    try writeAll(bytes, to: fd, path: path)
  }

  // MARK: - Regular files

  static func replaceAtomically(_ target: String, with bytes: [UInt8], shownAs path: String, existing: stat?) throws(OutputFileError) {
    let directory = directoryName(target)
    let name = baseName(target)
    guard !name.isEmpty, name != ".", name != ".." else { throw OutputFileError(path, "it is a directory; give a file name") }
    removeStaleTemporaries(in: directory, of: name)
    let (fd, temporary) = try createTemporary(in: directory, of: name, shownAs: path)
    var committed = false
    defer {
      if !committed { unlink(temporary) }
    }
    do {
      defer { close(fd) }
      if let existing {
        // Keep the replaced file's permissions, and its owner when we may.
        _ = fchmod(fd, existing.st_mode & 0o7777)
        if geteuid() == 0 { _ = fchown(fd, existing.st_uid, existing.st_gid) }
      }
      try writeAll(bytes, to: fd, path: path)
      guard fsync(fd) == 0 else { throw OutputFileError(path, lastError()) }
    }
    guard rename(temporary, target) == 0 else { throw OutputFileError(path, lastError()) }
    committed = true
    syncDirectory(directory)
  }

  /// A new temporary file beside the target, opened exclusively and without following links.
  static func createTemporary(in directory: String, of name: String, shownAs path: String) throws(OutputFileError) -> (Int32, String) {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<64 {
      let random: UInt64 = generator.next()
      let tag = String(random & 0xFFFF_FFFF_FFFF, radix: 36)
      let temporary = "\(directory)/.\(name)\(temporaryMarker)\(getpid())-\(tag).tmp"
      let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
      if fd >= 0 { return (fd, temporary) }
      if errno != EEXIST { throw OutputFileError(path, "cannot create a temporary file in \(quoted(directory)): \(lastError())") }
    }
    throw OutputFileError(path, "cannot create a temporary file in \(quoted(directory))")
  }

  /// Removes `.<name>.hessrank-<pid>-….tmp` files whose process no longer exists.
  static func removeStaleTemporaries(in directory: String, of name: String) {
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    let prefix = ".\(name)\(temporaryMarker)"
    while let entry = readdir(dir) {
      let entryName = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
      }
      guard entryName.hasPrefix(prefix), entryName.hasSuffix(".tmp") else { continue }
      let rest = entryName.dropFirst(prefix.count)
      guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[rest.startIndex..<dash]), pid > 0 else { continue }
      if pid == getpid() { continue }
      guard kill(pid, 0) != 0, errno == ESRCH else { continue }
      let full = "\(directory)/\(entryName)"
      var st = stat()
      if lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(full) }
    }
  }

  static func syncDirectory(_ directory: String) {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }

  // MARK: - Helpers

  static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(OutputFileError) {
    var offset = 0
    let failure: String? = bytes.withUnsafeBytes { raw -> String? in
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return lastError()
        }
        offset += n
      }
      return nil
    }
    if let failure { throw OutputFileError(path, failure) }
  }

  static func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  static func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  static func lastError() -> String { String(cString: strerror(errno)) }

  /// A path for a message: quoted, control characters escaped, long paths cut.
  static func quoted(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars.prefix(200) {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
          out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    if s.unicodeScalars.count > 200 { out += "…" }
    return "\"\(out)\""
  }
}
