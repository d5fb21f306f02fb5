import Exact
import ExactLinearAlgebra
import Foundation

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9 }
let args = CommandLine.arguments
let n = Int(args.count > 1 ? args[1] : "1000")!
let r = Int(args.count > 2 ? args[2] : "\(n)")!
let threads = Int(args.count > 3 ? args[3] : "2")!
let f = PrimeField(16_777_259)!
var rng = SeededRandom(seed: 1)
var a = ModularMatrix(rows: n, cols: r, field: f)
var b = ModularMatrix(rows: r, cols: n, field: f)
a.withUnsafeMutableBufferPointer { buf in for k in 0..<buf.count { buf[k] = f.element(rng.nextInt(in: -9...9)) } }
b.withUnsafeMutableBufferPointer { buf in for k in 0..<buf.count { buf[k] = f.element(rng.nextInt(in: -9...9)) } }
var m: ModularMatrix
if r == n { m = a } else {
  m = ModularMatrix(rows: n, cols: n, field: f)
  for i in 0..<n { for k in 0..<r { let x = a[i, k]; if x == 0 { continue }; for j in 0..<n { m[i, j] = f.add(m[i, j], f.multiply(x, b[k, j])) } } }
}
let t0 = now()
let prof = m.rankProfile(threads: threads)
let t1 = now()
print("n=\(n) rank=\(prof.rank) time=\(t1 - t0)")
if n <= 400 {
  let g = ModularElimination.rankProfile(of: ModularMatrix(rows: 0, cols: 0, field: f))
  _ = g
}
