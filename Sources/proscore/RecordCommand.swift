import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreUnits

/// Audio in, end to end: source → ring buffer → consumer, saved as FLAC or WAV.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Capture from a device (or replay a recording) through the ring buffer and save it as FLAC or WAV.",
        discussion: """
            Stops at the end of the recording, after --duration, or on Ctrl-C/SIGTERM; what was captured is kept. \
            The file is written beside --out and moved there at the end, so an existing file is never truncated \
            by a capture that fails; an existing --out is refused unless --overwrite.
            """)

    @Option(help: "Replay this recording as a stream instead of capturing (any format libsndfile reads).") var file: String?
    @OptionGroup var replay: ReplayOptions
    @OptionGroup var capture: CaptureOptions
    @OptionGroup var stream: StreamOptions
    @Option(help: "Output file, 16 kHz mono 16-bit: .flac or .wav.") var out: String = "capture.flac"
    @Flag(help: "Replace --out if it exists.") var overwrite = false
    @Flag(help: "Print one JSON summary line on stdout.") var json = false

    func validate() throws {
        if (try? AudioFileSink.format(forPath: out)) == nil { throw ValidationError("--out \(out): name the output .flac or .wav.") }
        if capture.device != nil && file != nil { throw ValidationError("Give --device or --file, not both.") }
        if let file, Self.sameFile(file, out) {
            throw ValidationError("--out \(out) is the recording being replayed; choose another output file.")
        }
    }

    /// Whether two paths name one file (the same path, or the same inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
        let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        if ua.path == ub.path { return true }
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    func run() throws {
        let trap = SignalTrap()
        defer { trap.cancel() }
        let target = try OutputFile.check(out, overwrite: overwrite)
        let ring = AudioRingBuffer(seconds: stream.ringSeconds)
        let audioSource: AudioSource = try file.map { try replay.recording($0, stream: stream) } ?? capture.capture(stream: stream)
        trap.onStop { audioSource.stop() }
        let started = Date()
        // The device (or file) opens first: a source that fails leaves --out untouched.
        try audioSource.start(into: ring)
        let sink: AudioFileSink
        do { sink = try AudioFileSink(path: target, overwrite: overwrite) } catch {
            audioSource.stop()
            throw error
        }
        var buffer = [Float](repeating: 0, count: 1_600)
        var peak: Float = 0
        var writeError: Error?
        while !ring.isFinished {
            ring.waitForData(timeoutSeconds: 0.1)
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            guard n > 0, writeError == nil else { continue }
            do { try buffer.withUnsafeBufferPointer { try sink.append(UnsafeBufferPointer(rebasing: $0[0..<n])) } } catch {
                writeError = error
                audioSource.stop()
            }
            for i in 0..<n { peak = max(peak, abs(buffer[i])) }
        }
        // Whatever was captured is kept, even when the source or the disk failed part-way.
        try sink.finish()
        if let writeError { throw writeError }
        let stats = audioSource.statistics
        let seconds = FrameGeometry.seconds(samples: sink.framesWritten)
        if let warning = stats.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if json {
            let summary: [String: Any] = [
                "source": audioSource.name, "out": out, "seconds": seconds, "samples": sink.framesWritten,
                "dropped_samples": ring.droppedSamples, "overruns": stats.overruns,
                "wall_seconds": Date().timeIntervalSince(started), "peak": peak,
                "end_reason": stats.endReason ?? (trap.stopRequested ? "stopped" : "finished"),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%@: %.2f s from %@ in %.2f s, peak %.3f, %ld samples dropped, %ld overruns%@",
                         out, seconds, audioSource.name, Date().timeIntervalSince(started), peak,
                         ring.droppedSamples, stats.overruns, stats.endReason.map { " (\($0))" } ?? ""))
        }
    }
}
