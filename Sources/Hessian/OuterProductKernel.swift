import ConvNet
import Dispatch
import Exact

/// A raw pointer handed to worker threads that write disjoint entries.
@usableFromInline struct UncheckedSendablePointer<T>: @unchecked Sendable {
  @usableFromInline let pointer: T
  @usableFromInline init(_ pointer: T) { self.pointer = pointer }
}

extension HessianBuilder where R == MontgomeryField {
  /// n·H_o = JᵀJ with delayed reduction and both cores: the fast path of `outerScaled`.
  public func outerScaledFast(jacobian jac: ScalarMatrix<UInt64>) -> ScalarMatrix<UInt64> {
    let p = jac.cols, rows = jac.rows
    let jt = jac.transposed()  // p × rows: each parameter's column is contiguous
    let out = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: p * p)
    defer { out.deallocate() }
    let field = ring
    jt.storage.withUnsafeBufferPointer { src in
      let base = UncheckedSendablePointer(src.baseAddress!)
      let dst = UncheckedSendablePointer(out)
      // Interleave rows between workers so the triangular work is balanced.
      let workers = 2
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        var a = w
        while a < p {
          let ra = base.pointer + a * rows
          for c in a..<p {
            let v = field.dot(ra, base.pointer + c * rows, count: rows)
            dst.pointer[a * p + c] = v
            dst.pointer[c * p + a] = v
          }
          a += workers
        }
      }
    }
    return ScalarMatrix(rows: p, cols: p, storage: Array(out))
  }
}
