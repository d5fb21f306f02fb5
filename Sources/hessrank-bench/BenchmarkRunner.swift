import Exact
import ExactLinearAlgebra
import Foundation

/// One measurement request, run in a child process so that its peak memory is its own.
struct BenchCase: Codable {
  var matrix: BenchMatrix
  /// "modular" (one prime, all threads), "modular-1t" (one prime, one thread), "multiprime"
  /// (ModularRank with 2 primes, from the integer matrix), "auto" (certified exact rank),
  /// "bareiss", or "baseline" (builds the integer matrix only).
  var method: String
  var prime: UInt64
}

/// What a child reports.
struct BenchResult: Codable {
  var seconds: Double
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

  static func maxRSSKiB() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss)
  }

  static func main(_ args: [String]) {
    if args.first == "--case", args.count == 2 {
      runChild(args[1])
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

    Times the rank engine on dense random matrices and low-rank products A·B, each method in
    its own child process (peak memory = that child's ru_maxrss), and FLINT (python-flint:
    fmpz_mat.rank, nmod_mat.rank) on the very same matrices, written to a temporary
    directory, through benchmarks/flint_compare.py.

      --quick          small sizes only (a smoke run)
      --no-flint       skip the FLINT comparison
      --python P       the Python with python-flint (default: python3)
      --keep DIR       write the matrix files to DIR and keep them
      --markdown FILE  also write the result table to FILE
    """

  // MARK: child

  static func runChild(_ json: String) {
    guard let c = try? JSONDecoder().decode(BenchCase.self, from: Data(json.utf8)) else {
      FileHandle.standardError.write(Data("bad case\n".utf8))
      exit(2)
    }
    let field = PrimeField(unchecked: c.prime)
    var result = BenchResult(seconds: 0, rank: -1, maxRSSKiB: 0, entryBytes: 0)
    switch c.method {
    case "modular", "modular-1t":
      let m = c.matrix.modularMatrix(field)
      result.entryBytes = m.rows * m.cols * 8
      let t0 = now()
      result.rank = m.rank(threads: c.method == "modular" ? ModularElimination.defaultThreads : 1)
      result.seconds = now() - t0
    default:
      let m = c.matrix.integerMatrix()
      result.entryBytes = m.memoryFootprint
      let t0 = now()
      switch c.method {
      case "multiprime":
        let r = ModularRank.rank(of: m, primes: 2, seed: 1)
        result.rank = r.rank
        result.note = r.isProved ? "proved" : String(format: "P(fail) ≤ %.1e", r.failureProbabilityBound)
      case "auto":
        let cert = ExactRank.certify(m, seed: 1)
        result.rank = cert.rank
        result.note = cert.kernel == nil ? "full-rank exit" : "kernel of \(cert.kernel!.count)"
      case "auto-stages":
        // The certified path step by step: rank profile, kernel solve, exact check.
        let p = c.prime
        let profile = m.residues(modulo: field).rankProfile()
        let t1 = now()
        let kernel = ExactRank.kernelVectors(of: m, pivotRows: profile.pivotRows, pivotCols: profile.pivotCols, prime: p)
        let t2 = now()
        let ok = ExactRank.annihilatesAll(m, kernel, threads: ModularElimination.defaultThreads)
        let t3 = now()
        let bits = kernel.map { $0.values.map(\.bitWidth).max() ?? 0 }.max() ?? 0
        result.rank = profile.rank
        result.note = String(
          format: "profile %.3f s, kernel %.3f s (%d vectors, ≤ %d bits), check %.3f s (%@)", t1 - t0, t2 - t1,
          kernel.count, bits, t3 - t2, ok ? "holds" : "FAILS")
      case "bareiss":
        result.rank = m.bareiss().rank
      default:
        result.rank = 0
      }
      result.seconds = now() - t0
    }
    result.maxRSSKiB = maxRSSKiB()
    let data = (try? JSONEncoder().encode(result)) ?? Data()
    print(String(decoding: data, as: UTF8.self))
  }

  // MARK: parent

  static func runSuite(_ args: [String]) {
    print("suite not yet implemented")
  }
}
