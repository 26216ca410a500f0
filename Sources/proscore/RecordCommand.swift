import ArgumentParser
import Dispatch
import Foundation
import ProscoreAudio

/// Audio in, end to end: source → ring buffer → consumer, saved as FLAC.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Capture from a device (or replay a recording) through the ring buffer and save it as FLAC.",
        discussion: "Stops at the end of the recording, after --duration, or on Ctrl-C; what was captured is kept.")

    @OptionGroup var source: AudioSourceOptions
    @Option(help: "Output FLAC file (16 kHz mono).") var out: String = "capture.flac"
    @Flag(help: "Print one JSON summary line on stdout.") var json = false

    func run() throws {
        let ring = AudioRingBuffer(seconds: source.ringSeconds)
        let audioSource = try source.makeSource()
        let sink = try AudioFileSink(path: out)
        // Ctrl-C stops the source; the loop below then drains the ring and closes the file.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { audioSource.stop() }
        interrupt.resume()
        let started = Date()
        try audioSource.start(into: ring)
        var buffer = [Float](repeating: 0, count: 1_600)
        var peak: Float = 0
        while !ring.isFinished {
            ring.waitForData(timeoutSeconds: 0.1)
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            guard n > 0 else { continue }
            try buffer.withUnsafeBufferPointer { try sink.append(UnsafeBufferPointer(rebasing: $0[0..<n])) }
            for i in 0..<n { peak = max(peak, abs(buffer[i])) }
        }
        sink.close()
        interrupt.cancel()
        let stats = audioSource.statistics
        let seconds = Double(sink.framesWritten) / 16_000
        if json {
            let summary: [String: Any] = [
                "source": audioSource.name, "out": out, "seconds": seconds, "samples": sink.framesWritten,
                "dropped_samples": ring.droppedSamples, "overruns": stats.overruns,
                "wall_seconds": Date().timeIntervalSince(started), "peak": peak,
                "end_reason": stats.endReason ?? "finished",
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%@: %.2f s from %@ in %.2f s, peak %.3f, %d samples dropped, %d overruns%@",
                         out, seconds, audioSource.name, Date().timeIntervalSince(started), peak,
                         ring.droppedSamples, stats.overruns, stats.endReason.map { " (\($0))" } ?? ""))
        }
    }
}
