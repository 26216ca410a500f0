import ArgumentParser
import ProscorePipeline
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscoreReport

struct VisualizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visualize",
        abstract: "Draw a spectrogram and, under it, one layer's features as PCA colours and k-means units (SVG).")
    @Argument(help: "Recording.") var audio: String
    @Option(help: "Encoder checkpoint; the default preset's by default.")
    var model: String = SessionBuilder.defaultPresetModel()
    @Option(help: "Hidden-state index to show (0 = input of layer 1).") var layer: Int = 6
    @Option(help: "Number of k-means units (2–10).") var units: Int = 8
    @Option(help: "Output file: .svg (with labels) or .png.") var out: String = "layer.svg"
    @Flag(help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (2...10).contains(units) else { throw ValidationError("--units must be 2–10.") }
        guard out.hasSuffix(".svg") || out.hasSuffix(".png") else { throw ValidationError("--out must end in .svg or .png.") }
    }

    func run() throws {
        try OutputFile.check(out, overwrite: overwrite)
        compute.apply()
        let encoder = try AudioEncoderLoader.load(path: Installation.resolve(model), precision: compute.resolved()).encoder
        guard (0...encoder.config.numHiddenLayers).contains(layer) else {
            throw ValidationError("--layer \(layer) does not exist: this model has hidden states 0…\(encoder.config.numHiddenLayers).")
        }
        let samples = try AudioLoading.load16kMono(path: audio)
        // k-means needs at least one frame per unit.
        let neededSamples = encoder.config.receptiveFieldSamples + (units - 1) * encoder.samplesPerFrame
        guard samples.count >= neededSamples else {
            throw ValidationError(String(format: "%@ is %.2f s; a picture of %ld units needs at least %.2f s of audio (one frame per unit).",
                                         audio, Double(samples.count) / Double(encoder.sampleRate), units,
                                         Double(neededSamples) / Double(encoder.sampleRate)))
        }
        let state = encoder(samples).hiddenStates[layer]
        let features = (0..<state.shape[0]).map { state[$0].scalars }
        let picture = FeatureVisualization(samples: samples, features: features, layer: layer, units: units,
                                           title: (audio as NSString).lastPathComponent)
        try OutputFile.write(out.hasSuffix(".png") ? picture.png : Data(picture.svg.utf8), to: out, overwrite: overwrite)
        print(String(format: "%@: %ld frames, %ld units, PCA keeps %.0f%% of the variance", out, features.count,
                     Set(picture.units).count, 100 * picture.explainedVariance))
    }
}
