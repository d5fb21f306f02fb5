import ExactLinearAlgebra
import Foundation
import ConvNet
import Hessian
import RankBounds

/// What a certificate verifier proved, for `hessrank check`.
struct CheckOutcome {
  /// One line: what holds and how it was checked.
  var summary: String
  /// The proved rank (or lower bound), when the certificate is about a rank.
  var rank: Int?
  /// True when the rank is exact, false for a lower bound.
  var exact: Bool?
  /// For a bound certificate: each bound's id and verdict over the seeds.
  var verdicts: [(bound: String, verdict: Verdict)] = []
}

/// Options every verifier receives.
struct CheckOptions {
  /// Fixes the verification primes; nil draws them at random.
  var seed: UInt64?
  /// How many fresh primes to try.
  var primes: Int
  /// A matrix file the certificate's embedded matrix must equal (`--matrix`), if given.
  var matrixPath: String?
  /// The certificate's directory: relative paths of recorded data files are also tried there.
  var certificateDirectory: String = "."
}

/// A certificate that was read correctly but does not hold (exit status 1).
struct CertificateRejected: Error {
  let message: String
}

/// `hessrank check CERT.json`: re-verifies a certificate from scratch.
enum CheckCommand: Subcommand {
  static let name = "check"
  static let abstract = "Re-verify a certificate file from scratch"
  static let spec = ArgumentSpec(valued: ["seed", "primes", "matrix", "fail-on"], flags: ["json", "lower-bound-ok", QuietOption.flag])
  static let help = """
    USAGE: hessrank check <certificate.json> [--matrix FILE] [--seed S] [--primes N] [--fail-on V] [--json]
                          [--lower-bound-ok]

    Re-verifies a certificate file written by hessrank, trusting nothing in it but the
    matrix it names. The file's "format" field selects the verifier:
      \(verifiers.keys.sorted().joined(separator: "\n  "))

    For a matrix rank certificate: rebuilds the integer matrix, checks that the pivot minor
    is nonsingular (modulo fresh random primes, exactly when small), and the upper bound:
    that every kernel vector satisfies M·v = 0 exactly over Z and the kernel vectors are
    independent, or that the matrix has rank ≤ r modulo every listed prime and that the
    primes' product passes Hadamard's bound on its (r+1)-minors (recomputed from the matrix).

    For a cross-entropy certificate ('rank --loss ce --certificate'): regenerates the instance
    from its config (whose "loss" must be "ce"), re-checks rank(X) and the rank certificate of
    the stacked C·J_i exactly as above (rank H_o proved), and for H_f and H_L rebuilds n·H
    modulo the recorded prime (in [2^61, 2^62)) with the softmax evaluated at the recorded
    residue t of t = e^(1/D), and checks that the recorded r × r minor is nonzero there: a
    proved lower bound rank ≥ r at the point (proofs/cross-entropy.md), exact when r = p. Each
    recorded failure probability (Schwartz–Zippel in t: p·Δ/(q − 1 − Σd_i), the chance that
    the rank at the point is larger) is recomputed exactly and must match. Such a certificate
    proves lower bounds only (exit status 3) unless every part is exact (e.g. H_o alone). A
    bound certificate from 'certify --loss ce --certificate' embeds one per seed; its verdicts
    are proved when a TIGHT rank meets a bound whose upper side is a theorem, so it exits 0
    when every verdict is proved and 3 when some verdict rests on a lower bound only.

    OPTIONS:
      --matrix F   also require the certificate's matrix to be the matrix in file F (after
                   scaling rows to integers); a different matrix is a rejection.
      --seed S     fixes the verification primes (default: fresh random primes).
      --primes N   how many primes to try before an exact fallback (default 3).
      --fail-on V  for a bound certificate (from 'certify --certificate'): exit 1 when a
                   re-derived verdict over the seeds is violated (VIOLATED), short (VIOLATED
                   or SHORT), or none; default short, as for 'certify'.
      --json       prints one JSON object: holds, format, summary; when it holds also
                   rank (matrix rank certificates only), exact (whether the upper bounds
                   are proved: every kind; for bound certificates, whether every verdict
                   is proved) and failing (bound certificates only: the failing verdicts
                   as "ID VERDICT").
                   A rejection has only holds, format and summary.
      --quiet      no progress line on stderr while checking (shown only on a terminal,
                   never with --json)
      --lower-bound-ok
                   accept a certificate that proves only lower bounds (no upper-bound proof)
                   with exit status 0 instead of 3.

    Every certificate is read strictly: duplicate keys, nesting deeper than 64 levels and
    files over 1 GiB are refused; a catalog bound id recorded as a user formula is rejected.

    EXAMPLES:
      hessrank matrix-rank examples/matrices/lowrank-6x5.txt --certificate cert.json
      hessrank check cert.json
      hessrank check cert.json --matrix examples/matrices/lowrank-6x5.txt --json
      hessrank rank "6 dense(5) dense(4)" --samples 10 --loss ce --certificate ce.json
      hessrank check ce.json --lower-bound-ok

    EXIT CODES: 0 the certificate holds; 1 it was rejected, or it holds and records a failing
    verdict (a bound VIOLATED or a formula SHORT over the seeds; see --fail-on); 2 unreadable
    input or usage; 3 it holds, but proves only lower bounds (some rank has no upper-bound
    proof), unless --lower-bound-ok.
    """

