import ConvNet
import ExactLinearAlgebra
import Foundation
import RankBounds
import Reports

/// `hessrank table SWEEP …` and `hessrank table merge ROWS.jsonl…`: tightness tables and plots
/// over a sweep of configs — parallel, resumable after a kill, shardable over a cluster.
enum TableCommand: Subcommand {
  static let name = "table"
  static let abstract = "Tables and plots of exact ranks and bounds over a sweep of configs"
  static var help: String {
    """
    USAGE: hessrank table <SWEEP.json> [--format md|csv|json|tex] [--out FILE]... [--plot FILE.svg]
                          [--jobs N] [--shard i/N] [--resume ROWS.jsonl] [--x AXIS] [--title T] [--list]
                          [--fail-on V]
           hessrank table merge <ROWS.jsonl>... [--format …] [--out FILE]... [--plot FILE.svg] [--x AXIS]
                                [--title T] [--allow-partial] [--fail-on V]

    Expands the sweep (an architecture template and axes, docs/sweeps.md), checks every config
    before any work, computes the exact ranks of H_o, H_f, H_L of each config at each seed, and
    prints one row per config with p, K, r = rank(X), the ranks, each bound's value and verdict
    (TIGHT rank = bound, HOLDS rank < upper bound, SHORT rank < claimed formula, VIOLATED
    rank > bound), the seeds and the time.

    OPTIONS:
      --format F        md (default), csv, json or tex (LaTeX booktabs) for standard output
      --out FILE        write the table to FILE instead (format from the extension .md .csv
                        .json .tex, else --format); repeat for several formats
      --columns A,B,…   the columns of the Markdown and LaTeX tables, in this order: axis
                        names, bound ids, network, n, seed, p, K, r, H_o, H_f, H_L, time
                        (default: all; LaTeX leaves out time unless asked)
      --plot FILE.svg   also write an SVG figure: (a), (b), … ranks against the swept axis
                        with the bound curves and √p, one panel per group of the other axes;
                        last, rank against p on log–log axes with √p and a fitted slope per
                        series. The plotted numbers go to FILE.data.csv beside it.
      --plot-width PX   width of the whole figure (default 430 per panel column)
      --font-size PT    base font size of the figure (default 11)
      --plot-log x|y|xy logarithmic axes in the rank-against-axis panels
      --plot-p          also draw p (rank = p) as a reference line
      --plot-columns N  panels per row (default: up to three in one row, else two)
      --x AXIS          the axis for the plot's horizontal axis (default: the sweep's "plot",
                        else the integer axis with the most values)
      --title T         title of the plot and the LaTeX comment (default: the sweep's "name")
      --jobs N          rows computed in parallel (default: the CPUs this process may use —
                        affinity mask and cgroup quota, e.g. Slurm's --cpus-per-task; each row
                        then uses CPUs/N threads)
      --resume FILE     the rows file (JSON Lines): every finished row is appended at once, and
                        rows already in it are not computed again. Pass it on the first run too;
                        after a crash or kill -9, rerun the same command.
      --shard i/N       compute only rows whose index ≡ i (mod N), 0 ≤ i < N; join the shards'
                        rows files with 'hessrank table merge'
      --shard slurm/N   in a Slurm array task: i = SLURM_ARRAY_TASK_ID (must be < N), right for
                        any array of shard numbers (0-15, stepped 0-6:2, sparse 3,5,9)
      --shard slurm     i/N from the task's position in an evenly spaced array (0-15, 1-16,
                        0-6:2); sparse arrays need slurm/N
      --quiet           no progress line on stderr (shown only on a terminal)
      --list            print the expanded rows (index and key) and exit, computing nothing
      --fail-on V       exit 1 when a config's verdict over its seeds is: violated (VIOLATED),
                        short (VIOLATED or SHORT); default none: computing the rows succeeds
                        whatever the verdicts (what batch jobs want; check them at the merge)

    merge: joins rows files of one sweep (shards, reruns), keeps one row per key, checks that
    the files come from the same sweep and that duplicate rows agree, and renders the table
    (and plot) like 'table', with the sweep's name and plot axis (kept in the rows). Missing
    rows are listed and fail the merge (exit 2, nothing written) unless --allow-partial.
      --allow-partial   render the rows there are (a warning lists the missing ones), exit 0

    BOUNDS (ids for the sweep's "bounds"; default: all; 'hessrank bounds ID' explains one):
    \(AnnotatorRegistry.standard.annotators.map { "  " + $0.summary }.joined(separator: "\n"))

    EXAMPLES:
      hessrank table examples/sweeps/quickstart.json --resume rows.jsonl --out table.md --plot plot.svg
      hessrank table examples/sweeps/quickstart.json --list
      hessrank table merge rows.jsonl --out table.tex --columns depth,m,H_o,H_f,one-conv-outer

    Exit status: 0 done (whatever the verdicts, unless --fail-on); 1 a failing verdict with
    --fail-on; 2 bad input, rows that failed, or (merge) rows missing without --allow-partial.
    """
  }
  static let spec = ArgumentSpec(valued: ["format", "out", "plot", "jobs", "shard", "resume", "x", "title", "fail-on", "plot-width",
                                          "font-size", "plot-log", "plot-columns", "columns"],
                                 flags: ["list", "allow-partial", "plot-p", QuietOption.flag])

