import CSndFile
import Foundation
import ProscoreUnits

/// Errors from reading audio files, with libsndfile's own message.
public enum AudioFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case missing(path: String)
    case cannotOpen(path: String, reason: String)
    case empty(path: String)
    case folder(path: String)
    case readFailed(path: String, reason: String)
    case badRate(path: String, sampleRate: Int)
    case outOfRange(path: String, detail: String)

    public var description: String {
        switch self {
        case let .missing(path):
            return "\(path): no such file."
        case let .cannotOpen(path, reason):
            return "\(path): cannot open as audio (\(reason)). Use WAV, FLAC, OGG/Vorbis or another format libsndfile reads."
        case let .empty(path):
            return "\(path): the file holds no audio samples (was the recording saved, or copied whole?)."
        case let .folder(path):
            return "\(path): a folder, not a recording; name the recordings in it (`proscore score` takes folders)."
        case let .readFailed(path, reason):
            return "\(path): reading failed part-way (\(reason)); the file may be truncated."
        case let .outOfRange(path, detail):
            return "\(path): \(detail)."
        case let .badRate(path, rate):
            return "\(path): sample rate \(rate) Hz is not usable (need 4 000 – 384 000 Hz)."
        }
    }

    public var errorDescription: String? { description }
}

/// A sound file opened for reading through libsndfile; closes itself.
public final class SoundFile {
    public let path: String
    /// Frames (samples per channel).
    public let frames: Int
    public let channels: Int
    public let sampleRate: Int
    /// MP3 and other MPEG audio: `frames` is libsndfile's estimate from the stream's
    /// headers, and the decoded audio may end a little before it.
    public let isMPEG: Bool
    private let handle: OpaquePointer

    public init(path: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw AudioFileError.missing(path: path) }
        if isFolder.boolValue { throw AudioFileError.folder(path: path) }
        var info = SF_INFO()
        guard let h = sf_open(path, Int32(SFM_READ), &info) else {
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            if size == 0 { throw AudioFileError.empty(path: path) }
            throw AudioFileError.cannotOpen(path: path, reason: String(cString: sf_strerror(nil)))
        }
        self.path = path
        handle = h
        frames = Int(info.frames)
        channels = Int(info.channels)
        sampleRate = Int(info.samplerate)
        isMPEG = info.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_MPEG)
        guard (4_000...384_000).contains(sampleRate) else {
            sf_close(h)
            throw AudioFileError.badRate(path: path, sampleRate: sampleRate)
        }
        guard (1...256).contains(channels) else {
            sf_close(h)
            throw AudioFileError.cannotOpen(path: path, reason: "\(channels) channels; at most 256 can be mixed down")
        }
    }

    deinit { sf_close(handle) }

    /// The frames the file's header promises when its audio stops short of them (a WAV or
    /// AIFF cut off in a copy or a crash); nil when the file holds what it says, or its
    /// header gives no length (a streamed WAV). libsndfile reads what is there and says so
    /// only in its log (`data : 266972 (should be 99956)`).
    public var promisedFrames: Int? {
        var log = [CChar](repeating: 0, count: 8_192)
        sf_command(handle, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Self.promisedFrames(log: text, frames: frames)
    }

    static func promisedFrames(log: String, frames: Int) -> Int? {
        for line in log.split(separator: "\n") {
            let words = line.split(separator: " ")
            // "data : HEADER (should be PRESENT)" (WAV), "SSND : …" (AIFF)
            guard words.count == 6, words[0] == "data" || words[0] == "SSND", words[1] == ":", words[3] == "(should", words[4] == "be",
                  let header = Int(words[2]), let present = Int(words[5].dropLast()), present > 0 else { continue }
            guard header > present, header < 0x7FFF_0000 else { return nil }  // longer, or a streamed file's placeholder
            return Int((Double(frames) * Double(header) / Double(present)).rounded())
        }
        return nil
    }

    /// Moves the read position to `frame`.
    public func seek(toFrame frame: Int) throws {
        if sf_seek(handle, sf_count_t(frame), SEEK_SET) < 0 {
            throw AudioFileError.readFailed(path: path, reason: "cannot seek to frame \(frame): \(String(cString: sf_strerror(handle)))")
        }
    }

    /// Reads up to `frames` interleaved frames into `buffer`; returns frames read (0 at the end).
    /// Samples are in [-1, 1]: a float file's samples beyond it are clipped, as a converter
    /// would, and non-finite ones (NaN, infinity) become silence.
    public func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let got = Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
        Self.sanitise(buffer, count: max(0, got) * channels)
        return got
    }

    static func sanitise(_ samples: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = samples[i]
            samples[i] = v.isFinite ? max(-1, min(1, v)) : 0
        }
    }

    /// The whole file as interleaved Float32 in [-1, 1].
    public func readInterleaved() throws -> [Float] {
        guard frames > 0 else { throw AudioFileError.empty(path: path) }
        var samples = [Float](repeating: 0, count: frames * channels)
        let got = samples.withUnsafeMutableBufferPointer { buffer -> sf_count_t in
            let n = sf_readf_float(handle, buffer.baseAddress, sf_count_t(frames))
            Self.sanitise(buffer.baseAddress!, count: max(0, Int(n)) * channels)
            return n
        }
        guard got > 0 else { throw AudioFileError.readFailed(path: path, reason: String(cString: sf_strerror(handle))) }
        if Int(got) < frames { samples.removeLast((frames - Int(got)) * channels) }
        return samples
    }
}

