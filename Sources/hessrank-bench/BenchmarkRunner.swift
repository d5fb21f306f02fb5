import Exact
import ExactLinearAlgebra
import Foundation

/// One measurement request, run in a child process so that its peak memory is its own.
struct BenchCase: Codable {
  var matrix: BenchMatrix
  /// "modular" (one prime, all threads), "modular-1t" (one prime, one thread), "multiprime"
  /// (ModularRank with 2 primes, from the integer matrix), "auto" (certified exact rank;
  /// "kernel" and "primes" force its upper-bound route),
  /// "bareiss", or "baseline" (builds the integer matrix only).
  var method: String
  var prime: UInt64
  /// Minimum number of timed runs (default 15 under 10 ms, 3 under a second, else 1); a
  /// large value makes the timed work dominate a profile (`perf record … --case`).
  var repeats: Int? = nil
  /// Threads for "auto"/"kernel"/"primes"/"auto-stages" (default: every available CPU).
  var threads: Int? = nil
}

/// What a child reports.
struct BenchResult: Codable {
  var seconds: Double
  /// CPU seconds of the process over the same runs (median), all threads summed.
  var cpuSeconds: Double? = nil
  /// The fastest run's wall and CPU seconds (the least disturbed by other load).
  var minSeconds: Double? = nil
  var minCPUSeconds: Double? = nil
  var rank: Int
  var maxRSSKiB: Int
  /// Bytes held by the matrix entries (mpz headers + limbs, or 8 per residue).
  var entryBytes: Int
  var note: String?
}

