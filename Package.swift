// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "HessianRank",
  products: [
    .library(name: "Exact", targets: ["Exact"]),
    .library(name: "ExactLinearAlgebra", targets: ["ExactLinearAlgebra"]),
    .library(name: "FloatCheck", targets: ["FloatCheck"]),
    .executable(name: "hessrank", targets: ["hessrank"]),
    .executable(name: "hessrank-bench", targets: ["hessrank-bench"]),
  ],
  targets: [
    // GMP through pkg-config (gmp.pc ships in Debian's libgmp-dev); the module map links it too.
    .systemLibrary(name: "CGMP", pkgConfig: "gmp", providers: [.apt(["libgmp-dev"])]),
    .target(name: "Exact", dependencies: ["CGMP"]),
    .target(name: "ExactLinearAlgebra", dependencies: ["Exact", "CGMP"]),
    .target(name: "ConvNet", dependencies: ["Exact"]),
    // LAPACKE + OpenBLAS (Debian's liblapacke-dev, libopenblas-dev): float spectra only.
    .systemLibrary(name: "CLapack", providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
    .target(name: "FloatCheck", dependencies: ["Exact", "CGMP", "CLapack"]),
    .executableTarget(name: "hessrank", dependencies: ["Exact", "ExactLinearAlgebra", "ConvNet"]),
    .executableTarget(name: "hessrank-bench", dependencies: ["Exact", "ExactLinearAlgebra"]),
    .testTarget(name: "ExactTests", dependencies: ["Exact"]),
    .testTarget(name: "FloatCheckTests", dependencies: ["FloatCheck", "Exact"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v6]
)
