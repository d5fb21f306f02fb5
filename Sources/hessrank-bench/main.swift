import Foundation

// hessrank-bench: timings and peak memory of the rank engine, side by side with FLINT.
// See BenchmarkCases.swift for the matrices and BenchmarkRunner.swift for the driver.
BenchmarkRunner.main(Array(CommandLine.arguments.dropFirst()))
