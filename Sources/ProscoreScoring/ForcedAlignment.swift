import Foundation

/// CTC forced alignment of a reference text over a session's frame log-posteriors, and the
/// goodness of pronunciation (GOP) of each reference word it yields.
///
/// The reference's characters, with the word delimiter between words, are aligned by
/// Viterbi over CTC's extended sequence (a blank before, between and after every token;
/// a token may repeat over frames; a blank may be skipped between different tokens). A
/// word's GOP is the log posterior of its aligned path minus that of the free best path
/// over the same frames, per frame: 0 when the model heard exactly the reference there,
/// strongly negative when it heard something else. The whole path's log posterior, and the
/// free best path's, are kept too: per reference token they are the utterance's
/// pronunciation evidence (a word's GOP per frame is diluted by the frames a slow speaker
/// spends on it).
public struct ForcedAlignment: Sendable, Equatable {
    public struct Word: Sendable, Equatable, Codable {
        public var text: String
        public var startFrame: Int
        public var endFrame: Int
        /// Mean per-frame log-posterior gap to the free best path (≤ 0), in nats.
        public var gop: Double

        enum CodingKeys: String, CodingKey {
            case text, gop
            case startFrame = "start_frame", endFrame = "end_frame"
        }
    }

    public let words: [Word]
    /// The whole path's mean per-frame gap (≤ 0).
    public let meanGOP: Double
    /// Log posterior (nats) of the aligned path, and of the free best path (each frame's most
    /// likely token), over all the frames.
    public let pathLogPosterior: Double
    public let freeLogPosterior: Double
    /// Reference tokens aligned: characters and the word delimiters between words.
    public let tokenCount: Int
    /// How many of the words the reading reached, and by how much (nats) the likeliest path
    /// that ends after an earlier word beats the path through the whole reference (negative
    /// when it does not; -∞ for a one-word reference). The path through the whole reference must place every word somewhere: in a
    /// reading cut short the words never read are crammed into its last frames, where they
    /// look mispronounced; a path may instead end after any word, and it ends likelier after
    /// the last word read. `words` keep the whole path (the heads' evidence is measured on it).
    public let reachedWordCount: Int
    public let earlyEndAdvantage: Double
    /// The words reached, on the path that ends after the last of them: their frames and GOP
    /// are not squeezed by the words never read (the views list mispronounced words from these).
    public let reachedWords: [Word]
    /// An earlier end must beat the whole reference by this much (nats) to count the words
    /// after it as not reached. Chosen through `replay` (balanced preset) on 40 readings of
    /// speechocean762 and their copies cut to 60, 75 and 90% of their length: with 15, 1
    /// complete reading of 40 lost its last words, and 39 of 40 cut to 60% and 21 of 40 cut to
    /// 75% found their end (with 0, 17 of 40 complete readings lost a word). On 40 other
    /// readings: 0 of 40 complete, 39 of 40 and 24 of 40 cut.
    public static let earlyEndMargin = 15.0

    /// Aligns `words` (already normalised to vocabulary tokens) over `logPosteriors`
    /// (`frames × vocabularySize`, row-major, log-softmax). `tokenIds` maps a character to
    /// its id; characters without one are dropped. Nil when the text cannot fit the frames
    /// (more tokens than frames allow).
    public init?(words reference: [String], logPosteriors: [Float], vocabularySize v: Int, blank: Int,
                 wordDelimiter: Int?, tokenIds: [Character: Int]) {
        guard let aligned = logPosteriors.withUnsafeBufferPointer({
            Self(words: reference, logPosteriors: $0, vocabularySize: v, blank: blank, wordDelimiter: wordDelimiter, tokenIds: tokenIds)
        }) else { return nil }
        self = aligned
    }

