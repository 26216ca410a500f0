import ProscoreModels
import ProscoreScoring
import ProscoreTensor
import ProscoreUnits

/// What each 20 ms frame tells the fluency measures: its loudness, the CTC head's blank
/// posterior, and from the two together whether it was speech; and its pitch (0 when
/// unvoiced). The one place that decides speech vs silence.
///
/// Levels are measured as recorded and then carry a gain: the session's speech level brought
/// to the level the thresholds were set for (SpeechLevel), so that a quiet microphone does
/// not turn speech into silence; and quiet means under the session's silence threshold,
/// which rises over a noisy background. The recorded values are kept, so that the frames can
/// be decided again when the session's level is better known (`deciding(gainDb:silenceThresholdDb:)`).
public struct FrameEvidence: Sendable, Equatable {
    /// As recorded: each frame's level (dBFS RMS over its hop), and its F0 and level over the
    /// pitch window whatever that level (F0 0 when aperiodic).
    public var recordedEnergyDb: [Float]
    public var periodicHz: [Float]
    public var periodicLevelDb: [Float]
    public var blankPosterior: [Float]
    /// With the gain: each frame's level, whether it was speech, and its F0 (0 when unvoiced
    /// or too quiet).
    public var energyDb: [Float]
    public var speech: [Bool]
    public var f0Hz: [Float]
    public var gainDb: Float
    /// Frames under this (with the gain) that the CTC head gives to the blank are silence.
    public var silenceThresholdDb: Float
    /// The pitch tracker's voicing level: quieter frames (with the gain) are unvoiced.
    public var minimumVoicedLevelDb: Float

    /// Evidence for `logits.shape[0]` frames starting at `firstFrame`, whose audio is in
    /// `samples` (stream sample index `sampleOffset` at `samples[0]`). Without logits every
    /// frame counts as blank, so energy alone decides. The frames' voiced levels join
    /// `level`, and the evidence carries the gain `level` then gives.
    public init(samples: [Float], logits: Tensor?, frames: Int, firstFrame: Int = 0, sampleOffset: Int = 0,
                vocabulary: CTCVocabulary?, level: inout SpeechLevel, pitch: PitchTracker = PitchTracker()) {
        let periodicity = pitch.periodicity(samples: samples, frames: frames, firstFrame: firstFrame, sampleOffset: sampleOffset)
        periodicHz = periodicity.map(\.hz)
        periodicLevelDb = periodicity.map(\.levelDb)
        recordedEnergyDb = FrameEnergy.decibels(samples, frames: frames, firstFrame: firstFrame,
                                                hop: FrameGeometry.samplesPerFrame, sampleOffset: sampleOffset)
        if let logits, let vocabulary {
            blankPosterior = vocabulary.blankPosterior(logits)
        } else {
            blankPosterior = [Float](repeating: 1, count: frames)
        }
        level.add(frameLevelsDb: recordedEnergyDb, voicedLevelsDb: periodicity.filter { $0.hz > 0 }.map(\.levelDb))
        (energyDb, speech, f0Hz, gainDb, silenceThresholdDb) = ([], [], [], level.gainDb, level.silenceThresholdDb)
        minimumVoicedLevelDb = pitch.minimumLevelDb
        self = deciding(gainDb: level.gainDb, silenceThresholdDb: level.silenceThresholdDb)
    }

    /// These frames decided again with every level raised by `gainDb`, quiet under `silenceThresholdDb`.
    public func deciding(gainDb: Float, silenceThresholdDb: Float) -> FrameEvidence {
        var evidence = self
        evidence.gainDb = gainDb
        evidence.silenceThresholdDb = silenceThresholdDb
        evidence.energyDb = recordedEnergyDb.map { $0 + gainDb }
        evidence.speech = SpeechActivity(silenceThresholdDb: silenceThresholdDb).classify(blankPosterior: blankPosterior, energyDb: evidence.energyDb)
        evidence.f0Hz = zip(periodicHz, periodicLevelDb).map { hz, level in level + gainDb >= minimumVoicedLevelDb ? hz : 0 }
        return evidence
    }

    /// Frames of `other` after these.
    public mutating func append(_ other: FrameEvidence) {
        recordedEnergyDb += other.recordedEnergyDb
        periodicHz += other.periodicHz
        periodicLevelDb += other.periodicLevelDb
        blankPosterior += other.blankPosterior
        energyDb += other.energyDb
        speech += other.speech
        f0Hz += other.f0Hz
    }

    /// No frames yet.
    public static var empty: FrameEvidence {
        FrameEvidence(recordedEnergyDb: [], periodicHz: [], periodicLevelDb: [], blankPosterior: [], energyDb: [], speech: [], f0Hz: [],
                      gainDb: 0, silenceThresholdDb: SpeechLevel.quietThresholdDb, minimumVoicedLevelDb: PitchTracker().minimumLevelDb)
    }

    private init(recordedEnergyDb: [Float], periodicHz: [Float], periodicLevelDb: [Float], blankPosterior: [Float],
                 energyDb: [Float], speech: [Bool], f0Hz: [Float], gainDb: Float, silenceThresholdDb: Float, minimumVoicedLevelDb: Float) {
        self.recordedEnergyDb = recordedEnergyDb
        self.periodicHz = periodicHz
        self.periodicLevelDb = periodicLevelDb
        self.blankPosterior = blankPosterior
        self.energyDb = energyDb
        self.speech = speech
        self.f0Hz = f0Hz
        self.gainDb = gainDb
        self.silenceThresholdDb = silenceThresholdDb
        self.minimumVoicedLevelDb = minimumVoicedLevelDb
    }
}

extension FrameEvidence {
    /// Trailing silence that ends an utterance is this far under the session's silence
    /// threshold (the decoder's -45 dBFS against the quiet background's -40).
    public static let endpointBelowSilenceDb: Float = -5
}

extension TranscriptDecoding {
    /// Feeds frames' logits with their evidence: loudness with the session's gain, and the
    /// silence threshold of the session's background, decide where words and utterances end.
    public func feed(logits: Tensor, evidence: FrameEvidence) -> TranscriptUpdate {
        feed(logits: logits, frameEnergyDb: evidence.energyDb, quietBelowDb: evidence.silenceThresholdDb + FrameEvidence.endpointBelowSilenceDb)
    }
}
