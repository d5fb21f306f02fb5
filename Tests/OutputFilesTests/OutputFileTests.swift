import Foundation
import Testing
@testable import OutputFiles

/// Every case runs inside a fresh temporary directory: FIFOs, links and files are created
/// there, never pointed at system files.
@Suite struct OutputFileTests {
  final class Scratch {
    let path: String
    init() {
      var template = Array("\(NSTemporaryDirectory())/outputfile-XXXXXX".utf8CString)
      path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
    func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }
    func kind(_ name: String) -> mode_t {
      var st = stat()
      return lstat(file(name), &st) == 0 ? st.st_mode & S_IFMT : 0
    }
    func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
  }

  @Test func newAndExistingRegularFilesAreReplacedWhole() throws {
    let s = Scratch()
    try OutputFile.write(text: "first", to: s.file("a.txt"))
    #expect(s.read("a.txt") == "first")
    try OutputFile.write(text: "second, longer", to: s.file("a.txt"))
    #expect(s.read("a.txt") == "second, longer")
    #expect(s.entries() == ["a.txt"])  // no temporary file left behind
  }

  @Test func replacingKeepsTheFileMode() throws {
    let s = Scratch()
    try OutputFile.write(text: "x", to: s.file("m"))
    chmod(s.file("m"), 0o600)
    try OutputFile.write(text: "y", to: s.file("m"))
    var st = stat()
    #expect(stat(s.file("m"), &st) == 0 && st.st_mode & 0o777 == 0o600)
  }

  @Test func aSymlinkToAFileWritesTheTargetAndKeepsTheLink() throws {
    let s = Scratch()
    try OutputFile.write(text: "old", to: s.file("target"))
    #expect(symlink("target", s.file("link")) == 0)
    try OutputFile.write(text: "new", to: s.file("link"))
    #expect(s.kind("link") == S_IFLNK)
    #expect(s.read("target") == "new")
    #expect(s.entries() == ["link", "target"])
  }

  @Test func aChainOfLinksToAMissingFileCreatesIt() throws {
    let s = Scratch()
    #expect(symlink("b", s.file("a")) == 0)
    #expect(symlink("c", s.file("b")) == 0)
    try OutputFile.write(text: "made", to: s.file("a"))
    #expect(s.kind("a") == S_IFLNK && s.kind("b") == S_IFLNK && s.kind("c") == S_IFREG)
    #expect(s.read("c") == "made")
  }

  @Test func aLinkLoopIsAnError() {
    let s = Scratch()
    #expect(symlink("b", s.file("a")) == 0)
    #expect(symlink("a", s.file("b")) == 0)
    #expect(throws: OutputFileError.self) { try OutputFile.write(text: "x", to: s.file("a")) }
  }

  @Test func aFIFOIsWrittenInPlaceAndStaysAFIFO() throws {
    let s = Scratch()
    #expect(mkfifo(s.file("pipe"), 0o600) == 0)
    let fifo = s.file("pipe")
    let reader = Thread {
      let fd = open(fifo, O_RDONLY)
      var buffer = [UInt8](repeating: 0, count: 64)
      var got = [UInt8]()
      while true {
        let n = read(fd, &buffer, 64)
        if n <= 0 { break }
        got += buffer[0..<n]
      }
      close(fd)
      try? Data(got).write(to: URL(fileURLWithPath: fifo + ".received"))
    }
    reader.start()
    try OutputFile.write(text: "through the pipe", to: fifo)
    for _ in 0..<200 where s.read("pipe.received") == nil { usleep(10_000) }
    #expect(s.read("pipe.received") == "through the pipe")
    #expect(s.kind("pipe") == S_IFIFO)
  }

  @Test func aSymlinkToAFIFOWritesThroughBoth() throws {
    let s = Scratch()
    #expect(mkfifo(s.file("pipe"), 0o600) == 0)
    #expect(symlink("pipe", s.file("link")) == 0)
    let fifo = s.file("pipe")
    let reader = Thread {
      let fd = open(fifo, O_RDONLY)
      var buffer = [UInt8](repeating: 0, count: 64)
      let n = read(fd, &buffer, 64)
      close(fd)
      try? Data(buffer[0..<max(n, 0)]).write(to: URL(fileURLWithPath: fifo + ".received"))
    }
    reader.start()
    try OutputFile.write(text: "via link", to: s.file("link"))
    for _ in 0..<200 where s.read("pipe.received") == nil { usleep(10_000) }
    #expect(s.read("pipe.received") == "via link")
    #expect(s.kind("pipe") == S_IFIFO && s.kind("link") == S_IFLNK)
  }

  @Test func aCharacterDeviceNodeIsWrittenInPlace() throws {
    // A null device node made in the scratch directory (needs root; skipped otherwise).
    let s = Scratch()
    guard mknod(s.file("null"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else { return }
    try OutputFile.write(text: "discarded", to: s.file("null"))
    #expect(s.kind("null") == S_IFCHR)
    #expect(s.entries() == ["null"])
  }

  @Test func aDirectoryIsAnError() throws {
    let s = Scratch()
    try FileManager.default.createDirectory(atPath: s.file("d"), withIntermediateDirectories: false)
    let error = #expect(throws: OutputFileError.self) { try OutputFile.write(text: "x", to: s.file("d")) }
    #expect(error?.description.contains("directory") == true)
    #expect(throws: OutputFileError.self) { try OutputFile.write(text: "x", to: s.file("d") + "/") }
    #expect(throws: OutputFileError.self) { try OutputFile.write(text: "x", to: "") }
  }

  @Test func aMissingDirectoryIsAnError() {
    let s = Scratch()
    #expect(throws: OutputFileError.self) { try OutputFile.write(text: "x", to: s.file("no/such/file")) }
  }

  @Test func stalePlantedAndLiveTemporariesAreHandled() throws {
    let s = Scratch()
    // A dead process's temporary (pid 2^22 + 1 is above Linux's pid_max default of 2^22).
    let dead = s.file(".out.txt.hessrank-4194305-abc.tmp")
    try "stale".write(toFile: dead, atomically: false, encoding: .utf8)
    // A live process's temporary (our parent's) is kept.
    let live = s.file(".out.txt.hessrank-\(getppid())-abc.tmp")
    try "busy".write(toFile: live, atomically: false, encoding: .utf8)
    // Another file is never touched.
    try "mine".write(toFile: s.file(".out.txt.notes"), atomically: false, encoding: .utf8)
    try OutputFile.write(text: "fresh", to: s.file("out.txt"))
    #expect(s.read("out.txt") == "fresh")
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: live))
    #expect(s.read(".out.txt.notes") == "mine")
  }

  @Test func messagesQuoteAndCutUntrustedPaths() {
    let path = "bad\u{1B}[2Jname\n" + String(repeating: "x", count: 500)
    let message = OutputFileError(path, "reason").description
    #expect(!message.contains("\u{1B}") && !message.contains("\n"))
    #expect(message.count < 300)
  }
}
