import Testing
@testable import ProscoreScoring

@Suite("the session's speech level and its gain")
struct SpeechLevelTests {
    @Test("no gain before enough voiced frames, none inside the usual range, quiet and loud brought to its edges")
    func gain() {
        var level = SpeechLevel()
        #expect(level.add(voicedLevelsDb: [Float](repeating: -45, count: SpeechLevel.minimumVoicedFrames - 1)) == 0)
        #expect(level.add(voicedLevelsDb: [-45]) == SpeechLevel.referenceDb - SpeechLevel.usualRangeDb + 45, "quiet: raised to the range's lower edge")
        var usual = SpeechLevel()
        #expect(usual.add(voicedLevelsDb: [Float](repeating: -20, count: 50)) == 0)
        var loud = SpeechLevel()
        #expect(loud.add(voicedLevelsDb: [Float](repeating: -2, count: 50)) == SpeechLevel.referenceDb + SpeechLevel.usualRangeDb + 2)
        var faint = SpeechLevel()
        #expect(faint.add(voicedLevelsDb: [Float](repeating: -69, count: 50)) == SpeechLevel.maximumBoostDb, "the boost is bounded")
    }

    @Test("the level is the voiced frames' 90th percentile: hum and breath under the speech do not lower it")
    func percentile() {
        var level = SpeechLevel()
        // 80 frames of quiet voiced hum at -60 dB, 20 of vowels at -30 dB.
        level.add(voicedLevelsDb: [Float](repeating: -60, count: 80) + [Float](repeating: -30, count: 20))
        #expect(level.levelDb == -30)
        level.add(voicedLevelsDb: [-100, -90])  // under the floor: not counted
        #expect(level.levelDb == -30)
    }
}

@Suite("the session's silence threshold")
struct SilenceThresholdTests {
    @Test("a quiet background keeps -40 dBFS; a noisy one raises it 6 dB over the noise, never within 10 dB of the speech")
    func threshold() {
        var quiet = SpeechLevel()
        quiet.add(frameLevelsDb: [Float](repeating: -65, count: 60) + [Float](repeating: -20, count: 60),
                  voicedLevelsDb: [Float](repeating: -20, count: 60))
        #expect(quiet.silenceThresholdDb == SpeechLevel.quietThresholdDb)
        var noisy = SpeechLevel()
        noisy.add(frameLevelsDb: [Float](repeating: -36, count: 60) + [Float](repeating: -18, count: 60),
                  voicedLevelsDb: [Float](repeating: -18, count: 60))
        #expect(noisy.silenceThresholdDb == -36 + SpeechLevel.noiseMarginDb)
        var drowned = SpeechLevel()
        drowned.add(frameLevelsDb: [Float](repeating: -24, count: 60) + [Float](repeating: -18, count: 60),
                    voicedLevelsDb: [Float](repeating: -18, count: 60))
        #expect(drowned.silenceThresholdDb == -18 - SpeechLevel.speechMarginDb)
        // Quiet speech (-45) over a quiet microphone's hiss (-60): the gain (+21, to -24) lifts
        // the hiss to -39, and the threshold 6 dB over it stops 10 dB under the speech.
        var quietNoisy = SpeechLevel()
        quietNoisy.add(frameLevelsDb: [Float](repeating: -60, count: 60) + [Float](repeating: -45, count: 60),
                       voicedLevelsDb: [Float](repeating: -45, count: 60))
        #expect(quietNoisy.gainDb == 21 && quietNoisy.silenceThresholdDb == -34)
        var early = SpeechLevel()
        early.add(frameLevelsDb: [Float](repeating: -30, count: SpeechLevel.minimumFrames - 1), voicedLevelsDb: [])
        #expect(early.silenceThresholdDb == SpeechLevel.quietThresholdDb, "not before a second of frames")
    }
}