  static func run(_ args: ParsedArguments) throws -> Int32 {
    if args.positional.first == "merge" { return try merge(args) }
    let sweepPath = try args.positionals("SWEEP.json")[0]
    if args.has("allow-partial") { throw CLIError("--allow-partial applies to 'table merge' only") }
    var outputs = try Outputs(args)
    let policy = try FailOnOption.parse(args, default: .none)
    let spec: SweepSpec
    let annotators: [any RowAnnotator]
    let plan: SweepPlan
    do {
      spec = try SweepSpec.load(path: sweepPath)
      annotators = try registry(losses: spec.losses).resolve(bounds: spec.bounds, formulas: spec.formulas)
      plan = try spec.plan()
    } catch {
      throw CLIError(error.message.hasPrefix(sweepPath) ? error.message : "\(sweepPath): \(error.message)")
    }
    var shard: Shard?
    if let text = args.value("shard") {
      do throws(SweepError) {
        if text == "slurm" || text.hasPrefix("slurm/") {
          let count = text == "slurm" ? nil : Int(text.dropFirst(6))
          if text != "slurm" && (count ?? 0) < 1 { throw SweepError("--shard slurm/N needs a shard count N ≥ 1, got '\(String(text.prefix(30)))'") }
          shard = try Shard(slurmArray: ProcessInfo.processInfo.environment, count: count)
        } else {
          shard = try Shard(parsing: text)
        }
      } catch {
        throw CLIError(error.message)
      }
    }
    try outputs.checkColumns(axes: spec.axisNames, bounds: annotators.map(\.id))
    outputs.boundClaims = claims(annotators)
    let jobs = try args.int("jobs", default: ModularElimination.defaultThreads, range: 1...256)
    let xAxis = args.value("x") ?? spec.plotAxis
    if let x = xAxis, !spec.axisNames.contains(x) {
      throw CLIError("--x \(x): not an axis of the sweep (axes: \(spec.axisNames.joined(separator: ", ")))")
    }
    if args.has("list") {
      let rows = plan.rows(in: shard)
      Console.out("\(rows.count) of \(plan.rows.count) rows (\(spec.configCount) configs × \(spec.seeds.count) seed(s))\(shard.map { ", shard \($0)" } ?? ""), sweep \(plan.hash)")
      for r in rows { Console.out("\(r.index)\tp=\(r.parameterCount)\t\(r.key)") }
      return 0
    }
    var journal: RowJournal?
    if let path = args.value("resume") {
      do {
        journal = try RowJournal(path: path)
      } catch {
        throw CLIError(error.message)
      }
    }
    if let journal { reportRecovery(journal.existing, path: journal.path, cut: true) }

    let progress = QuietOption.progress(args)
    let outcome: SweepOutcome
    do {
      outcome = try SweepRunner(plan: plan, annotators: annotators).run(jobs: jobs, shard: shard, journal: journal) { p in
        // The runner weighs each row by its cost (p³): its estimate replaces the plan's.
        progress.say("\(p.done) of \(p.total) rows", remaining: p.done < p.total ? p.remaining : nil)
      }
    } catch {
      progress.clear()
      throw CLIError(error.message)
    }
    progress.clear()
    for f in outcome.failures { Console.err("hessrank: row \(f.index) (\(f.config)) failed: \(f.message)") }
    try outputs.write(rows: outcome.rows, title: args.value("title") ?? spec.name, xAxis: xAxis)
    let elapsed = monotonicSeconds() - progress.start
    var summary = "table: \(outcome.rows.count) of \(outcome.planned) rows"
    if outcome.reused > 0 { summary += " (\(outcome.computed) computed, \(outcome.reused) from \(journal?.path ?? "the rows file"))" }
    summary += " in \(Progress.duration(elapsed)) (\(jobs) job\(jobs == 1 ? "" : "s") on \(AvailableCPUs.count) CPU\(AvailableCPUs.count == 1 ? "" : "s"))"
      + verdictSummary(outcome.rows)
    Console.err(summary)
    if !outcome.failures.isEmpty { return 2 }
    return failsPolicy(outcome.rows, policy) ? 1 : 0
  }

