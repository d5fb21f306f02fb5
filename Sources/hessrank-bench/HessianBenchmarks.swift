import ConvNet
import Exact
import ExactLinearAlgebra
import Foundation
import Hessian

/// One Hessian scenario, run in a child process so that its peak memory is its own.
struct HessianCase: Codable {
  var architecture: String
  var samples: Int
  /// "modular" (the default pipeline: 2 primes), "modular-1p" (one prime), "certified".
  var method: String
  /// When set, the child also writes n·H_L modulo its first prime to this text file (for FLINT
  /// nmod_mat) and reports our rank time on that very matrix.
  var exportLossModP: String?
  /// When set, the child writes the exact integer n·H_L here (for FLINT fmpz_mat, certified).
  var exportLossExact: String?
}

/// What a Hessian child reports.
struct HessianCaseResult: Codable {
  var p: Int
  var ranks: [String: Int]
  var seconds: Double
  var maxRSSKiB: Int
  var prime: UInt64?
  /// Our rank time on the exported matrix alone (modular elimination, or the certified rank).
  var exportedRankSeconds: Double?
  var exportedRank: Int?
  var note: String?
}

/// `hessrank-bench hessians`: exact Hessian ranks of CNNs and fully connected nets of growing
/// size, with FLINT on the very same matrices and the float64 JAX pipeline on the same network.
enum HessianBenchmarks {
  static let usage = """
    USAGE: hessrank-bench hessians [--quick] [--flint] [--fmpz-max-p P] [--jax] [--jax-max-p P]
                                   [--only NAMES] [--python PY] [--markdown FILE]

    Times `HessianRanks.compute` (all three exact ranks, modular method, two primes, both cores)
    on the CNN channel sweep 1x32 conv(m,k=5) conv(m,k=5) dense(10), n = 64, m = 2, 4, 8, 16, 26
    (p ≈ 10,000 at m = 26), and on paper-2 width sweeps (16 dense(M) dense(M) dense(10), n = 100),
    each in its own child process (peak RSS = that child's). Options:
      --flint        FLINT's nmod_mat.rank on n·H_L modulo the same prime (written to a file), and
                     fmpz_mat.rank (certified) on the exact integer n·H_L for p ≤ --fmpz-max-p
                     (default 1100), against our proved rank of the same matrix (`ExactRank.certify`)
                     (benchmarks/flint_compare.py; pip install python-flint)
      --jax          the float64 pipeline users run today (benchmarks/float_pipeline.py: jitted
                     jax.hessian + jax.jacfwd + numpy matrix_rank ×3) on the CNN sweep up to
                     [--jax-min-p, --jax-max-p] (default 0…5300): slow (minutes per network); pip install jax
      --quick        small networks only
      --only NAMES   only these scenarios, comma-separated (e.g. "CNN m=4,FC M=16")
    """

