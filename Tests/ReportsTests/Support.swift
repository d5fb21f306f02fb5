import ConvNet
import Foundation
import Hessian
import Reports

/// A sweep from JSON text.
func sweep(_ json: String) throws -> SweepSpec {
  try SweepSpec(json: Data(json.utf8))
}

/// The error message a sweep gives when read and planned (nil when it is valid).
func sweepError(_ json: String, registry: AnnotatorRegistry = .builtIn) -> String? {
  do {
    let spec = try SweepSpec(json: Data(json.utf8))
    _ = try registry.resolve(bounds: spec.bounds, formulas: spec.formulas)
    _ = try spec.plan()
    return nil
  } catch {
    return error.message
  }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("reports-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Runs a sweep with the built-in annotators.
func runSweep(_ spec: SweepSpec, jobs: Int = 2, shard: Shard? = nil, journal: RowJournal? = nil) throws -> SweepOutcome {
  let annotators = try AnnotatorRegistry.builtIn.resolve(bounds: spec.bounds, formulas: spec.formulas)
  return try SweepRunner(plan: try spec.plan(), annotators: annotators).run(jobs: jobs, shard: shard, journal: journal)
}

/// Rows with the timings set to zero (the only field that differs between two runs).
func withoutTimes(_ rows: [TableRow]) -> [TableRow] {
  rows.map { r in
    var r = r
    r.seconds = 0
    return r
  }
}

/// A small sweep of tiny networks (8 rows, each well under a second): two depths × two widths
/// × two seeds.
let tinySweep = """
  {
    "name": "tiny",
    "architecture": "1x8 {repeat depth: conv({m},k=3)} dense(2)",
    "samples": 12,
    "groups": [{"axes": {"depth": [1, 2]}}, {"axes": {"m": [1, 3]}}],
    "seeds": 2
  }
  """

/// Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
func parseCSV(_ text: String) -> [[String]] {
  var records: [[String]] = []
  var record: [String] = []
  var field = ""
  var inQuotes = false
  var chars = Array(text)[...]
  while let c = chars.popFirst() {
    if inQuotes {
      if c == "\"" {
        if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { inQuotes = false }
      } else {
        field.append(c)
      }
    } else if c == "\"" {
      inQuotes = true
    } else if c == "," {
      record.append(field)
      field = ""
    } else if c == "\r\n" || c == "\n" {
      record.append(field)
      records.append(record)
      record = []
      field = ""
    } else {
      field.append(c)
    }
  }
  if !field.isEmpty || !record.isEmpty {
    record.append(field)
    records.append(record)
  }
  return records
}
