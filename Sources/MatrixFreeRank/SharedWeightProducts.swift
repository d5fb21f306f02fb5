import CLapack
import ConvNet

/// The layout of a parametric stage whose rows come in C channel groups of Q rows that share
/// one pattern: row c·Q + q reads input column `columnOf[q·J + j]` with weight c·J + j (conv
/// layers: C output channels, Q output positions, J = c_in·k_h·k_w; dense layers: Q = 1).
/// Found from the Toeplitz structure itself and verified entry by entry, so any layer that has
/// the shape gets the fast path and any other keeps the sparse loops.
///
/// With that shape the two terms of the forward tangent are dense products through BLAS:
/// T(θ)·Ẋ = W·im2col(Ẋ) (W the C × J weight matrix) and Z(h)·V = im2col(h)·V_c per channel,
/// on exact integer-valued doubles: the inner dimension is cut into slabs of at most
/// `delay − 1` products of centred residues, each slab reduced before the next, so every partial
/// sum is an integer below 2^53 and BLAS's order of summation does not matter.
struct SharedWeightLayout: Sendable {
  /// C.
  let channels: Int
  /// Q.
  let positions: Int
  /// J.
  let width: Int
  /// Q × J: the input column of (q, j), or −1 (padding).
  let columnOf: [Int]

  /// The layout of `t`, or nil when its rows do not have the shared shape.
  init?(_ t: ToeplitzStructure) {
    guard t.rows > 0, t.weightCount > 0 else { return nil }
    // Q: the first row whose weights all lie above every weight of the rows before it.
    var highest = -1, q = t.rows
    for a in 0..<t.rows {
      let entries = t.rowStart[a]..<t.rowStart[a + 1]
      guard !entries.isEmpty else { continue }
      let low = entries.map { t.parameter[$0] }.min()!
      if a > 0 && low > highest { q = a; break }
      highest = max(highest, entries.map { t.parameter[$0] }.max()!)
    }
    let j = highest + 1
    // q·j < 2^28: the transposed scatter adds at most Q·J pairs of reduced values onto one input.
    guard j > 0, t.rows % q == 0, t.weightCount == (t.rows / q) * j, q * j < 1 << 28 else { return nil }
    let c = t.rows / q
    var columnOf = [Int](repeating: -1, count: q * j)
    for a in 0..<q {
      for e in t.rowStart[a]..<t.rowStart[a + 1] {
        let w = t.parameter[e]
        guard w < j, columnOf[a * j + w] < 0 else { return nil }
        columnOf[a * j + w] = t.column[e]
      }
    }
    // Every row c·Q + q repeats row q with weights shifted by c·J.
    for ch in 1..<max(1, c) {
      for a in 0..<q {
        let r0 = t.rowStart[a], r1 = t.rowStart[ch * q + a]
        let count = t.rowStart[a + 1] - r0
        guard t.rowStart[ch * q + a + 1] - r1 == count else { return nil }
        for e in 0..<count where t.parameter[r1 + e] != t.parameter[r0 + e] + ch * j || t.column[r1 + e] != t.column[r0 + e] {
          return nil
        }
      }
    }
    channels = c
    positions = q
    width = j
    self.columnOf = columnOf
  }

  /// Positions gathered at once for T(θ)·Ẋ (the im2col block is J × m·b doubles, about 8 MB).
  func positionBlock(width b: Int) -> Int { max(1, min(positions, (1 << 20) / max(1, width * b))) }

  /// Positions taken at once by the backward products: both gradient terms of a block
  /// (2·m products onto one entry) fit between two reductions, and a block of im2col(Ẋ) is at
  /// most 2^22 doubles.
  func backwardBlock(width b: Int, delay: Int) -> Int {
    max(1, min(positions, max(1, (delay - 1) / 2), (1 << 22) / max(1, width * b)))
  }

  /// Scratch doubles one thread needs: im2col(h) (Q × J) and one gathered block of Ẋ (forward),
  /// or two blocks of m × J·b (backward).
  func scratchCount(width b: Int, delay: Int) -> Int {
    positions * width + max(width * positionBlock(width: b) * b, 2 * backwardBlock(width: b, delay: delay) * width * b)
  }

