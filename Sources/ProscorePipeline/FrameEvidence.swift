import ProscoreModels
import ProscoreScoring
import ProscoreTensor
import ProscoreUnits

/// What each 20 ms frame tells the fluency measures: its loudness, the CTC head's blank
/// posterior, and from the two together whether it was speech; and its pitch (0 when
/// unvoiced). The one place that decides speech vs silence.
public struct FrameEvidence: Sendable, Equatable {
    public var energyDb: [Float]
    public var blankPosterior: [Float]
    public var speech: [Bool]
    public var f0Hz: [Float]

    /// Evidence for `logits.shape[0]` frames starting at `firstFrame`, whose audio is in
    /// `samples` (stream sample index `sampleOffset` at `samples[0]`). Without logits every
    /// frame counts as blank, so energy alone decides.
    public init(samples: [Float], logits: Tensor?, frames: Int, firstFrame: Int = 0, sampleOffset: Int = 0,
                vocabulary: CTCVocabulary?, activity: SpeechActivity = SpeechActivity(), pitch: PitchTracker = PitchTracker()) {
        energyDb = FrameEnergy.decibels(samples, frames: frames, firstFrame: firstFrame,
                                        hop: FrameGeometry.samplesPerFrame, sampleOffset: sampleOffset)
        if let logits, let vocabulary {
            blankPosterior = vocabulary.blankPosterior(logits)
        } else {
            blankPosterior = [Float](repeating: 1, count: frames)
        }
        speech = activity.classify(blankPosterior: blankPosterior, energyDb: energyDb)
        f0Hz = pitch.frequencies(samples: samples, frames: frames, firstFrame: firstFrame, sampleOffset: sampleOffset)
    }
}
