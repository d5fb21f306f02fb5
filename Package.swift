// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "HessianRank",
  products: [
    .library(name: "OutputFiles", targets: ["OutputFiles"]),
    .library(name: "Exact", targets: ["Exact"]),
    .library(name: "ExactLinearAlgebra", targets: ["ExactLinearAlgebra"]),
    .library(name: "FloatCheck", targets: ["FloatCheck"]),
    .library(name: "RankBounds", targets: ["RankBounds"]),
    .executable(name: "hessrank", targets: ["hessrank"]),
    .executable(name: "hessrank-bench", targets: ["hessrank-bench"]),
  ],
  targets: [
    // GMP through pkg-config (gmp.pc ships in Debian's libgmp-dev); the module map links it too.
    .systemLibrary(name: "CGMP", pkgConfig: "gmp", providers: [.apt(["libgmp-dev"])]),
    .target(name: "Exact", dependencies: ["CGMP"]),
    // The one writer of output files (atomic replace, links followed, devices and FIFOs in place).
    .target(name: "OutputFiles"),
    // The machine's limits: the memory budget every large computation is checked against.
    .target(name: "ResourceLimits"),
    // LAPACKE + OpenBLAS (Debian's liblapacke-dev, libopenblas-dev): float spectra, and exact
    // integer arithmetic on doubles below 2^53 (dgemm in the modular eliminations, dsyrk in the
    // Gram product of the modular Hessian builder).
    // (Debian's liblapacke-dev, libopenblas-dev), loaded with dlopen on first use, not at start-up.
    .target(name: "CLapack", linkerSettings: [.linkedLibrary("dl")]),
    .target(name: "ExactLinearAlgebra", dependencies: ["Exact", "CGMP", "CLapack"]),
    .target(name: "ConvNet", dependencies: ["Exact", "ResourceLimits"]),
    .target(name: "FloatCheck", dependencies: ["Exact", "ConvNet", "CGMP", "CLapack", "OutputFiles"]),
    // Test-support library: an independent reference (direct loops, hyper-dual numbers) that
    // keeps the fast Toeplitz path honest. Used by tests only; not a product.
    .target(name: "HessianReference", dependencies: ["Exact", "ConvNet"]),
    // Matrix-free ranks: batched Jacobian/Hessian-vector products modulo word-size primes and
    // random sketches SᵀHS, memory O(p·t) (exact integer-valued doubles through BLAS).
    .target(name: "MatrixFreeRank", dependencies: ["Exact", "ConvNet", "ExactLinearAlgebra", "CLapack"]),
    .target(name: "Hessian", dependencies: ["ResourceLimits", "Exact", "ConvNet", "ExactLinearAlgebra", "CLapack", "MatrixFreeRank"]),
    // Bound catalog, formula language, config variables, verdicts and bound certificates.
    .target(name: "RankBounds", dependencies: ["Exact", "ExactLinearAlgebra", "ConvNet", "Hessian"]),
    // Float-vs-exact verification of a network's Hessian at float weights and data
    // (FloatCheck knows files, spectra and rules; this module knows networks).
    .target(name: "FloatVerification", dependencies: ["Exact", "ConvNet", "Hessian", "ExactLinearAlgebra", "FloatCheck"]),
    // Instances whose weights, data, targets or labels come from .npy/.safetensors files,
    // recorded by SHA-256.
    .target(name: "InstanceFiles", dependencies: ["Exact", "ConvNet", "FloatCheck", "FloatVerification"]),
    // Sweeps, tables and plots over many configs (parallel, resumable, shardable).
    .target(name: "Reports", dependencies: ["ResourceLimits", "Exact", "ConvNet", "Hessian", "ExactLinearAlgebra", "RankBounds", "InstanceFiles"]),
    .executableTarget(name: "hessrank", dependencies: ["ResourceLimits", "OutputFiles", "Exact", "ExactLinearAlgebra", "ConvNet", "Hessian", "FloatCheck", "FloatVerification", "RankBounds", "Reports", "InstanceFiles"]),
    .executableTarget(name: "hessrank-bench", dependencies: ["Exact", "ExactLinearAlgebra", "ConvNet", "Hessian"]),
    .testTarget(name: "ExactTests", dependencies: ["Exact"]),
    .testTarget(name: "OutputFilesTests", dependencies: ["OutputFiles", "ResourceLimits"]),
    // Seeded mutation fuzzing of every parser of untrusted input (make fuzz: a longer campaign).
    .testTarget(name: "FuzzTests", dependencies: ["ConvNet", "Exact", "ExactLinearAlgebra", "FloatCheck", "Hessian", "RankBounds", "Reports"],
                exclude: ["Regressions"]),
    .testTarget(name: "ExactLinearAlgebraTests", dependencies: ["Exact", "ExactLinearAlgebra"]),
    .testTarget(name: "ConvNetTests", dependencies: ["Exact", "ConvNet", "HessianReference"], exclude: ["Fixtures"]),
    .testTarget(name: "MatrixFreeRankTests", dependencies: ["MatrixFreeRank", "Hessian", "ConvNet", "Exact", "ExactLinearAlgebra"]),
    .testTarget(name: "HessianTests", dependencies: ["Exact", "ConvNet", "Hessian", "HessianReference", "ExactLinearAlgebra"]),
    // Runs the built `hessrank` binary; shared helpers in CLITestSupport.swift.
    .testTarget(name: "HessRankCLITests", dependencies: ["hessrank", "Exact", "ExactLinearAlgebra", "FloatCheck"]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports", "RankBounds", "ConvNet", "Hessian", "Exact"]),
    .testTarget(name: "HessianReferenceTests", dependencies: ["HessianReference", "ConvNet", "Exact"]),
    .testTarget(name: "RankBoundsTests", dependencies: ["RankBounds", "Hessian", "ConvNet", "Exact", "ExactLinearAlgebra"]),
    .testTarget(name: "InstanceFilesTests", dependencies: ["InstanceFiles", "ConvNet", "FloatCheck", "Hessian", "Exact"]),
    .testTarget(name: "FloatCheckTests", dependencies: ["FloatCheck", "Exact"], exclude: ["Fixtures"]),
    // Uses the network fixtures in Tests/FloatCheckTests/Fixtures.
    .testTarget(name: "FloatVerificationTests", dependencies: ["FloatVerification", "FloatCheck", "ConvNet", "Hessian", "Exact"]),
  ],
  swiftLanguageModes: [.v6]
)