/// Writes audio files through libsndfile.
public enum SoundFileWriter {
    public enum Format: Sendable {
        case wav16, wavFloat, flac
        var sndfileFormat: Int32 {
            switch self {
            case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            case .flac: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            }
        }
    }

    /// Writes interleaved Float32 samples in [-1, 1].
    public static func write(_ interleaved: [Float], channels: Int, sampleRate: Int, format: Format,
                             to path: String) throws {
        var info = SF_INFO()
        info.channels = Int32(channels)
        info.samplerate = Int32(sampleRate)
        info.format = format.sndfileFormat
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioFileError.cannotOpen(path: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(handle) }
        let frames = interleaved.count / max(1, channels)
        let written = interleaved.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
        guard written == frames else {
            throw AudioFileError.readFailed(path: path, reason: "wrote \(written) of \(frames) frames: \(String(cString: sf_strerror(handle)))")
        }
    }
}

/// An audio file written incrementally, so a capture that stops unexpectedly keeps
/// everything written so far. Samples go to a hidden partial file beside `path`, which
/// `finish()` renames to `path`: an existing file is never truncated by a capture that
/// then fails, and a killed process leaves the partial file (named in `partialPath`).
public final class AudioFileSink {
    public let path: String
    /// Where the samples are written until `finish()`.
    public let partialPath: String
    public let sampleRate: Int
    public private(set) var framesWritten = 0
    private var handle: OpaquePointer?
    private var framesSinceSync = 0
    private var pcm: [Int16] = []

    /// The container the file name asks for: `.flac` or `.wav` (16-bit PCM either way).
    public static func format(forPath path: String) throws -> SoundFileWriter.Format {
        switch (path as NSString).pathExtension.lowercased() {
        case "flac": return .flac
        case "wav": return .wav16
        default: throw AudioFileError.cannotOpen(path: path, reason: "name the output .flac or .wav")
        }
    }

    /// A 16-bit mono file whose container follows the extension of `path`. Refuses an
    /// existing `path` unless `overwrite`.
    public init(path: String, sampleRate: Int = FrameGeometry.sampleRate, overwrite: Bool = false) throws {
        let format = try Self.format(forPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw AudioFileError.cannotOpen(path: path, reason: "it is a folder; give a file name")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw AudioFileError.cannotOpen(path: path, reason: "the file exists; choose another name or pass --overwrite")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw AudioFileError.cannotOpen(path: path, reason: "the folder \(folder) does not exist")
        }
        let name = (path as NSString).lastPathComponent
        partialPath = (folder as NSString).appendingPathComponent(".\(name).partial-\(getpid())")
        var info = SF_INFO()
        info.channels = 1
        info.samplerate = Int32(sampleRate)
        info.format = format.sndfileFormat
        guard let h = sf_open(partialPath, Int32(SFM_WRITE), &info) else {
            throw AudioFileError.cannotOpen(path: path, reason: String(cString: sf_strerror(nil)))
        }
        self.path = path
        self.sampleRate = sampleRate
        handle = h
    }

    deinit { close() }

    /// Appends mono samples; flushes to disk about once a second of audio.
    ///
    /// Samples are scaled by 32 768 and rounded here, the inverse of libsndfile's reading
    /// (which divides by 32 768; its own float writer scales by 32 767), so 16-bit audio
    /// captured from a device is saved bit for bit.
    public func append(_ samples: UnsafeBufferPointer<Float>) throws {
        guard let handle, !samples.isEmpty else { return }
        if pcm.count < samples.count { pcm = [Int16](repeating: 0, count: samples.count) }
        for i in 0..<samples.count {
            pcm[i] = AudioLoading.int16(samples[i])
        }
        let n = pcm.withUnsafeBufferPointer { sf_writef_short(handle, $0.baseAddress, sf_count_t(samples.count)) }
        guard n == samples.count else {
            throw AudioFileError.readFailed(path: path, reason: "write failed: \(String(cString: sf_strerror(handle)))")
        }
        framesWritten += samples.count
        framesSinceSync += samples.count
        if framesSinceSync >= sampleRate {
            sf_write_sync(handle)
            framesSinceSync = 0
        }
    }

    /// Closes the file and moves it to `path`.
    public func finish() throws {
        close()
        guard FileManager.default.fileExists(atPath: partialPath) else { return }
        if rename(partialPath, path) != 0 {
            throw AudioFileError.cannotOpen(path: path, reason: "could not move \(partialPath) there: \(String(cString: strerror(errno)))")
        }
    }

    /// Closes the file where it is (the partial file stays; `finish()` moves it).
    public func close() {
        if let handle { sf_close(handle) }
        handle = nil
    }
}