  static func main(_ args: [String]) {
    if args.contains("--help") {
      print(usage)
      return
    }
    let quick = args.contains("--quick")
    let useFlint = args.contains("--flint"), useJax = args.contains("--jax")
    let python = value(args, "--python") ?? "python3"
    let jaxMaxP = Int(value(args, "--jax-max-p") ?? "") ?? 5300
    let jaxMinP = Int(value(args, "--jax-min-p") ?? "") ?? 0
    let fmpzMaxP = Int(value(args, "--fmpz-max-p") ?? "") ?? 1100
    let only = value(args, "--only").map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hessrank-bench-hessians-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    let channels = quick ? [2, 4, 8] : [2, 4, 8, 16, 26]
    let widths = quick ? [8, 16] : [4, 8, 16, 32, 64]
    var scenarios: [(name: String, arch: String, n: Int)] = channels.map { m in
      ("CNN m=\(m)", "1x32 conv(\(m),k=5) conv(\(m),k=5) dense(10)", 64)
    }
    scenarios += widths.map { w in ("FC M=\(w)", "16 dense(\(w)) dense(\(w)) dense(10)", 100) }
    if let only { scenarios = scenarios.filter { only.contains($0.name) } }

    var lines: [String] = []
    lines.append("load average (1 min) before: \(BenchmarkRunner.loadAverage())")
    lines.append("")
    lines.append("| network | p | n | rank H_o | rank H_f | rank H_L | HessianRank (s) | peak RSS (MiB) | n·H_L mod p: ours (s) | FLINT nmod_mat (s) | FLINT / ours | exact n·H_L: ours certified (s) | FLINT fmpz_mat (s) | float64 JAX pipeline (s) | JAX peak (MiB) | JAX / ours |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in scenarios {
      FileHandle.standardError.write(Data("… \(s.name): \(s.arch)\n".utf8))
      let main = child(exe, HessianCase(architecture: s.arch, samples: s.n, method: "modular"))
      var cells = [s.name + ": `" + s.arch + "`", main.map { String($0.p) } ?? "—", String(s.n)]
      cells += ["outer", "functional", "loss"].map { k in main?.ranks[k].map(String.init) ?? "—" }
      cells.append(main.map { String(format: "%.2f", $0.seconds) } ?? "failed")
      cells.append(main.map { String(format: "%.0f", Double($0.maxRSSKiB) / 1024) } ?? "—")
      // FLINT on the same n·H_L modulo the same prime, and certified on the exact matrix.
      var flintCells = ["—", "—", "—", "—", "—"]
      if useFlint, let p = main?.p {
        let modPath = dir.appendingPathComponent("HL-modp.txt").path
        let exactPath = p <= fmpzMaxP ? dir.appendingPathComponent("HL-exact.txt").path : nil
        if let mine = child(exe, HessianCase(architecture: s.arch, samples: s.n, method: "modular-1p", exportLossModP: modPath)),
          let ours = mine.exportedRankSeconds, let prime = mine.prime
        {
          var jobs: [[String: Any]] = [["file": modPath, "prime": prime, "nmod": true, "fmpz": false]]
          var certified: HessianCaseResult?
          if let exactPath {
            certified = child(exe, HessianCase(architecture: s.arch, samples: s.n, method: "certified", exportLossExact: exactPath))
            jobs.append(["file": exactPath, "prime": prime, "nmod": false, "fmpz": true])
          }
          let results = flint(python: python, script: root.appendingPathComponent("benchmarks/flint_compare.py").path, jobs: jobs, dir: dir)
          let nmod = results.first?["nmod_seconds"] as? Double
          flintCells[0] = String(format: "%.3f", ours)
          flintCells[1] = nmod.map { String(format: "%.3f", $0) } ?? "failed"
          flintCells[2] = nmod.map { String(format: "%.2f", $0 / ours) } ?? "—"
          if let c = certified, let cs = c.exportedRankSeconds {
            flintCells[3] = String(format: "%.3f", cs)
            let fmpz = results.count > 1 ? results[1]["fmpz_seconds"] as? Double : nil
            flintCells[4] = fmpz.map { String(format: "%.3f", $0) } ?? "failed"
          }
          try? FileManager.default.removeItem(atPath: modPath)
          if let exactPath { try? FileManager.default.removeItem(atPath: exactPath) }
        }
      }
      cells += flintCells
      var jaxCells = ["—", "—", "—"]
      if useJax, s.name.hasPrefix("CNN"), let m = main, m.p <= jaxMaxP, m.p >= jaxMinP {
        FileHandle.standardError.write(Data("… \(s.name): float64 JAX pipeline\n".utf8))
        if let data = BenchmarkRunner.runProcess(python, [root.appendingPathComponent("benchmarks/float_pipeline.py").path, s.arch, "--samples", String(s.n)]),
          let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let total = o["total_seconds"] as? Double
        {
          let ranks = o["ranks"] as? [String: Int] ?? [:]
          let agree = ranks == m.ranks ? "" : " (float ranks \(ranks["outer"] ?? -1)/\(ranks["functional"] ?? -1)/\(ranks["loss"] ?? -1))"
          jaxCells = [String(format: "%.1f", total) + agree, String(format: "%.0f", o["peak_mib"] as? Double ?? 0), String(format: "%.1f", total / m.seconds)]
        } else {
          jaxCells[0] = "failed (pip install jax?)"
        }
      }
      cells += jaxCells
      lines.append("| " + cells.joined(separator: " | ") + " |")
      FileHandle.standardError.write(Data((lines.last! + "\n").utf8))
    }
    lines.append("")
    lines.append("load average (1 min) after: \(BenchmarkRunner.loadAverage())")
    let table = lines.joined(separator: "\n")
    print(table)
    if let md = value(args, "--markdown") { try? Data((table + "\n").utf8).write(to: URL(fileURLWithPath: md)) }
  }