  /// xout += T(θ)·xin (when `xin` is given) + Z(h)·V_l, reduced; `xout` (C·Q × b) holds the
  /// bias rows of V already (reduced). `theta` and `v` point at the layer's first weight.
  func forward(_ xout: UnsafeMutablePointer<Double>, xin: UnsafePointer<Double>?, h: [Double],
               theta: UnsafePointer<Double>, v: UnsafePointer<Double>, width b: Int, field: CentredResidues,
               scratch: UnsafeMutablePointer<Double>) {
    let c = channels, q = positions, j = width
    let slab = max(1, field.delay - 1)
    let patches = scratch
    if let xin { addWeightProduct(xout, xin: xin, theta: theta, width: b, field: field, scratch: scratch + q * j) }
    for a in 0..<q {
      for jj in 0..<j {
        let col = columnOf[a * j + jj]
        patches[a * j + jj] = col < 0 ? 0 : h[col]
      }
    }
    for ch in 0..<c {
      var j0 = 0
      while j0 < j {
        let k = min(slab, j - j0)
        cblas_dgemm(101, 111, 111, Int32(q), Int32(b), Int32(k), 1, patches + j0, Int32(j), v + (ch * j + j0) * b, Int32(b),
                    1, xout + ch * q * b, Int32(b))
        field.reduce(xout + ch * q * b, q * b)
        j0 += k
      }
    }
  }

  /// xout += T(θ)·xin = W·im2col(xin) (both C·Q × b / input size × b, reduced), per block of
  /// `positionBlock` positions, the inner dimension J in slabs of delay − 1, each reduced.
  /// `scratch` holds J·positionBlock(width: b)·b doubles. With b = 1 and xout holding the bias
  /// this is the layer's forward pass at the point.
  func addWeightProduct(_ xout: UnsafeMutablePointer<Double>, xin: UnsafePointer<Double>, theta: UnsafePointer<Double>,
                        width b: Int, field: CentredResidues, scratch gathered: UnsafeMutablePointer<Double>) {
    let c = channels, q = positions, j = width
    let slab = max(1, field.delay - 1)
    let m = positionBlock(width: b)
    var q0 = 0
    while q0 < q {
      let mm = min(m, q - q0), n = mm * b
      // gathered[jj, i·b + col] = xin[column(q0 + i, jj), col].
      for jj in 0..<j {
        for i in 0..<mm {
          let dst = gathered + jj * n + i * b
          let col = columnOf[(q0 + i) * j + jj]
          if col < 0 { dst.update(repeating: 0, count: b) } else { dst.update(from: xin + col * b, count: b) }
        }
      }
      var j0 = 0
      while j0 < j {
        let k = min(slab, j - j0)
        cblas_dgemm(101, 111, 111, Int32(c), Int32(n), Int32(k), 1, theta + j0, Int32(j), gathered + j0 * n, Int32(n),
                    1, xout + q0 * b, Int32(q * b))
        for ch in 0..<c { field.reduce(xout + (ch * q + q0) * b, n) }
        j0 += k
      }
      q0 += mm
    }
  }

  /// im2col(h): patches[q·J + j] = h[column(q, j)] (0 for padding).
  private func fillPatches(_ patches: UnsafeMutablePointer<Double>, _ h: [Double]) {
    let j = width
    for a in 0..<positions {
      for jj in 0..<j {
        let col = columnOf[a * j + jj]
        patches[a * j + jj] = col < 0 ? 0 : h[col]
      }
    }
  }

