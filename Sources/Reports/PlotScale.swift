import Foundation

/// A linear or logarithmic axis scale with tick positions.
struct PlotScale {
  let low: Double
  let high: Double
  let logarithmic: Bool

  /// A scale over `values`: rounded outwards to nice numbers, or (`tight`) the data range
  /// padded by 4 % on each side, with nice ticks inside it.
  init(values: [Double], logarithmic: Bool, includeZero: Bool = false, tight: Bool = false) {
    self.logarithmic = logarithmic
    let finite = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
    var lo = finite.min() ?? 1, hi = finite.max() ?? 10
    if tight, finite.count > 0, hi > lo {
      if logarithmic {
        let pad = pow(hi / lo, 0.04)
        lo /= pad
        hi *= pad
      } else {
        let pad = (hi - lo) * 0.04
        lo -= pad
        hi += pad
      }
    } else if logarithmic {
      // Round outwards to 1, 2 or 5 times a power of ten.
      let e = pow(10, floor(log10(lo)))
      lo = [5.0, 2, 1].map { $0 * e }.first { $0 <= lo * 1.0001 } ?? e
      let f = pow(10, floor(log10(hi)))
      hi = [1.0, 2, 5, 10].map { $0 * f }.first { $0 >= hi * 0.9999 } ?? 10 * f
      if hi <= lo { hi = lo * 10 }
    } else {
      if includeZero { lo = min(lo, 0) }
      if hi <= lo { hi = lo + 1 }
      let step = PlotScale.niceStep((hi - lo) / 5)
      lo = floor(lo / step) * step
      hi = ceil(hi / step) * step
    }
    low = lo
    high = hi
  }

  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0 else { return 1 }
    let e = pow(10, floor(log10(raw)))
    let m = raw / e
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e
  }

  /// Position in 0...1.
  func unit(_ v: Double) -> Double {
    if logarithmic { return (log10(max(v, low)) - log10(low)) / (log10(high) - log10(low)) }
    return (v - low) / (high - low)
  }

  /// Tick values with labels.
  var ticks: [(value: Double, label: String)] {
    if logarithmic {
      // 1-2-5 ticks over up to three decades, powers of ten beyond.
      let multipliers = log10(high) - log10(low) <= 3.01 ? [1.0, 2, 5] : [1.0]
      var out: [(Double, String)] = []
      var e = pow(10, floor(log10(low)))
      if multipliers.count == 1, log10(high) - log10(low) > 6 {
        // Every other power of ten past six decades.
        var out: [(Double, String)] = []
        var k = floor(log10(low))
        while pow(10, k) <= high * 1.0001 {
          if pow(10, k) >= low * 0.9999 { out.append((pow(10, k), PlotScale.label(pow(10, k)))) }
          k += 2
        }
        return out
      }
      while e <= high * 1.0001 {
        for m in multipliers where m * e >= low * 0.9999 && m * e <= high * 1.0001 { out.append((m * e, PlotScale.label(m * e))) }
        e *= 10
      }
      return out
    }
    let step = PlotScale.niceStep((high - low) / 5)
    var out: [(Double, String)] = []
    var v = ceil(low / step - 1e-9) * step
    while v <= high + step * 1e-9 {
      out.append((v, PlotScale.label(v)))
      v += step
    }
    return out
  }

  static func label(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%g", v)
  }
}

