import ArgumentParser
import ProscoreTensor

/// `--threads`, shared by every command that computes.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for the encoder's numeric work (BLAS and kernels).")
    var threads: Int = 1

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256.") }
    }

    func apply() { Compute.threadCount = threads }
}
