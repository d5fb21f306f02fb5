import Exact
import ExactLinearAlgebra
import Foundation

/// `hessrank matrix-rank FILE`: the exact rank of a matrix file, optionally with a certificate.
enum MatrixRankCommand: Subcommand {
  static let name = "matrix-rank"
  static let abstract = "Exact rank of a matrix text file, with a checkable certificate"
  static let spec = ArgumentSpec(valued: ["method", "primes", "seed", "certificate"], flags: ["json", QuietOption.flag])
  static let help = """
    USAGE: hessrank matrix-rank <file> [--method auto|kernel|primes|bareiss|modular] [--primes N] [--seed S]
                                [--certificate OUT.json] [--json]

    Computes the rank over Q of the matrix in <file> and says how it is known.

    MATRIX FILE FORMAT:
      One row per line, entries separated by spaces or tabs. Each entry is an integer (-3),
      a fraction (7/12) or a decimal (0.125, -1.5e-3), all read exactly. '#' starts a
      comment; blank lines are ignored; all rows must have the same length. Rows with
      fractions are scaled by the lcm of their denominators (the rank does not change).

    OPTIONS:
      --method auto      (default) rank profile modulo a random prime: a nonsingular r×r
                         minor (rank ≥ r); then rank ≤ r by whichever route is cheaper
                         (or rank = min(m, n)); when primes look cheaper, the kernel is
                         still lifted first within a quarter of their cost, so small
                         kernels (Hessians) cost what they are. Always proved.
      --method kernel    rank ≤ r by m − r exact kernel vectors (a bad prime only costs
                         another attempt). Cheap to re-check; large for big low-rank
                         matrices (their entries are r×r minors).
      --method primes    rank ≤ r by ranks modulo primes whose product passes Hadamard's
                         bound on the (r+1)-minors: a nonzero (r+1)-minor would be divisible
                         by all of them, hence larger than itself. Deterministic; a small
                         certificate whose check repeats the eliminations. A 1000×1000
                         matrix of rank 250 with 4-bit factors: 176 primes, about 2 s.
      --method bareiss   fraction-free Bareiss elimination over Z: exact, deterministic,
                         slow for large matrices.
      --method modular   maximum rank modulo N random primes: a proved lower bound that equals
                         the rank unless every prime divides a fixed nonzero minor; the
                         probability bound (from Hadamard's inequality) is printed.
      --primes N         primes for --method modular (default 2).
      --seed S           fixes the random primes (default: drawn at random and printed).
      --certificate F    writes a certificate file (the matrix plus the proof) to F; re-check
                         it with 'hessrank check F'. With --method modular it proves the
                         lower bound only (unless the rank is min(m, n)).
      --json             prints one JSON object: rank, rows, cols, method, proved, status,
                         seconds, seed (and failureProbabilityBound, primes, certificate).
      --quiet            no progress line on stderr (shown only on a terminal, never with --json)

    EXAMPLES:
      hessrank matrix-rank examples/matrices/lowrank-6x5.txt
      hessrank matrix-rank examples/matrices/hilbert-8.txt --method bareiss
      hessrank matrix-rank examples/matrices/unimodular-30030.txt --method modular --primes 3 --seed 7 --json
      hessrank matrix-rank examples/matrices/lowrank-6x5.txt --certificate cert.json
      hessrank check cert.json

    EXIT CODES: 0 success; 2 unreadable or malformed input, bad options.
    """