  static func value(_ args: [String], _ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
  }

  static func child(_ exe: URL, _ c: HessianCase) -> HessianCaseResult? {
    guard let json = try? JSONEncoder().encode(c),
      let data = BenchmarkRunner.runProcess(exe.path, ["--hessian-case", String(decoding: json, as: UTF8.self)])
    else { return nil }
    return try? JSONDecoder().decode(HessianCaseResult.self, from: data)
  }

  static func flint(python: String, script: String, jobs: [[String: Any]], dir: URL) -> [[String: Any]] {
    let jobsPath = dir.appendingPathComponent("jobs.json")
    guard let data = try? JSONSerialization.data(withJSONObject: jobs), (try? data.write(to: jobsPath)) != nil,
      let out = BenchmarkRunner.runProcess(python, [script, jobsPath.path]),
      let list = try? JSONSerialization.jsonObject(with: out) as? [[String: Any]]
    else { return [] }
    return list
  }

  // MARK: child

  static func runChild(_ json: String) {
    guard let c = try? JSONDecoder().decode(HessianCase.self, from: Data(json.utf8)),
      let arch = try? Architecture(parsing: c.architecture),
      let instance = try? NetworkInstance(architecture: arch, settings: InstanceSettings(samples: c.samples, seed: 1))
    else {
      FileHandle.standardError.write(Data("bad Hessian case\n".utf8))
      exit(2)
    }
    var result = HessianCaseResult(p: instance.plan.parameterCount, ranks: [:], seconds: 0, maxRSSKiB: 0)
    do {
      let t0 = BenchmarkRunner.now()
      switch c.method {
      case "modular", "modular-1p":
        let options = HessianRankOptions(method: .modular, primes: c.method == "modular" ? 2 : 1)
        let report = try HessianRanks.compute(instance, options: options)
        result.seconds = BenchmarkRunner.now() - t0
        for r in report.results { result.ranks[r.kind.rawValue] = r.rank }
        if let path = c.exportLossModP {
          // The same matrix the pipeline ranked: n·H_L modulo the first prime.
          let prime = ModularRank.randomPrimes(count: 1, seed: options.primeSeed)[0]
          let field = MontgomeryField(prime: prime)
          let pattern = try instance.activationPattern().pattern
          let builder = try HessianBuilder(instance: instance, pattern: pattern, ring: field)
          let hl = HessianRanks.lossMatrix(jacobian: builder.jacobian(), functional: builder.functionalScaled(), field: field)
          let m = HessianRanks.modularMatrix(hl, field: nil, prime: PrimeField(unchecked: prime))
          let t1 = BenchmarkRunner.now()
          result.exportedRank = m.rank()
          result.exportedRankSeconds = BenchmarkRunner.now() - t1
          result.prime = prime
          try write(rows: m.rows, cols: m.cols, to: path) { i, j in String(m[i, j]) }
        }
      case "certified":
        let pattern = try instance.activationPattern().pattern
        let m = try HessianRanks.exactMatrices(instance, pattern: pattern, kinds: [.loss])[.loss]!
        let t1 = BenchmarkRunner.now()
        let cert = ExactRank.certify(m, seed: 1)
        result.exportedRankSeconds = BenchmarkRunner.now() - t1
        result.exportedRank = cert.rank
        result.ranks["loss"] = cert.rank
        result.seconds = BenchmarkRunner.now() - t0
        if let path = c.exportLossExact {
          try write(rows: m.rows, cols: m.cols, to: path) { i, j in m[i, j].description }
        }
      default:
        exit(2)
      }
    } catch {
      FileHandle.standardError.write(Data("\(error)\n".utf8))
      exit(2)
    }
    result.maxRSSKiB = BenchmarkRunner.maxRSSKiB()
    let data = (try? JSONEncoder().encode(result)) ?? Data()
    print(String(decoding: data, as: UTF8.self))
  }

  static func write(rows: Int, cols: Int, to path: String, entry: (Int, Int) -> String) throws {
    var text = ""
    text.reserveCapacity(rows * cols * 9)
    for i in 0..<rows {
      for j in 0..<cols {
        text += entry(i, j)
        text += j + 1 == cols ? "\n" : " "
      }
    }
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }
}
