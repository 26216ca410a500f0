/// Speech or silence per 20 ms frame, from the CTC blank posterior and the signal energy
/// together: a frame is silent when the CTC head gives it to the blank (or the word
/// delimiter) and its audio is quiet. Blanks inside words (CTC is peaky) stay speech
/// because they are loud; noise without recognised letters stays speech only while loud.
/// Near-digital silence is silence whatever the CTC head says (a weak model may not give
/// it to the blank).
public struct SpeechActivity: Sendable, Equatable {
    /// Frames quieter than this (dBFS RMS) are silent regardless of the blank posterior.
    public var absoluteSilenceDb: Float = -60
    /// Frames quieter than this (dBFS RMS) can be silence.
    public var silenceThresholdDb: Float = -40
    /// A frame belongs to the blank when the blank's posterior is at least this.
    public var blankPosteriorThreshold: Float = 0.5

    public init(silenceThresholdDb: Float = -40, blankPosteriorThreshold: Float = 0.5) {
        self.silenceThresholdDb = silenceThresholdDb
        self.blankPosteriorThreshold = blankPosteriorThreshold
    }

    /// `true` for speech, one per frame; `blankPosterior` and `energyDb` are per frame.
    public func classify(blankPosterior: [Float], energyDb: [Float]) -> [Bool] {
        zip(blankPosterior, energyDb).map { blank, energy in
            energy >= absoluteSilenceDb && !(blank >= blankPosteriorThreshold && energy < silenceThresholdDb)
        }
    }
}