  static func run(_ args: ParsedArguments) throws -> Int32 {
    let path = try args.positionals("file")[0]
    let method = args.value("method") ?? "auto"
    guard ["auto", "kernel", "primes", "bareiss", "modular"].contains(method) else {
      throw CLIError("--method must be auto, kernel, primes, bareiss or modular, got '\(method)'")
    }
    let primeCount = try args.int("primes", default: 2, range: 1...64)
    let seed: UInt64
    if let s = args.value("seed") {
      guard let v = UInt64(s) else { throw CLIError("--seed must be a non-negative integer, got '\(s)'") }
      seed = v
    } else {
      seed = UInt64.random(in: 0...UInt64(UInt32.max))
    }
    let json = args.has("json")
    let progress = QuietOption.progress(args, json: json)
    // One stage: its "k of N primes" messages give the fraction done.
    progress.plan([Progress.Stage(marker: "", cost: 1)])

    let start = monotonicSeconds()
    progress.say("reading \(path)")
    let matrix: IntegerMatrix, rowScales: [BigInt]
    do {
      (matrix, rowScales) = try MatrixText.readScaled(contentsOf: path)
    } catch let e as MatrixFileError {
      throw CLIError(e.description)
    }
    let scaledRows = rowScales.filter { $0 != BigInt(1) }.count

    var report = Report(rows: matrix.rows, cols: matrix.cols, method: method, seed: seed)
    var certificate: RankCertificate
    switch method {
    case "bareiss":
      progress.say("Bareiss elimination on a \(matrix.rows)×\(matrix.cols) integer matrix")
      certificate =
        args.value("certificate") != nil
        ? ExactRank.certifyByBareiss(matrix)
        : {
          let b = matrix.bareiss()
          return RankCertificate(
            rows: matrix.rows, cols: matrix.cols, rank: b.rank, pivotRows: b.pivotRows,
            pivotCols: b.pivotCols, minorDeterminant: b.minorDeterminant, method: "bareiss")
        }()
      report.rank = certificate.rank
      report.proved = true
      report.how = "fraction-free elimination over Z"
    case "modular":
      progress.say("rank modulo \(primeCount) random primes")
      let result = ModularRank.rank(of: matrix, primes: primeCount, seed: seed)
      let provedByPrimes = result.isProved && result.rank < min(matrix.rows, matrix.cols)
      certificate = RankCertificate(
        rows: matrix.rows, cols: matrix.cols, rank: result.rank, pivotRows: result.pivotRows,
        pivotCols: result.pivotCols, upperBoundPrimes: provedByPrimes ? result.primes : nil,
        method: provedByPrimes ? "modular, rank mod \(result.primes.count) primes" : "modular, lower bound mod \(result.bestPrime)")
      report.rank = result.rank
      report.proved = result.isProved
      report.primes = result.primes
      report.failureBound = result.failureProbabilityBound
      report.how =
        result.rank == min(matrix.rows, matrix.cols)
        ? "rank mod p = min(rows, cols), proved"
        : result.isProved
        ? "max rank mod \(result.primes.count) random prime\(result.primes.count == 1 ? "" : "s"); proved, since their product passes Hadamard's bound 2^\(result.upperBoundBits) on the \(result.rank + 1)-minors"
        : "max rank mod \(result.primes.count) random prime\(result.primes.count == 1 ? "" : "s") = proved lower bound; ranks mod p: \(result.ranksModP.map(String.init).joined(separator: ", "))"
    default:
      let route = ExactRank.UpperBoundRoute(rawValue: method) ?? .automatic
      progress.say("rank profile modulo a random prime, then the upper bound (\(route.rawValue))")
      certificate = ExactRank.certify(matrix, seed: seed, route: route) { progress.say($0) }
      report.rank = certificate.rank
      report.proved = true
      let r = certificate.rank
      if let kernel = certificate.kernel {
        report.how = "nonsingular \(r)×\(r) minor + \(kernel.count) exact kernel vector\(kernel.count == 1 ? "" : "s")"
      } else if let primes = certificate.upperBoundPrimes {
        report.how = "nonsingular \(r)×\(r) minor + rank ≤ \(r) modulo \(primes.count) primes (product > Hadamard bound of the \(r + 1)-minors)"
        report.primes = primes
      } else {
        report.how = "nonsingular \(r)×\(r) minor and rank = min(rows, cols)"
      }
      if let m = certificate.method { report.how! += " (\(m))" }
    }
    report.seconds = monotonicSeconds() - start

    if let out = args.value("certificate") {
      progress.say("writing \(out)")
      let file = MatrixRankCertificateFile(
        rationalRows: MatrixText.rationalRows(of: matrix, rowScales: rowScales), source: path, certificate: certificate)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try AtomicFile.write(try encoder.encode(file), to: out)
      report.certificate = out
    }
    progress.clear()

    if json {
      Console.out(report.json)
    } else {
      var lines = [
        "matrix       \(path) (\(matrix.rows) × \(matrix.cols)\(scaledRows > 0 ? ", \(scaledRows) row\(scaledRows == 1 ? "" : "s") scaled to integers" : ""))",
        "rank         \(report.rank)",
        "method       \(method): \(report.how ?? "")",
        report.proved
          ? "status       proved"
          : "status       lower bound (proved); equals the rank over Q with probability ≥ 1 − \(formatBound(report.failureBound ?? 1))",
        "seed         \(seed)",
        String(format: "time         %.3f s", report.seconds),
      ]
      if let c = report.certificate { lines.append("certificate  \(c)  (check: hessrank check \(c))") }
      Console.out(lines.joined(separator: "\n"))
    }
    return 0
  }

  static func formatBound(_ x: Double) -> String {
    x == 0 ? "0" : String(format: "%.2g", x)
  }

  /// What the run found, for text and JSON output.
  struct Report {
    let rows: Int
    let cols: Int
    let method: String
    let seed: UInt64
    var rank = 0
    var proved = false
    var how: String?
    var primes: [UInt64]?
    var failureBound: Double?
    var seconds = 0.0
    var certificate: String?

    var json: String {
      var o: [String: Any] = [
        "rank": rank, "rows": rows, "cols": cols, "method": method, "proved": proved,
        "status": proved ? "proved" : "lower-bound", "seconds": seconds, "seed": seed,
      ]
      if let h = how { o["how"] = h }
      if let p = primes { o["primes"] = p }
      if let b = failureBound, !proved { o["failureProbabilityBound"] = b }
      if let c = certificate { o["certificate"] = c }
      let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
      return String(decoding: data, as: UTF8.self)
    }
  }
}