  /// The claim of each bound ("rank(H_o) = q*(r+K-q)"), for the key under a LaTeX table.
  static func claims(_ annotators: [any RowAnnotator]) -> [String: String] {
    var out: [String: String] = [:]
    for case let a as RankBoundAnnotator in annotators { out[a.id] = a.bound.claimText }
    return out
  }

  /// The bound catalog (of these losses) and √p, with `certify`'s formula syntax for the
  /// sweep's "formulas".
  static func registry(losses: Set<LossFunction> = Set(LossFunction.allCases)) -> AnnotatorRegistry {
    var r = AnnotatorRegistry.standard(losses: losses)
    r.formulaParser = { text, number in
      do {
        return RankBoundAnnotator(try CertifyCommand.userBound(text, id: "formula-\(number)"))
      } catch let e as CLIError {
        // One line: the message without certify's option name and caret diagram.
        let first = e.message.split(separator: "\n").first.map(String.init) ?? e.message
        throw SweepError(first.replacingOccurrences(of: "--formula ", with: ""))
      }
    }
    return r
  }

  // MARK: merge

  static func merge(_ args: ParsedArguments) throws -> Int32 {
    let files = Array(args.positional.dropFirst())
    guard !files.isEmpty else { throw CLIError("expected <ROWS.jsonl>...: the rows files to merge (from --resume)") }
    for option in ["jobs", "shard", "resume"] where args.value(option) != nil {
      throw CLIError("--\(option) does not apply to 'table merge'")
    }
    if args.has("list") { throw CLIError("--list does not apply to 'table merge'") }
    var outputs = try Outputs(args)
    outputs.boundClaims = claims(registry().annotators)
    let policy = try FailOnOption.parse(args, default: .none)
    var latest: [String: (row: TableRow, file: String)] = [:]
    var order: [String] = []
    var sweepFiles: [String: [String]] = [:]
    for file in files {
      let contents: JournalContents
      do {
        contents = try RowJournal.read(path: file)
      } catch {
        throw CLIError(error.message)
      }
      reportRecovery(contents, path: file, cut: false)
      for row in contents.latestByKey {
        if let (old, oldFile) = latest[row.key], !old.sameResults(as: row) {
          throw CLIError("conflicting results for the same row in \(oldFile) and \(file): \(row.key) (ranks \(old.ranks.map { "\($0.kind.symbol) \($0.rank)" }.joined(separator: ", ")) vs \(row.ranks.map { "\($0.kind.symbol) \($0.rank)" }.joined(separator: ", ")))")
        }
        if latest[row.key] == nil { order.append(row.key) }
        latest[row.key] = (row, file)
      }
    }
    for (row, file) in latest.values where !(sweepFiles[row.sweep]?.contains(file) ?? false) {
      sweepFiles[row.sweep, default: []].append(file)
    }
    if sweepFiles.count > 1 {
      let list = sweepFiles.sorted { $0.key < $1.key }.map { "sweep \($0.key) in \($0.value.sorted().joined(separator: ", "))" }
      throw CLIError("the files hold rows of \(sweepFiles.count) different sweeps (\(list.joined(separator: "; "))); merge the shards of one sweep")
    }
    let rows = order.compactMap { latest[$0]?.row }.sorted { $0.index < $1.index }
    var byIndex: [Int: String] = [:]
    for r in rows {
      if let other = byIndex[r.index] {
        throw CLIError("two different rows claim index \(r.index) (\(other) and \(r.key)); the files do not come from one sweep")
      }
      byIndex[r.index] = r.key
    }
    if let total = rows.first?.total {
      let missing = (0..<total).filter { byIndex[$0] == nil }
      if !missing.isEmpty {
        let shown = missing.prefix(20).map(String.init).joined(separator: ", ")
        let what = "\(missing.count) of \(total) rows missing (indices \(shown)\(missing.count > 20 ? ", …" : ""))"
        guard args.has("allow-partial") else {
          throw CLIError("\(what); nothing written. Run the missing shards (or requeue their tasks) and merge again, or pass --allow-partial for a partial table")
        }
        Console.err("hessrank: warning: \(what); a partial table (--allow-partial)")
      }
    }
    var axes: [String] = [], bounds: [String] = []
    for r in rows {
      for s in r.settings where !axes.contains(s.name) { axes.append(s.name) }
      for a in r.annotations where !bounds.contains(a.bound) { bounds.append(a.bound) }
    }
    try outputs.checkColumns(axes: axes, bounds: bounds)
    let title = args.value("title") ?? rows.lazy.compactMap(\.sweepName).first
    let xAxis = args.value("x") ?? rows.lazy.compactMap(\.plotAxis).first
    try outputs.write(rows: rows, title: title, xAxis: xAxis)
    Console.err("table merge: \(rows.count) rows from \(files.count) file(s)" + verdictSummary(rows))
    return failsPolicy(rows, policy) ? 1 : 0
  }