enum BenchmarkRunner {
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  /// CPU seconds of this process (all threads).
  static func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  static func maxRSSKiB() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss)
  }

  static func main(_ args: [String]) {
    if args.first == "--write", args.count == 3,
      let m = try? JSONDecoder().decode(BenchMatrix.self, from: Data(args[2].utf8))
    {
      // Child mode: writes a matrix file (the parent stays small, so that the peak memory a
      // child inherits through fork and exec stays at the baseline).
      exit(FileManager.default.createFile(atPath: args[1], contents: Data(MatrixText.format(m.integerMatrix()).utf8)) ? 0 : 1)
    }
    if args.first == "--case", args.count == 2 {
      runChild(args[1])
      return
    }
    if args.first == "--hessian-case", args.count == 2 {
      HessianBenchmarks.runChild(args[1])
      return
    }
    if args.first == "hessians" {
      HessianBenchmarks.main(Array(args.dropFirst()))
      return
    }
    if args.contains("--help") || args.contains("-h") {
      print(usage)
      return
    }
    runSuite(args)
  }

  static let usage = """
    USAGE: hessrank-bench [--quick] [--no-flint] [--python PYTHON] [--keep DIR] [--markdown FILE]
                          [--hessians DIR [--hessian-bareiss]]

    Times the rank engine on dense random matrices and low-rank products A·B, each method in
    its own child process (peak memory = that child's ru_maxrss), and FLINT (python-flint:
    fmpz_mat.rank, nmod_mat.rank) on the very same matrices, written to a temporary
    directory, through benchmarks/flint_compare.py.

      --quick          small sizes only (a smoke run)
      --no-flint       skip the FLINT comparison
      --python P       the Python with python-flint (default: python3)
      --keep DIR       write the matrix files to DIR and keep them
      --markdown FILE  also write the result table to FILE
      --hessians DIR   also every DIR/*.txt (e.g. written by 'hessrank hessian … --out
                       DIR/NAME.txt'): auto, kernel and primes against fmpz_mat.rank
      --hessian-bareiss  and Bareiss against fmpz_mat.fflu on them (slow)
    Dense and low-rank rows at 10, 50 and 100 bits compare Bareiss (2 threads and
    bareiss-1t) with FLINT's fmpz_mat.fflu.
    """

  // MARK: child

  static func runChild(_ json: String) {
    guard let c = try? JSONDecoder().decode(BenchCase.self, from: Data(json.utf8)) else {
      FileHandle.standardError.write(Data("bad case\n".utf8))
      exit(2)
    }
    let field = PrimeField(unchecked: c.prime)
    var result = BenchResult(seconds: 0, rank: -1, maxRSSKiB: 0, entryBytes: 0)
    /// Times `body` once, three times (median) when a run takes under a second, fifteen
    /// under 10 ms (millisecond runs are at the mercy of other load); the median CPU seconds
    /// go to the result.
    func timed(_ body: () -> Void) -> Double {
      var times: [Double] = []
      var cpus: [Double] = []
      repeat {
        let t0 = now(), c0 = cpuNow()
        body()
        times.append(now() - t0)
        cpus.append(cpuNow() - c0)
      } while times.count < (c.repeats ?? (times[0] < 0.01 ? 15 : 3)) && (times[0] < 1 || c.repeats != nil)
      result.cpuSeconds = cpus.sorted()[cpus.count / 2]
      result.minSeconds = times.min()
      result.minCPUSeconds = cpus.min()
      return times.sorted()[times.count / 2]
    }
    switch c.method {
    case "modular", "modular-1t":
      let m = c.matrix.modularMatrix(field)
      result.entryBytes = m.rows * m.cols * 8
      result.seconds = timed {
        result.rank = m.rank(threads: c.method == "modular" ? ModularElimination.defaultThreads : 1)
      }
    case "baseline":
      result.rank = 0
    default:
      let m = c.matrix.integerMatrix()
      result.entryBytes = m.memoryFootprint
      switch c.method {
      case "multiprime":
        result.seconds = timed {
          let r = ModularRank.rank(of: m, primes: 2, seed: 1)
          result.rank = r.rank
          result.note = r.isProved ? "proved" : String(format: "P(fail) ≤ %.1e", r.failureProbabilityBound)
        }
      case "auto", "kernel", "primes":
        let threads = c.threads ?? ModularElimination.defaultThreads
        let route = ExactRank.UpperBoundRoute(rawValue: c.method) ?? .automatic
        result.seconds = timed {
          let cert = ExactRank.certify(m, seed: 1, threads: threads, route: route)
          result.rank = cert.rank
          result.note =
            cert.kernel.map { "kernel of \($0.count)" } ?? cert.upperBoundPrimes.map { "\($0.count) primes" }
            ?? "full-rank exit"
        }
      case "auto-stages":
        let threads = c.threads ?? ModularElimination.defaultThreads
        // The certified path step by step: rank profile, kernel solve, exact check (the
        // last of `repeats` runs, so that one-off start-up costs can be told apart).
        for _ in 1..<max(1, c.repeats ?? 1) {
          let profile = m.residues(modulo: field).rankProfile(threads: threads)
          _ = ExactRank.kernelVectors(
            of: m, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: c.prime, threads: threads)
        }
        let t0 = now()
        let profile = m.residues(modulo: field).rankProfile(threads: threads)
        let t1 = now()
        let kernel = ExactRank.kernelVectors(
          of: m, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: c.prime, threads: threads)
        let t2 = now()
        let ok = ExactRank.annihilatesAll(m, kernel, threads: threads)
        let t3 = now()
        let bits = kernel.map { $0.values.map(\.bitWidth).max() ?? 0 }.max() ?? 0
        result.rank = profile.rank
        result.seconds = t3 - t0
        result.note = String(
          format: "profile %.5f s, kernel %.5f s (%d vectors, ≤ %d bits), check %.5f s (%@)", t1 - t0, t2 - t1,
          kernel.count, bits, t3 - t2, ok ? "holds" : "FAILS")
      case "bareiss":
        result.seconds = timed { result.rank = m.bareiss().rank }
      case "bareiss-1t":
        result.seconds = timed { result.rank = m.bareiss(threads: 1).rank }
      default:
        FileHandle.standardError.write(Data("unknown method \(c.method)\n".utf8))
        exit(2)
      }
    }
    result.maxRSSKiB = maxRSSKiB()
    let data = (try? JSONEncoder().encode(result)) ?? Data()
    print(String(decoding: data, as: UTF8.self))
  }

  // MARK: parent

  /// One row of the report: a matrix, our method, and the FLINT function it is compared with.
  struct Row {
    var matrix: BenchMatrix
    var method: String
    var flint: String?  // "nmod", "fmpz" or "fflu"
    var result: BenchResult?
    var flintSeconds: Double?
    var flintCPUSeconds: Double?
    var flintRank: Int?
  }

  static func runSuite(_ args: [String]) {
    let quick = args.contains("--quick")
    let useFlint = !args.contains("--no-flint")
    func option(_ name: String) -> String? {
      guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
      return args[i + 1]
    }
    let python = option("--python") ?? "python3"
    let keep = option("--keep")
    let prime = ModularRank.randomPrimes(count: 1, seed: 2026)[0]
    let dir: URL
    if let k = keep {
      dir = URL(fileURLWithPath: k)
    } else {
      dir = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-bench-\(getpid())")
    }
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }

    var rows: [Row] = []
    func add(_ m: BenchMatrix, _ methods: [(String, String?)]) {
      for (method, flint) in methods { rows.append(Row(matrix: m, method: method, flint: flint)) }
    }
    let modular: [(String, String?)] = [("modular", "nmod"), ("modular-1t", "nmod")]
    let sizes = quick ? [100, 200] : [200, 500, 1000, 2000]
    for n in sizes {
      let m = BenchMatrix(kind: "dense", n: n, rank: n, bits: 4, seed: 1)
      add(m, modular + [("auto", "fmpz")])
    }
    for n in quick ? [100, 200] : [200, 500, 1000] {
      let m = BenchMatrix(kind: "lowrank", n: n, rank: n / 4, bits: 4, seed: 2)
      add(m, modular + [("auto", "fmpz"), ("kernel", "fmpz")])
    }
    let dense10 = BenchMatrix(kind: "dense", n: quick ? 100 : 200, rank: quick ? 100 : 200, bits: 10, seed: 3)
    add(dense10, [("auto", "fmpz"), ("bareiss", "fmpz")])
    let low10 = BenchMatrix(kind: "lowrank", n: quick ? 100 : 200, rank: quick ? 50 : 100, bits: 10, seed: 4)
    add(low10, [("auto", "fmpz"), ("bareiss", "fmpz")])
    // Every matrix class of issue 16 against fmpz_mat.rank (proved rank) and fmpz_mat.fflu
    // (fraction-free LU, the algorithm of --method bareiss).
    let proved: [(String, String?)] = [("auto", "fmpz"), ("kernel", "fmpz"), ("primes", "fmpz")]
    let ffl: [(String, String?)] = [("bareiss", "fflu"), ("bareiss-1t", "fflu")]
    for bits in [10, 50, 100] {
      let d = quick ? 60 : 100
      add(BenchMatrix(kind: "dense", n: d, rank: d, bits: bits, seed: 10 + UInt64(bits)), [("auto", "fmpz")] + ffl)
      add(BenchMatrix(kind: "lowrank", n: d, rank: d * 3 / 4, bits: bits / 2, seed: 20 + UInt64(bits)), proved + ffl)
    }
    // The project's own matrices (`hessrank hessian … --out DIR/NAME.txt`).
    if let hessians = option("--hessians"),
      let names = try? FileManager.default.contentsOfDirectory(atPath: hessians)
    {
      for name in names.sorted() where name.hasSuffix(".txt") {
        let m = BenchMatrix(kind: "file", n: 0, rank: 0, bits: 0, seed: 0, path: hessians + "/" + name)
        add(m, proved + (args.contains("--hessian-bareiss") ? ffl : []))
      }
    }
    if !quick {
      add(BenchMatrix(kind: "dense", n: 1000, rank: 1000, bits: 4, seed: 1), [("multiprime", nil)])
      add(BenchMatrix(kind: "lowrank", n: 1000, rank: 250, bits: 4, seed: 2), [("multiprime", nil)])
    }

    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let baseline = child(exe, BenchCase(matrix: BenchMatrix(kind: "dense", n: 1, rank: 1, bits: 1, seed: 0), method: "baseline", prime: prime))
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../benchmarks/flint_compare.py").standardized.path
    var flintVersion = useFlint ? "FLINT failed (is python-flint installed? pip install python-flint)" : "FLINT not run"
    let loadBefore = loadAverage()
    // Matrix by matrix: our methods, then FLINT on the same matrix right after (same load).
    var matrices: [BenchMatrix] = []
    for r in rows where !matrices.contains(r.matrix) { matrices.append(r.matrix) }
    for matrix in matrices {
      for k in rows.indices where rows[k].matrix == matrix {
        FileHandle.standardError.write(Data("… \(matrix.name): \(rows[k].method)\n".utf8))
        rows[k].result = child(exe, BenchCase(matrix: matrix, method: rows[k].method, prime: prime))
      }
      let kinds = Set(rows.filter { $0.matrix == matrix }.compactMap(\.flint))
      guard useFlint, !kinds.isEmpty else { continue }
      let path = matrix.path ?? dir.appendingPathComponent(matrix.fileName).path
      if matrix.path == nil {
        guard let spec = try? JSONEncoder().encode(matrix),
          runProcess(exe.path, ["--write", path, String(decoding: spec, as: UTF8.self)]) != nil
        else { continue }
      }
      let job: [[String: Any]] = [[
        "file": path, "prime": prime, "fmpz": kinds.contains("fmpz"), "nmod": kinds.contains("nmod"),
        "fflu": kinds.contains("fflu"),
      ]]
      let jobFile = dir.appendingPathComponent("job.json")
      try? JSONSerialization.data(withJSONObject: job).write(to: jobFile)
      FileHandle.standardError.write(Data("… \(matrix.name): FLINT (\(python) \(script))\n".utf8))
      guard let data = runProcess(python, [script, jobFile.path]),
        let res = (try? JSONSerialization.jsonObject(with: data) as? [[String: Any]])?.first
      else { continue }
      flintVersion = "FLINT \(res["flint"] ?? "?") (python-flint \(res["python_flint"] ?? "?"), one thread)"
      for k in rows.indices where rows[k].matrix == matrix {
        if rows[k].flint == "nmod" {
          rows[k].flintSeconds = res["nmod_seconds"] as? Double
          rows[k].flintRank = res["nmod_rank"] as? Int
          rows[k].flintCPUSeconds = res["nmod_cpu_seconds"] as? Double
        } else if rows[k].flint == "fmpz" {
          rows[k].flintSeconds = res["fmpz_seconds"] as? Double
          rows[k].flintRank = res["fmpz_rank"] as? Int
          rows[k].flintCPUSeconds = res["fmpz_cpu_seconds"] as? Double
        } else if rows[k].flint == "fflu" {
          rows[k].flintSeconds = res["fflu_seconds"] as? Double
          rows[k].flintCPUSeconds = res["fflu_cpu_seconds"] as? Double
        }
      }
    }
    let loadAfter = loadAverage()

    var md = """
      prime p = \(prime) (random in [2^24, 2^25)); \(ProcessInfo.processInfo.activeProcessorCount) cores; \(flintVersion)
      load average (1 min) before / after: \(loadBefore) / \(loadAfter); baseline process RSS: \(baseline.map { String(format: "%.1f MiB", Double($0.maxRSSKiB) / 1024) } ?? "?")

      Times are wall seconds; "CPU" columns are CPU seconds (ours: all threads summed), the fair
      figures on a loaded machine.

      | matrix | our method | rank | ours (s) | FLINT function | FLINT (s) | FLINT / ours | ours CPU (s) | FLINT CPU (s) | FLINT / ours (CPU) | peak RSS (MiB) | entries (MiB) | note |
      |---|---|---|---|---|---|---|---|---|---|---|---|---|

      """
    for r in rows {
      let res = r.result
      let ours = res.map { fmt($0.seconds) } ?? "failed"
      let flintName =
        r.flint == "nmod" ? "nmod_mat.rank" : r.flint == "fmpz" ? "fmpz_mat.rank" : r.flint == "fflu" ? "fmpz_mat.fflu" : "—"
      let cpu = res?.cpuSeconds.map { fmt($0) } ?? "—"
      let fcpu = r.flintCPUSeconds.map { fmt($0) } ?? "—"
      var cpuRatio = "—"
      if let a = res?.cpuSeconds, let b = r.flintCPUSeconds, a > 0 { cpuRatio = String(format: "%.2f", b / a) }
      let fs = r.flintSeconds.map { fmt($0) } ?? "—"
      var ratio = "—"
      if let a = res?.seconds, let b = r.flintSeconds, a > 0 { ratio = String(format: "%.2f", b / a) }
      var rank = res.map { "\($0.rank)" } ?? "?"
      if let fr = r.flintRank, let ours = res?.rank, fr != ours { rank += " (FLINT: \(fr)!)" }
      let rss = res.map { String(format: "%.1f", Double($0.maxRSSKiB) / 1024) } ?? "?"
      let entries = res.map { String(format: "%.1f", Double($0.entryBytes) / 1_048_576) } ?? "?"
      md += "| \(r.matrix.name) | \(r.method) | \(rank) | \(ours) | \(flintName) | \(fs) | \(ratio) | \(cpu) | \(fcpu) | \(cpuRatio) | \(rss) | \(entries) | \(res?.note ?? "") |\n"
    }
    print(md)
    if let out = option("--markdown") { try? Data(md.utf8).write(to: URL(fileURLWithPath: out)) }
  }

  static func loadAverage() -> String {
    var l = [0.0, 0.0, 0.0]
    return getloadavg(&l, 3) > 0 ? String(format: "%.2f", l[0]) : "?"
  }

  static func fmt(_ x: Double) -> String { x < 0.01 ? String(format: "%.4f", x) : x < 1 ? String(format: "%.3f", x) : String(format: "%.2f", x) }

  /// Runs one case in a child process and decodes its report.
  static func child(_ exe: URL, _ c: BenchCase) -> BenchResult? {
    guard let json = try? JSONEncoder().encode(c),
      let data = runProcess(exe.path, ["--case", String(decoding: json, as: UTF8.self)])
    else { return nil }
    return try? JSONDecoder().decode(BenchResult.self, from: data)
  }

  /// Standard output of a process, or nil when it fails to start or exits non-zero.
  static func runProcess(_ path: String, _ args: [String]) -> Data? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path.hasPrefix("/") ? path : "/usr/bin/env")
    p.arguments = path.hasPrefix("/") ? args : [path] + args
    let out = Pipe()
    p.standardOutput = out
    do { try p.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? data : nil
  }
}
