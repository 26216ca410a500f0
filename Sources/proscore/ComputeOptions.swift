import ArgumentParser
import Foundation
import ProscorePipeline
import ProscoreTensor

extension Precision: ExpressibleByArgument {}

/// `--threads` and `--precision`, shared by every command that computes.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for the encoder's numeric work (BLAS and kernels).")
    var threads: Int = 1
    @Option(help: "fp32, or int8 (transformer and feature projection quantised at load; needs AVX-512 VNNI). Default: the preset's (for commands that take --preset), else fp32.")
    var precision: Precision?

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256.") }
    }

    func apply() { Compute.threadCount = threads }

    /// The precision that will run: the command line's, else `presetDefault` (the preset's),
    /// else fp32; fp32 with a one-line notice where the CPU lacks VNNI.
    func resolved(presetDefault: Precision? = nil) -> Precision {
        runnable(precision ?? presetDefault ?? .fp32)
    }

    /// `chosen`, or fp32 with a one-line notice where the CPU lacks VNNI.
    func runnable(_ chosen: Precision) -> Precision {
        let (precision, notice) = chosen.available
        if let notice { FileHandle.standardError.write(Data("notice: \(notice)\n".utf8)) }
        return precision
    }

    /// What `request` asks for, set up the one way every command does it: these threads and
    /// precision, the settings in force, the models they name loaded, and the settings naming
    /// the head files that were loaded (a fallback head, not the preset's, where it had to).
    func session(_ request: SessionRequest) throws -> (settings: SessionSettings, models: LoadedModels) {
        var request = request
        request.threads = threads
        request.precision = request.precision ?? precision
        apply()
        var settings = try SessionBuilder.settings(for: request)
        settings.precision = runnable(settings.precision)
        // Heads are fitted per precision; the preset's, asked to run in another, may drift a little.
        if settings.headsFromPreset && settings.precision != settings.presetPrecision {
            FileHandle.standardError.write(Data(("notice: the preset's heads were fitted on \(settings.presetPrecision.rawValue) features; in \(settings.precision.rawValue) "
                + "its scores may differ a little (configs/ has presets with heads fitted in each precision, e.g. balanced-int8)\n").utf8))
        }
        let models = try SessionBuilder.loadModels(for: settings)
        return (settings.withHeads(of: models), models)
    }
}