  // MARK: Output

  /// Where the table (and the plot) go, checked before any work.
  struct Outputs {
    var files: [(path: String, format: TableFormat)] = []
    var stdoutFormat: TableFormat?
    var plot: String?
    var plotOptions = PlotOptions()
    var columns: [String]?
    var boundClaims: [String: String] = [:]

    /// Refuses column ids that name no axis, bound or fixed column (with a did-you-mean).
    func checkColumns(axes: [String], bounds: [String]) throws {
      guard let columns else { return }
      if let unknown = TableRenderer.unknownColumns(columns, axes: axes, bounds: bounds).first {
        let known = axes + TableRenderer.fixedColumnIDs + bounds
        let hint = NameSuggestion.closest(to: unknown, among: known).map { " (did you mean \($0)?)" } ?? ""
        throw CLIError("--columns: no column '\(unknown)'\(hint); columns: \(known.joined(separator: ", "))")
      }
    }

    init(_ args: ParsedArguments) throws {
      var format = TableFormat.md
      if let f = args.value("format") {
        guard let v = TableFormat(rawValue: f) else {
          throw CLIError("--format must be one of \(TableFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(f)'")
        }
        format = v
      }
      for path in args.all("out") {
        try Outputs.checkDirectory(path, option: "--out")
        files.append((path, TableFormat(fileName: path) ?? format))
      }
      if files.isEmpty { stdoutFormat = format }
      if let text = args.value("columns") {
        columns = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !(columns ?? []).isEmpty else { throw CLIError("--columns needs a comma-separated list of column ids") }
      }
      if let p = args.value("plot") {
        try Outputs.checkDirectory(p, option: "--plot")
        plot = p
      }
      plotOptions = try Outputs.plotOptions(args)
    }

