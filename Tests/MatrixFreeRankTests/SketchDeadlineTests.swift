import ConvNet
import Exact
import Hessian
import Testing
@testable import MatrixFreeRank

/// `SketchOptions.deadline` (`rank --time-limit`): a run past its deadline keeps the ranks of the
/// last width it completed; those are proved lower bounds (nonzero minors), flagged where the
/// sketch was still of full rank, and a deficient sketch keeps its usual (exact) rank.
@Suite struct SketchDeadlineTests {
  @Test func stopsAtTheLastCompletedWidthWithProvedLowerBounds() throws {
    // n·H_o, n·H_f, n·H_L of rank 24, 12, 35 at this point (p = 46).
    let (inst, pattern) = try instance("1x12 conv(2,k=3) dense(2)", samples: 30, seed: 1)
    let prime = SketchPrimes.draw(count: 1, seed: 3)[0]
    let products = try BatchedProducts(instance: inst, pattern: pattern, prime: prime, threads: 2)
    var options = SketchOptions(initialWidth: 16, threads: 2)
    let reference = try SketchedRank.run(products, seed: 5, options: options)
    #expect(reference.map(\.rank) == [24, 12, 35] && !reference.contains(where: \.stoppedAtDeadline))
    // A deadline far away changes nothing.
    options.deadline = .now + .seconds(3600)
    #expect(try SketchedRank.run(products, seed: 5, options: options) == reference)
    // A deadline already past: the first width (16) is completed, nothing after it.
    options.deadline = .now
    var lines: [String] = []
    let stopped = try SketchedRank.run(products, seed: 5, options: options) { lines.append($0) }
    #expect(lines.contains { $0.hasPrefix("time limit") })
    for (o, r) in zip(stopped, reference) {
      #expect(o.widths == [16] && o.rank <= r.rank, "\(o.target)")
      // Still of full rank at width 16 (H_o, H_L): flagged, no failure bound; deficient (H_f,
      // rank 12 < 16): the same rank as the full run, not flagged.
      #expect(o.stoppedAtDeadline == (o.rank == 16), "\(o.target)")
      #expect(o.stoppedAtDeadline ? o.sketchFailureBound == 1 : o.sketchFailureBound < 1)
      if !o.stoppedAtDeadline { #expect(o.rank == r.rank, "\(o.target)") }
      // The lower bound is proved: its pivot minor is nonzero modulo P.
      let d = SketchedRank.minorDeterminant(products, seed: 5, target: o.target, rows: o.pivotRows, cols: o.pivotCols)
      #expect(d != 0 && o.pivotCols.count == o.rank, "\(o.target)")
    }
    #expect(stopped.map(\.stoppedAtDeadline) == [true, false, true])
  }
}