  /// Verifiers by certificate format. Other modules add their certificate kinds here.
  static let verifiers: [String: @Sendable (Data, CheckOptions) throws -> CheckOutcome] = [
    MatrixRankCertificateFile.currentFormat: verifyMatrixRankCertificate,
    HessianCertificate.currentFormat: verifyHessianCertificate,
    SketchCertificate.currentFormat: verifySketchCertificate,
    CrossEntropyCertificate.currentFormat: verifyCrossEntropyCertificate,
    boundCertificateFormat: verifyBoundCertificate,
  ]

  /// The verifier for `rank --certificate` files: regenerates the instance and matrices.
  static func verifyHessianCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let cert: HessianCertificate
    do {
      cert = try HessianCertificate(json: data)
    } catch {
      throw CLIError("\(error)")
    }
    try checkRecordedFiles(cert.config, options)
    do {
      let v = try cert.verify(seed: options.seed, primes: options.primes)
      let parts = v.ranks.map { "rank \($0.kind.symbol) \($0.exact ? "=" : "≥") \($0.rank)" }
      return CheckOutcome(
        summary: "\(cert.config.architecture): r = \(v.dataRank), " + parts.joined(separator: ", ")
          + " at the instance of seed \(cert.config.instance.seed) (matrices regenerated, minors and upper bounds re-checked)",
        rank: nil, exact: v.ranks.allSatisfy(\.exact))
    } catch let e as HessianCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }

  static func run(_ args: ParsedArguments) throws -> Int32 {
    let path = try args.positionals("certificate.json")[0]
    var options = CheckOptions(
      seed: nil, primes: try args.int("primes", default: 3, range: 1...64), matrixPath: args.value("matrix"))
    if let s = args.value("seed") {
      guard let v = UInt64(s) else { throw CLIError("--seed must be a non-negative integer, got '\(s)'") }
      options.seed = v
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CLIError("cannot read certificate '\(path)'")
    }
    options.certificateDirectory = (path as NSString).deletingLastPathComponent
    guard data.count <= maxCertificateBytes else {
      throw CLIError("\(path) has \(data.count) bytes; certificates larger than \(maxCertificateBytes >> 20) MiB are refused")
    }
    // Every certificate is read strictly first: syntax errors with line and column, duplicate
    // keys (which JSON readers resolve differently) and excessive nesting are refused.
    let root: JSONValue
    do {
      root = try JSONValue.parse([UInt8](data))
    } catch {
      throw CLIError("\(path): \(error.description)")
    }
    guard case .string(let format)? = root["format"] else {
      throw CLIError("\(path) is not a certificate: it has no \"format\" string")
    }
    if format == RankCertificate.currentFormat {
      throw CLIError(
        "\(path) is a bare rank certificate without its matrix; verify it with the command that rebuilds the matrix")
    }
    guard let verifier = verifiers[format] else {
      throw CLIError("\(path): unknown certificate format \(MessageText.quoted(format, limit: 60)) (known: \(verifiers.keys.sorted().joined(separator: ", ")))")
    }
    let json = args.has("json")
    let policy = try FailOnOption.parse(args, default: .violatedOrShort)
    do {
      // The verifiers regenerate matrices and minors (seconds for large certificates); they
      // report no steps, so the line names the work and is cleared when it is done.
      let progress = QuietOption.progress(args, json: json)
      progress("checking \(MessageText.quoted(format, limit: 40)) certificate \(MessageText.quoted(path, limit: 60)): regenerating matrices, re-checking minors and primes")
      let outcome: CheckOutcome
      do { outcome = try verifier(data, options) } catch { progress.clear(); throw error }
      progress.clear()
      let failing = outcome.verdicts.filter { policy.failing.contains($0.verdict) }
      if json {
        var o: [String: Any] = ["holds": true, "format": format, "summary": outcome.summary]
        if let r = outcome.rank { o["rank"] = r }
        if let e = outcome.exact { o["exact"] = e }
        if format == boundCertificateFormat { o["failing"] = failing.map { "\($0.bound) \($0.verdict.rawValue)" } }
        Console.out(jsonText(o))
      } else {
        Console.out("certificate holds: \(outcome.summary)")
        if !failing.isEmpty {
          Console.out("failing verdicts (--fail-on \(policy)): " + failing.map { "\($0.bound) \($0.verdict.rawValue)" }.joined(separator: ", "))
        }
      }
      if !failing.isEmpty { return 1 }
      if outcome.exact == false && !args.has("lower-bound-ok") {
        Console.err("hessrank: note: the certificate proves lower bounds only (no upper-bound proof); exit status 3 (pass --lower-bound-ok to accept)")
        return 3
      }
      return 0
    } catch let r as CertificateRejected {
      if json {
        Console.out(jsonText(["holds": false, "format": format, "summary": r.message]))
      } else {
        Console.out("certificate REJECTED: \(r.message)")
      }
      return 1
    }
  }

  /// The verifier for `matrix-rank --certificate` files.
  static func verifyMatrixRankCertificate(_ data: Data, _ options: CheckOptions) throws -> CheckOutcome {
    let file: MatrixRankCertificateFile
    do {
      file = try JSONDecoder().decode(MatrixRankCertificateFile.self, from: data)
    } catch {
      throw CLIError("malformed matrix rank certificate: \(decodingMessage(error))")
    }
    do {
      if let path = options.matrixPath {
        let expected = try MatrixText.readScaled(contentsOf: path).matrix
        let embedded = IntegerMatrix(rationalRows: try file.rationalRows())
        guard expected == embedded || (expected.rows == 0 && embedded.rows == 0) else {
          throw CertificateRejected(message: "the certificate is about a different matrix than \(path)")
        }
      }
      let v = try file.verify(seed: options.seed, primes: options.primes)
      return CheckOutcome(summary: v.summary, rank: v.rank, exact: v.isExact)
    } catch let e as MatrixFileError {
      throw CLIError(e.description)
    } catch let e as RankCertificateError {
      throw CertificateRejected(message: e.description)
    }
  }

  /// The largest certificate file read.
  static let maxCertificateBytes = 1 << 30

  static func decodingMessage(_ error: any Error) -> String { DecodingMessage.text(error) }

  static func jsonText(_ o: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