    /// The figure options, checked before any work.
    static func plotOptions(_ args: ParsedArguments) throws -> PlotOptions {
      var o = PlotOptions()
      func number(_ name: String, _ range: ClosedRange<Double>) throws -> Double? {
        guard let text = args.value(name) else { return nil }
        guard let v = Double(text), range.contains(v) else {
          throw CLIError("--\(name) must be a number in \(Int(range.lowerBound))...\(Int(range.upperBound)), got '\(text)'")
        }
        return v
      }
      o.width = try number("plot-width", PlotOptions.widthRange)
      o.fontSize = try number("font-size", PlotOptions.fontSizeRange) ?? o.fontSize
      if let log = args.value("plot-log") {
        guard ["x", "y", "xy", "yx"].contains(log) else { throw CLIError("--plot-log must be x, y or xy, got '\(log)'") }
        o.logX = log.contains("x")
        o.logY = log.contains("y")
      }
      o.showP = args.has("plot-p")
      if args.value("plot-columns") != nil { o.columns = try args.int("plot-columns", default: 2, range: 1...12) }
      return o
    }

    /// Where the figure's numbers go: FILE.svg → FILE.data.csv.
    static func dataPath(forPlot path: String) -> String {
      (path.hasSuffix(".svg") ? String(path.dropLast(4)) : path) + ".data.csv"
    }

    static func checkDirectory(_ path: String, option: String) throws {
      let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw CLIError("\(option) \(path): the directory \(dir) does not exist")
      }
    }

    func write(rows: [TableRow], title: String?, xAxis: String?) throws {
      let renderer = TableRenderer(rows: rows, title: title, columns: columns, boundClaims: boundClaims)
      for (path, format) in files {
        try AtomicFile.write(Data(renderer.render(format).utf8), to: path)
      }
      if let plot {
        do {
          let figure = RankPlot(rows: rows, xAxis: xAxis, title: title, options: plotOptions)
          try AtomicFile.write(Data(try figure.svg().utf8), to: plot)
          try AtomicFile.write(Data(try figure.csv().utf8), to: Outputs.dataPath(forPlot: plot))
        } catch let e as SweepError {
          throw CLIError("--plot: \(e.message)")
        }
      }
      if let stdoutFormat {
        FileHandle.standardOutput.write(Data(renderer.render(stdoutFormat).utf8))
      }
    }
  }

  static func reportRecovery(_ contents: JournalContents, path: String, cut: Bool) {
    if contents.tornBytes > 0 {
      Console.err("hessrank: \(path): \(cut ? "cut" : "ignored") an unfinished last line (\(contents.tornBytes) bytes) left by an interrupted run; that row is \(cut ? "computed again" : "not included")")
    }
    if !contents.skippedLines.isEmpty {
      Console.err("hessrank: warning: \(path): skipped \(contents.skippedLines.count) line(s) that are not rows (line \(contents.skippedLines.prefix(5).map(String.init).joined(separator: ", ")))")
    }
  }

  static func verdictSummary(_ rows: [TableRow]) -> String {
    var counts: [Verdict: Int] = [:]
    for r in rows { for a in r.annotations { if let v = a.verdict { counts[v, default: 0] += 1 } } }
    guard !counts.isEmpty else { return "" }
    return "; verdicts: " + Verdict.allCases.compactMap { v in counts[v].map { "\($0) \(v.rawValue)" } }.joined(separator: ", ")
  }

  /// Each config's verdict per column over its seeds (`Verdict.overSeeds`).
  static func verdictsOverSeeds(_ rows: [TableRow]) -> [Verdict] {
    var byCell: [String: [Verdict]] = [:]
    for r in rows {
      for a in r.annotations { if let v = a.verdict { byCell["\(r.sweep)#\(r.configIndex)#\(a.column)", default: []].append(v) } }
    }
    return byCell.values.compactMap { Verdict.overSeeds($0) }
  }

  /// True when a config's verdict over its seeds fails `policy`.
  static func failsPolicy(_ rows: [TableRow], _ policy: FailurePolicy) -> Bool {
    policy.fails(verdictsOverSeeds(rows))
  }
}
