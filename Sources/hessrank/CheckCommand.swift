import ExactLinearAlgebra
import Foundation
import Hessian

/// What a certificate verifier proved, for `hessrank check`.
struct CheckOutcome {
  /// One line: what holds and how it was checked.
  var summary: String
  /// The proved rank (or lower bound), when the certificate is about a rank.
  var rank: Int?
  /// True when the rank is exact, false for a lower bound.
  var exact: Bool?
}

/// Options every verifier receives.
struct CheckOptions {
  /// Fixes the verification primes; nil draws them at random.
  var seed: UInt64?
  /// How many fresh primes to try.
  var primes: Int
  /// A matrix file the certificate's embedded matrix must equal (`--matrix`), if given.
  var matrixPath: String?
}

/// A certificate that was read correctly but does not hold (exit status 1).
struct CertificateRejected: Error {
  let message: String
}

/// `hessrank check CERT.json`: re-verifies a certificate from scratch.
enum CheckCommand: Subcommand {
  static let name = "check"
  static let abstract = "Re-verify a certificate file from scratch"
  static let spec = ArgumentSpec(valued: ["seed", "primes", "matrix"], flags: ["json"])
  static let help = """
    USAGE: hessrank check <certificate.json> [--matrix FILE] [--seed S] [--primes N] [--json]

    Re-verifies a certificate file written by hessrank, trusting nothing in it but the
    matrix it names. The file's "format" field selects the verifier:
      \(verifiers.keys.sorted().joined(separator: "\n      "))

    For a matrix rank certificate: rebuilds the integer matrix, checks that the pivot minor
    is nonsingular (modulo fresh random primes, exactly when small), and the upper bound:
    that every kernel vector satisfies M·v = 0 exactly over Z and the kernel vectors are
    independent, or that the matrix has rank ≤ r modulo every listed prime and that the
    primes' product passes Hadamard's bound on its (r+1)-minors (recomputed from the matrix).

    OPTIONS:
      --matrix F   also require the certificate's matrix to be the matrix in file F (after
                   scaling rows to integers); a different matrix is a rejection.
      --seed S     fixes the verification primes (default: fresh random primes).
      --primes N   how many primes to try before an exact fallback (default 3).
      --json       prints one JSON object: holds, format, summary, rank, exact.

    EXAMPLES:
      hessrank matrix-rank examples/matrices/lowrank-6x5.txt --certificate cert.json
      hessrank check cert.json
      hessrank check cert.json --matrix examples/matrices/lowrank-6x5.txt --json

    EXIT CODES: 0 the certificate holds; 1 it was rejected; 2 unreadable input.
    """

  /// Verifiers by certificate format. Other modules add their certificate kinds here.
  static let verifiers: [String: @Sendable (Data, CheckOptions) throws -> CheckOutcome] = [
    MatrixRankCertificateFile.currentFormat: verifyMatrixRankCertificate,
    HessianCertificate.currentFormat: verifyHessianCertificate,
    SketchCertificate.currentFormat: verifySketchCertificate,
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
    let format: String
    do {
      format = try JSONDecoder().decode(FormatHeader.self, from: data).format
    } catch {
      throw CLIError("\(path) is not a certificate (JSON with a \"format\" field): \(decodingMessage(error))")
    }
    if format == RankCertificate.currentFormat {
      throw CLIError(
        "\(path) is a bare rank certificate without its matrix; verify it with the command that rebuilds the matrix")
    }
    guard let verifier = verifiers[format] else {
      throw CLIError("\(path): unknown certificate format '\(format)' (known: \(verifiers.keys.sorted().joined(separator: ", ")))")
    }
    let json = args.has("json")
    do {
      let outcome = try verifier(data, options)
      if json {
        var o: [String: Any] = ["holds": true, "format": format, "summary": outcome.summary]
        if let r = outcome.rank { o["rank"] = r }
        if let e = outcome.exact { o["exact"] = e }
        Console.out(jsonText(o))
      } else {
        Console.out("certificate holds: \(outcome.summary)")
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

  struct FormatHeader: Decodable {
    let format: String
  }

  static func decodingMessage(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let c):
      return c.debugDescription + (c.underlyingError.map { " (\($0.localizedDescription))" } ?? "")
    case DecodingError.keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
      return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
    default: return "\(error)"
    }
  }

  static func jsonText(_ o: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