    /// The same over borrowed posteriors: the live pipeline aligns a prefix of its session's
    /// posteriors without copying them.
    public init?(words reference: [String], logPosteriors: UnsafeBufferPointer<Float>, vocabularySize v: Int, blank: Int,
                 wordDelimiter: Int?, tokenIds: [Character: Int]) {
        let frames = logPosteriors.count / max(1, v)
        // Token sequence and which word each token belongs to (-1: delimiter).
        var tokens: [Int] = [], owner: [Int] = []
        var kept: [String] = [], lastToken: [Int] = []
        for word in reference {
            let ids = word.compactMap { tokenIds[$0] }
            guard !ids.isEmpty else { continue }
            if !tokens.isEmpty, let d = wordDelimiter { tokens.append(d); owner.append(-1) }
            tokens += ids
            owner += Array(repeating: kept.count, count: ids.count)
            kept.append(word)
            lastToken.append(tokens.count - 1)
        }
        guard !tokens.isEmpty, frames > 0 else { return nil }
        // Extended sequence: blank, t0, blank, t1, …, blank.
        let s = 2 * tokens.count + 1
        func label(_ i: Int) -> Int { i % 2 == 0 ? blank : tokens[i / 2] }
        var minimumFrames = tokens.count
        for i in 1..<tokens.count where tokens[i] == tokens[i - 1] { minimumFrames += 1 }
        guard frames >= minimumFrames else { return nil }

        let negative = -Float.infinity
        // The trellis runs over raw buffers: the live pipeline realigns long readings and this
        // loop is its cost. Each state's label, and whether it may be entered from two states
        // back (a token after a blank, unless it repeats the token before), are looked up once.
        // Backpointers are the step back from each state (0, 1 or 2), two bits each: a
        // 10-minute reading's trellis held 1.1 GB as Int32.
        let labels = UnsafeMutableBufferPointer<Int>.allocate(capacity: s)
        let skips = UnsafeMutableBufferPointer<Bool>.allocate(capacity: s)
        let back = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: (frames * s + 3) / 4)
        var score = UnsafeMutableBufferPointer<Float>.allocate(capacity: s)
        var next = UnsafeMutableBufferPointer<Float>.allocate(capacity: s)
        defer { labels.deallocate(); skips.deallocate(); back.deallocate(); score.deallocate(); next.deallocate() }
        for i in 0..<s {
            labels[i] = label(i)
            skips[i] = i >= 2 && i % 2 == 1 && label(i) != label(i - 2)
        }
        back.initialize(repeating: 0)
        score.initialize(repeating: negative)
        next.initialize(repeating: negative)
        score[0] = logPosteriors[blank]
        if s > 1 { score[1] = logPosteriors[label(1)] }
        for t in 1..<frames {
            let row = logPosteriors.baseAddress! + t * v
            for i in 0..<s {
                var best = score[i], from = i
                if i >= 1 && score[i - 1] > best { best = score[i - 1]; from = i - 1 }
                if skips[i] && score[i - 2] > best { best = score[i - 2]; from = i - 2 }
                next[i] = best == negative ? negative : best + row[labels[i]]
                let cell = t * s + i
                back[cell >> 2] |= UInt8(truncatingIfNeeded: i - from) << UInt8((cell & 3) * 2)
            }
            swap(&score, &next)
        }
        let state = s > 1 && score[s - 2] > score[s - 1] ? s - 2 : s - 1
        guard score[state] > negative else { return nil }
        // The likeliest end after an earlier word: on its last token or the blank after it.
        var earlyEnd = (words: kept.count, state: state, score: negative)
        for w in 0..<(kept.count - 1) {
            let j = 2 * lastToken[w] + 1
            let end = score[j + 1] > score[j] ? j + 1 : j
            if score[end] > earlyEnd.score { earlyEnd = (w + 1, end, score[end]) }
        }
        earlyEndAdvantage = earlyEnd.score > negative ? Double(earlyEnd.score - score[state]) : -.infinity
        reachedWordCount = earlyEndAdvantage > Self.earlyEndMargin ? earlyEnd.words : kept.count
        // Each frame's free best log posterior: what the model would have written itself.
        let freeBest = (0..<frames).map { t in
            var best = negative
            for j in 0..<v { best = max(best, logPosteriors[t * v + j]) }
            return best
        }
        /// The path that ends in `end` at the last frame, walked back: its words (frames of a
        /// word run from its first token's first frame to its last token's last frame; a word
        /// off the path gets no frames and GOP -10) and its total gap to the free best path.
        func walk(from end: Int) -> (words: [Word], gapSum: Double) {
            var path = [Int](repeating: 0, count: frames), state = end
            for t in stride(from: frames - 1, through: 0, by: -1) {
                path[t] = state
                if t > 0 {
                    let cell = t * s + state
                    state -= Int((back[cell >> 2] >> UInt8((cell & 3) * 2)) & 3)
                }
            }
            var first = [Int](repeating: -1, count: kept.count), last = [Int](repeating: -1, count: kept.count)
            var gapSum = 0.0
            var frameGap = [Double](repeating: 0, count: frames)
            for t in 0..<frames {
                frameGap[t] = Double(logPosteriors[t * v + label(path[t])] - freeBest[t])
                gapSum += frameGap[t]
                if path[t] % 2 == 1, case let w = owner[path[t] / 2], w >= 0 {
                    if first[w] < 0 { first[w] = t }
                    last[w] = t
                }
            }
            let words = kept.indices.map { w in
                let lo = first[w], hi = last[w]
                let gop = lo >= 0 ? (lo...hi).map { frameGap[$0] }.reduce(0, +) / Double(hi - lo + 1) : -10
                return Word(text: kept[w], startFrame: max(0, lo), endFrame: max(0, hi + 1), gop: gop)
            }
            return (words, gapSum)
        }
        let whole = walk(from: state)
        let gapSum = whole.gapSum, freeSum = freeBest.reduce(0.0) { $0 + Double($1) }
        words = whole.words
        reachedWords = reachedWordCount < kept.count ? Array(walk(from: earlyEnd.state).words.prefix(reachedWordCount)) : whole.words
        meanGOP = gapSum / Double(frames)
        freeLogPosterior = freeSum
        pathLogPosterior = freeSum + gapSum
        tokenCount = tokens.count
    }
}

