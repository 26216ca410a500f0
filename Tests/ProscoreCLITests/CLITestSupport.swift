import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

/// Runs the built `proscore` executable.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

func proscore(_ arguments: [String], environment extra: [String: String?] = [:], in directory: String? = nil) throws -> CommandResult {
    // Sessions recorded by tests go to a scratch store, never the user's.
    var environment = ProcessInfo.processInfo.environment
    environment["PROSCORE_STORE"] = NSTemporaryDirectory() + "proscore-test-sessions.sqlite"
    for (key, value) in extra { environment[key] = value }
    return try runToEnd(Bundle.main.bundleURL.appendingPathComponent("proscore"), arguments, environment: environment, in: directory)
}

/// Runs a shell command line (for pipelines around `proscore`, such as a pseudo-terminal).
func shell(_ command: String) throws -> CommandResult {
    try runToEnd(URL(fileURLWithPath: "/bin/sh"), ["-c", command])
}

/// Runs `executable` to its end, its output captured. Never on the test runner's terminal:
/// a command that asks (sessions delete) must not wait on it.
private func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, in directory: String? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = readAll(out)
    let stderr = readAll(err)
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// Starts the built `proscore` in the background with stdout piped (for tests that
/// interrupt it or read it as it goes).
func launch(_ arguments: [String], in directory: URL? = nil) throws -> (process: Process, stdout: Pipe) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("proscore")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = Pipe()
    try process.run()
    return (process, out)
}

/// Like `launch`, with stderr piped too (read it after the process ends).
func launchCapturingErrors(_ arguments: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("proscore")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
}

/// Reads `pipe` until `text` has appeared `count` times (or the stream ends).
func readUntil(_ pipe: Pipe, contains text: String, count: Int = 1) -> Int {
    var buffer = Data()
    var seen = 0
    while seen < count {
        let data = readSome(pipe)
        if data.isEmpty { break }
        buffer += data
        seen = String(decoding: buffer, as: UTF8.self).components(separatedBy: text).count - 1
    }
    return seen
}

/// The checkout (configs/, models/, recordings/), found from this file.
let checkout: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The tiny checkpoint with layer-norm convolutions (streams exactly like the full-size defaults).
let layerNormModel: String =
    URL(fileURLWithPath: fixtureModel).deletingLastPathComponent().appendingPathComponent("wav2vec2-layer-postnorm-ctc").path

/// The tiny transformers-made checkpoint the model tests use.
let fixtureModel: String = {
    var url = URL(fileURLWithPath: #filePath)
    url.deleteLastPathComponent()
    url.deleteLastPathComponent()
    return url.appendingPathComponent("ProscoreModelsTests/Fixtures/encoders/wav2vec2-base-ctc").path
}()

func scratch(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "proscore-cli-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

/// A 22.05 kHz recording of a gliding tone, as a WAV file.
func makeRecording() throws -> String {
    let path = scratch("glide.wav")
    let samples = (0..<33_075).map { i -> Float in
        let t = Float(i) / 22_050
        return 0.4 * sin(2 * .pi * (180 + 120 * t) * t) * (0.5 + 0.5 * sin(2 * .pi * 3 * t))
    }
    try SoundFileWriter.write(samples, channels: 1, sampleRate: 22_050, format: .wav16, to: path)
    return path
}

/// A 200 Hz tone switched on and off 0.7 times a second: speech-like bursts and pauses.
func longRecording(seconds: Double) throws -> String {
    let path = scratch("long.wav")
    let samples = (0..<Int(seconds * 16_000)).map { i -> Float in
        let t = Float(i) / 16_000
        return 0.3 * sin(2 * .pi * 200 * t) * (sin(2 * .pi * 0.7 * t) > 0 ? 1 : 0.02)
    }
    try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
    return path
}

/// What the pipe has (waiting until something arrives; empty at its end). Reads that a
/// signal interrupts are retried: Foundation's own readers stop the test process on EINTR,
/// which the signals that these tests send their children can cause.
func readSome(_ pipe: Pipe) -> Data {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = read(pipe.fileHandleForReading.fileDescriptor, &buffer, buffer.count)
        if n >= 0 { return Data(buffer[0..<n]) }
        if errno != EINTR { return Data() }
    }
}

/// Everything until the writer closes the pipe.
func readAll(_ pipe: Pipe) -> Data {
    var data = Data()
    while true {
        let piece = readSome(pipe)
        if piece.isEmpty { return data }
        data += piece
    }
}

/// A `proscore serve` started for a test; its address is read from what it prints.
struct RunningServer {
    let process: Process
    let port: Int
    /// What the server prints after its "listening on" line (read once it has stopped).
    let errors: Pipe

    init(_ arguments: [String]) throws {
        let (process, _, stderr) = try launchCapturingErrors(["serve", "--port", "0"] + arguments)
        self.process = process
        self.errors = stderr
        var text = ""
        while !text.contains("listening on") {
            let piece = readSome(stderr)
            if piece.isEmpty { break }
            text += String(decoding: piece, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
              let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
              let port = Int(address.split(separator: ":").last ?? "") else {
            process.terminate()
            throw TestFailure("serve did not start: \(text)")
        }
        self.port = port
    }

    var httpURL: String { "http://127.0.0.1:\(port)" }
    var webSocketURL: String { "ws://127.0.0.1:\(port)" }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
