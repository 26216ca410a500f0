import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import NIOCore
import ProscoreAudio
import ProscorePipeline
import ProscoreServer

/// The repository's root (recordings, presets, heads).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The tiny transformers-made CTC checkpoint: fast enough for many sessions per test.
let fixtureModel = repositoryRoot + "/Tests/ProscoreModelsTests/Fixtures/encoders/wav2vec2-layer-postnorm-ctc"
let recording = repositoryRoot + "/recordings/anna-morning.flac"

/// A server over the fixture model and a fresh store.
func serverConfiguration(maxSessions: Int = 4, token: String? = nil) -> ServerConfiguration {
    var request = SessionRequest()
    request.preset = repositoryRoot + "/configs/balanced.json"
    request.model = fixtureModel
    request.head = repositoryRoot + "/configs/heads/fluency.json"
    request.readAloudHead = "none"
    request.textModel = "none"
    let directory = NSTemporaryDirectory() + "proscore-serve-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var configuration = ServerConfiguration(storePath: directory + "/sessions.sqlite", request: request)
    configuration.port = 0
    configuration.maxSessions = maxSessions
    configuration.token = token
    configuration.presetsDirectory = repositoryRoot + "/configs"
    // A client test that waits on other requests mid-stream is not an idle client, however
    // busy the machine; the idle timeout's own test sets a short one.
    configuration.idleTimeoutSeconds = 600
    return configuration
}

func makeServer(_ configuration: ServerConfiguration) throws -> some ApplicationProtocol {
    var logger = Logger(label: "proscore.serve.test")
    logger.logLevel = .warning
    return try ProscoreServer.makeApplication(configuration: configuration, logger: logger)
}

/// The recording as 16 kHz mono 16-bit little-endian PCM, cut into uneven frames
/// (odd byte counts included, so samples straddle frames).
func pcmFrames() throws -> [ByteBuffer] {
    let bytes = AudioLoading.pcm16LittleEndian(try AudioLoading.load16kMono(path: recording))
    let sizes = [3_201, 640, 9_999, 1, 4_096, 7_777, 2_048, 12_345]
    var frames: [ByteBuffer] = []
    var offset = 0, i = 0
    while offset < bytes.count {
        let n = min(sizes[i % sizes.count], bytes.count - offset)
        frames.append(ByteBuffer(bytes: bytes[offset..<(offset + n)]))
        offset += n
        i += 1
    }
    return frames
}

let startMessage = #"{"sample_rate":16000,"encoding":"pcm_s16le","channels":1}"#

/// A JSON object from a text message or body.
func object(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

extension TestClientProtocol {
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers) { $0 }
    }

    func post(_ uri: String, headers: HTTPFields = [:], body: ByteBuffer) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: body) { $0 }
    }
}
