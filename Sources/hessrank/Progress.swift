import Foundation
import Hessian
import ConvNet
import Synchronization

/// The progress line every long-running command shares: one line on stderr, rewritten in place
/// and refreshed every second, shown only when stderr is a terminal (and not with `--quiet` or
/// `--json`; see `QuietOption.progress`).
///
/// Time left: a command may give a plan, its stages in order, each with a marker (text that
/// the stage's progress messages contain, e.g. "certifying rank of H_f") and an estimated cost
/// (e.g. rows·cols·min(rows, cols) for an elimination, so stages of unequal size weigh what
/// they cost). A message containing a later stage's marker counts the earlier stages as done; a
/// "k/N" or "k of N" in a message counts k/N of the current stage (primes, seeds). The line then
/// shows elapsed × cost left / cost done; a command that knows better (table: rows weighed by
/// their cost) passes the seconds left itself.
final class Progress: Sendable {
  /// One stage of a plan.
  struct Stage: Sendable {
    /// Text the stage's progress messages contain.
    let marker: String
    /// Its estimated cost, in any unit shared by the plan.
    let cost: Double
  }

  private struct State: Sendable {
    var text = ""
    var remaining: Double?
    var stages: [Stage] = []
    var current = -1
    var fraction = 0.0
    var active = false
    var ticking = false
  }

  let enabled: Bool
  /// When the command started (monotonic seconds).
  let start = monotonicSeconds()
  private let state = Mutex(State())

  init(enabled: Bool = Console.stderrIsTerminal) { self.enabled = enabled }

  /// Sets the stages whose costs give the time left.
  func plan(_ stages: [Stage]) {
    state.withLock { $0.stages = stages; $0.current = -1; $0.fraction = 0 }
  }

  /// Replaces the progress line with `s`.
  func say(_ s: String) { say(s, remaining: nil) }

  /// Replaces the progress line with `s`; `remaining` (seconds) overrides the plan's estimate.
  func say(_ s: String, remaining: Double?) {
    guard enabled else { return }
    let startTicker = state.withLock { st -> Bool in
      st.text = s
      st.remaining = remaining
      Self.advance(&st, by: s)
      st.active = true
      defer { st.ticking = true }
      return !st.ticking
    }
    draw()
    if startTicker {
      Thread.detachNewThread { [weak self] in
        while let self, self.state.withLock({ $0.active }) {
          Thread.sleep(forTimeInterval: 1)
          self.draw()
        }
      }
    }
  }

  /// Same as `say`.
  func callAsFunction(_ s: String) { say(s) }

  /// Removes the progress line (a later `say` shows it again).
  func clear() {
    guard enabled else { return }
    // Written under the lock, so that the ticker cannot redraw after the line is gone.
    state.withLock { st in
      if st.active { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      st.active = false
      st.ticking = false
    }
  }

  private func draw() {
    state.withLock { st in
      guard st.active else { return }
      let elapsed = monotonicSeconds() - start
      var line = "… [\(Self.duration(elapsed))] \(st.text)"
      if let left = st.remaining ?? Self.estimate(st, elapsed: elapsed) { line += ", about \(Self.duration(left)) left" }
      FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
  }

  /// Moves the plan's position to the last stage whose marker `message` contains (at or after
  /// the current one), and reads a "k/N" or "k of N" fraction of it.
  private static func advance(_ st: inout State, by message: String) {
    guard !st.stages.isEmpty else { return }
    var i = max(st.current, 0)
    var found: Int? = nil
    while i < st.stages.count {
      if message.contains(st.stages[i].marker) { found = i; break }
      i += 1
    }
    if let found, found != st.current { st.current = found; st.fraction = 0 }
    if st.current >= 0, let f = fraction(in: message) { st.fraction = max(st.fraction, f) }
  }

  /// The last "k/N" or "k of N" (0 ≤ k ≤ N) in `message`, as (k − 1)/N for "k/N" (the k-th
  /// of N is under way) and k/N for "k of N" (k done).
  static func fraction(in message: String) -> Double? {
    var result: Double? = nil
    let words = message.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" || $0 == "," || $0 == ":" })
    for (i, w) in words.enumerated() {
      let parts = w.split(separator: "/")
      if parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n > 0, k >= 1, k <= n {
        result = Double(k - 1) / Double(n)
      }
      if i + 2 < words.count, words[i + 1] == "of", let k = Int(w), let n = Int(words[i + 2]), n > 0, k >= 0, k <= n {
        result = Double(k) / Double(n)
      }
    }
    return result
  }

  /// Seconds left from the plan: elapsed × cost left / cost done, once some cost is done.
  private static func estimate(_ st: State, elapsed: Double) -> Double? {
    guard st.current >= 0 else { return nil }
    let total = st.stages.reduce(0) { $0 + $1.cost }
    let done = st.stages[..<st.current].reduce(0) { $0 + $1.cost } + st.stages[st.current].cost * st.fraction
    guard done > 0, total > done, elapsed >= 1 else { return nil }
    return elapsed * (total - done) / done
  }

  /// "42s", "3m05s", "2h07m".
  static func duration(_ s: Double) -> String {
    let t = Int(s.rounded())
    if t < 60 { return "\(t)s" }
    if t < 3600 { return String(format: "%dm%02ds", t / 60, t % 60) }
    return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60)
  }
}

extension Progress {
  /// The stages of `HessianRanks.compute` (markers: its progress messages), each elimination
  /// weighed by rows·cols·min(rows, cols): J is nK × p, n·H_f and n·H_L are p × p, so H_o of a
  /// net with few outputs costs far less than H_L. Exact (certified) work is weighed 5× the
  /// same elimination modulo a word prime (`AutoMethodChoice.exactBuildFactor`). `prefix` is
  /// put before every marker (certify's "seed S: ").
  static func rankStages(_ instance: NetworkInstance, options: HessianRankOptions, prefix: String = "") -> [Stage] {
    let p = Double(instance.plan.parameterCount)
    let rowsJ = Double(instance.sampleCount * instance.plan.outputSize)
    func elimination(_ kind: HessianKind) -> Double {
      kind == .outer ? rowsJ * p * min(rowsJ, p) : p * p * p
    }
    let one = options.kinds.reduce(0) { $0 + elimination($1) }
    let exact = AutoMethodChoice.exactBuildFactor
    let modular = [Stage(marker: prefix + "exact forward pass", cost: rowsJ * p),
                   Stage(marker: prefix + "modulo prime", cost: Double(options.primes) * one)]
    let certified = [Stage(marker: prefix + "building exact matrices", cost: exact * one)]
      + options.kinds.map { Stage(marker: prefix + "certifying rank of \($0.symbol)", cost: exact * elimination($0)) }
    switch options.method {
    case .modular: return modular
    case .certified, .bareiss: return certified
    case .matrixFree: return [Stage(marker: prefix + "run", cost: 1)]
    case .auto:
      return instance.plan.parameterCount <= 600 || options.wantCertificates ? modular + certified : modular
    }
  }
}