  /// The weight rows of n·H_f·V (C·J × b at `hv`): hv += Z(ẋ)ᵀ g + Z(h)ᵀ ġ, through BLAS.
  ///
  /// Per block of m positions, Z(ẋ)ᵀg is G·im2col(Ẋ) (G the C × Q matrix of g, im2col(Ẋ) the
  /// m × J·b gather of ẋ) and Z(h)ᵀġ is im2col(h)ᵀ·Ġ_c per channel c (Ġ_c the Q × b rows of ġ
  /// of channel c). Each block adds 2m ≤ delay − 1 products onto an entry; `pending` counts the
  /// products added since hv was last reduced (carried across samples, so dense layers, m = 1,
  /// reduce once every (delay − 1)/2 samples). `xin` nil: ẋ = 0; `y` nil: ġ = 0.
  func weightGradient(_ hv: UnsafeMutablePointer<Double>, pending: inout Int, xin: UnsafePointer<Double>?,
                      g: [Double], h: [Double], y: UnsafePointer<Double>?, width b: Int, field: CentredResidues,
                      scratch: UnsafeMutablePointer<Double>) {
    guard xin != nil || y != nil else { return }
    let c = channels, q = positions, j = width, n = j * b
    let m = backwardBlock(width: b, delay: field.delay)
    let patches = scratch, gathered = scratch + q * j
    if y != nil { fillPatches(patches, h) }
    g.withUnsafeBufferPointer { gb in
      let gp = gb.baseAddress  // only read with `xin` (g may be empty without it)
      var q0 = 0
      while q0 < q {
        let mm = min(m, q - q0)
        let added = (xin != nil ? mm : 0) + (y != nil ? mm : 0)
        if pending + added > field.delay - 1 {
          field.reduce(hv, c * n)
          pending = 0
        }
        if let xin {
          // gathered[i, jj·b + col] = ẋ[column(q0 + i, jj), col].
          for i in 0..<mm {
            for jj in 0..<j {
              let dst = gathered + i * n + jj * b
              let col = columnOf[(q0 + i) * j + jj]
              if col < 0 { dst.update(repeating: 0, count: b) } else { dst.update(from: xin + col * b, count: b) }
            }
          }
          cblas_dgemm(101, 111, 111, Int32(c), Int32(n), Int32(mm), 1, gp! + q0, Int32(q), gathered, Int32(n),
                      1, hv, Int32(n))
        }
        if let y {
          for ch in 0..<c {
            cblas_dgemm(101, 112, 111, Int32(j), Int32(b), Int32(mm), 1, patches + q0 * j, Int32(j),
                        y + (ch * q + q0) * b, Int32(b), 1, hv + ch * n, Int32(b))
          }
        }
        pending += added
        q0 += mm
      }
    }
  }

  /// out (input size × b) ← T(θ)ᵀ ġ + T(V)ᵀ g, reduced, through BLAS: per block of m
  /// positions, E = Gᵀ·V (m × J·b) and D = Wᵀ·Ġ (J × m·b), then col2im (each input column
  /// gathers E + D over the (q, j) that read it). The inner dimension C is cut into slabs of
  /// delay − 1, each reduced. `y` nil: ġ = 0; `v` nil: no T(V)ᵀ g term (a plain cotangent pass,
  /// `ExplicitJacobian`; `g` is not read then).
  func inputGradient(_ out: UnsafeMutablePointer<Double>, inputSize: Int, y: UnsafePointer<Double>?, g: [Double],
                     theta: UnsafePointer<Double>, v: UnsafePointer<Double>?, width b: Int, field: CentredResidues,
                     scratch: UnsafeMutablePointer<Double>) {
    let c = channels, q = positions, j = width, n = j * b
    let m = backwardBlock(width: b, delay: field.delay), slab = max(1, field.delay - 1)
    let e = scratch + q * j, d = e + m * n
    out.update(repeating: 0, count: inputSize * b)
    g.withUnsafeBufferPointer { gb in
      let gp = gb.baseAddress
      var q0 = 0
      while q0 < q {
        let mm = min(m, q - q0)
        var c0 = 0
        while c0 < c {
          let k = min(slab, c - c0)
          if let v {
            // E[i, jj·b + col] += Σ_ch g[ch·Q + q0 + i] · V[ch·J + jj, col].
            cblas_dgemm(101, 112, 111, Int32(mm), Int32(n), Int32(k), 1, gp! + c0 * q + q0, Int32(q), v + c0 * n, Int32(n),
                        c0 == 0 ? 0 : 1, e, Int32(n))
            field.reduce(e, mm * n)
          }
          if let y {
            // D[jj, i·b + col] += Σ_ch W[ch, jj] · ġ[ch·Q + q0 + i, col].
            cblas_dgemm(101, 112, 111, Int32(j), Int32(mm * b), Int32(k), 1, theta + c0 * j, Int32(j),
                        y + (c0 * q + q0) * b, Int32(q * b), c0 == 0 ? 0 : 1, d, Int32(mm * b))
            field.reduce(d, j * mm * b)
          }
          c0 += k
        }
        for i in 0..<mm {
          for jj in 0..<j {
            let col = columnOf[(q0 + i) * j + jj]
            guard col >= 0 else { continue }
            if v != nil { field.add(out + col * b, e + i * n + jj * b, b) }
            if y != nil { field.add(out + col * b, d + jj * mm * b + i * b, b) }
          }
        }
        q0 += mm
      }
    }
    field.reduce(out, inputSize * b)
  }
}