/// Read-aloud evidence for the proficiency head and the views: how much of the reference
/// was said, how well the model heard each word, and which words sound wrong.
public struct ReadAloudEvidence: Sendable, Equatable, Codable {
    /// Share of reference words recognised, 0–1.
    public var completeness: Double
    /// Omitted and inserted words per reference word.
    public var omittedShare: Double
    public var insertedShare: Double
    /// Mean word GOP (nats per frame, ≤ 0) and the share of words under the threshold.
    public var meanWordGOP: Double
    public var lowGOPShare: Double
    /// Reference syllables per second of the span.
    public var referenceSyllableRate: Double
    /// The forced path's log posterior per reference token (nats, ≤ 0), and its gap to the
    /// free best path's per reference token (≤ 0): how likely the model finds the reference
    /// in what it heard, and how much less likely than what it would have written itself.
    /// `unaligned` when the reference did not fit the frames.
    public var alignedLogPosteriorPerToken: Double
    public var alignedGapPerToken: Double
    /// Reference words whose GOP is under the threshold: likely mispronounced. Words after
    /// the reading's end (`notReached`) are not listed: they were not said at all.
    public var likelyMispronounced: [String]
    /// Reference words after the point where the reading stopped (a reading cut short).
    public var notReached: [String]

    /// Words whose GOP is under this are listed as likely mispronounced.
    public static let gopThreshold = -1.0
    /// What the mean word GOP and the per-token evidence read when the reference could not be
    /// aligned (nats; far under what any aligned reading gives).
    public static let unaligned = -10.0

    enum CodingKeys: String, CodingKey {
        case completeness
        case omittedShare = "omitted_share", insertedShare = "inserted_share", meanWordGOP = "mean_word_gop"
        case lowGOPShare = "low_gop_share", referenceSyllableRate = "reference_syllable_rate"
        case alignedLogPosteriorPerToken = "aligned_log_posterior_per_token", alignedGapPerToken = "aligned_gap_per_token"
        case likelyMispronounced = "likely_mispronounced", notReached = "not_reached"
    }

    public static let featureNames = ["completeness", "omitted_share", "inserted_share", "mean_word_gop", "low_gop_share",
                                      "reference_syllable_rate", "aligned_log_posterior_per_token", "aligned_gap_per_token"]

    public var named: [String: Double] {
        ["completeness": completeness, "omitted_share": omittedShare, "inserted_share": insertedShare,
         "mean_word_gop": meanWordGOP, "low_gop_share": lowGOPShare, "reference_syllable_rate": referenceSyllableRate,
         "aligned_log_posterior_per_token": alignedLogPosteriorPerToken, "aligned_gap_per_token": alignedGapPerToken]
    }

    public init(completeness: Double, omittedShare: Double, insertedShare: Double, meanWordGOP: Double, lowGOPShare: Double,
                referenceSyllableRate: Double, alignedLogPosteriorPerToken: Double,
                alignedGapPerToken: Double, likelyMispronounced: [String], notReached: [String] = []) {
        self.completeness = completeness
        self.omittedShare = omittedShare
        self.insertedShare = insertedShare
        self.meanWordGOP = meanWordGOP
        self.lowGOPShare = lowGOPShare
        self.referenceSyllableRate = referenceSyllableRate
        self.alignedLogPosteriorPerToken = alignedLogPosteriorPerToken
        self.alignedGapPerToken = alignedGapPerToken
        self.likelyMispronounced = likelyMispronounced
        self.notReached = notReached
    }

    /// Evidence from the word alignment of the transcript, the forced alignment (when the
    /// reference fit the frames) and the span's length.
    public init(reference: [String], alignment: ReferenceAlignment, forced: ForcedAlignment?, syllables: Int, seconds: Double) {
        let n = Double(max(1, reference.count))
        let low = forced?.words.filter { $0.gop < Self.gopThreshold } ?? []
        let tokens = Double(max(1, forced?.tokenCount ?? 0))
        self.init(completeness: alignment.completeness, omittedShare: Double(alignment.omissions.count) / n,
                  insertedShare: Double(alignment.insertions.count) / n,
                  meanWordGOP: forced.map { f in f.words.map(\.gop).reduce(0, +) / Double(max(1, f.words.count)) } ?? Self.unaligned,
                  lowGOPShare: forced.map { Double(low.count) / Double(max(1, $0.words.count)) } ?? 1,
                  referenceSyllableRate: seconds > 0 ? Double(syllables) / seconds : 0,
                  alignedLogPosteriorPerToken: forced.map { $0.pathLogPosterior / tokens } ?? Self.unaligned,
                  alignedGapPerToken: forced.map { ($0.pathLogPosterior - $0.freeLogPosterior) / tokens } ?? Self.unaligned,
                  likelyMispronounced: forced.map { f in f.reachedWords.filter { $0.gop < Self.gopThreshold }.map(\.text) } ?? [],
                  notReached: forced.map { f in f.words.dropFirst(f.reachedWordCount).map(\.text) } ?? [])
    }

    /// Sessions stored before the per-token evidence existed decode with it unaligned, and
    /// with every word reached.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(completeness: try c.decode(Double.self, forKey: .completeness),
                  omittedShare: try c.decode(Double.self, forKey: .omittedShare),
                  insertedShare: try c.decode(Double.self, forKey: .insertedShare),
                  meanWordGOP: try c.decode(Double.self, forKey: .meanWordGOP),
                  lowGOPShare: try c.decode(Double.self, forKey: .lowGOPShare),
                  referenceSyllableRate: try c.decode(Double.self, forKey: .referenceSyllableRate),
                  alignedLogPosteriorPerToken: try c.decodeIfPresent(Double.self, forKey: .alignedLogPosteriorPerToken) ?? Self.unaligned,
                  alignedGapPerToken: try c.decodeIfPresent(Double.self, forKey: .alignedGapPerToken) ?? Self.unaligned,
                  likelyMispronounced: try c.decode([String].self, forKey: .likelyMispronounced),
                  notReached: try c.decodeIfPresent([String].self, forKey: .notReached) ?? [])
    }
}
