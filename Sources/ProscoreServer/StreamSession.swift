import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ProscoreAudio
import ProscorePipeline
import ProscoreStore
import ServiceLifecycle

/// One `/v1/stream` connection: the start message, then audio pushed into the session's
/// ring (the socket is read no faster than the pipeline takes audio), the pipeline on a
/// thread of its own, and every event sent back as a JSON text message in `replay
/// --json`'s shapes, the last being the summary with the session id.
struct StreamSession {
    let services: ServerServices
    let client: String
    let logger: Logger
    /// When the client last sent something; a stream silent for the idle timeout is closed.
    let idle = IdleWatch()

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        var frames = inbound.makeAsyncIterator()
        let limit = services.configuration.idleTimeoutSeconds
        let watchdog = Task { [idle, self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(min(1, limit / 4) * 1000)))
                if idle.expireIfIdle(longerThan: limit) {
                    // A session's scores and id reach the client before the close does.
                    let started = idle.hasSession
                    await idle.windDown()
                    await close(outbound, .policy("nothing arrived for \(Self.seconds(limit)): "
                                                  + (started ? "send audio, or {\"type\":\"stop\"} to end" : "send the start message first, then audio")))
                    return
                }
            }
        }
        defer { watchdog.cancel() }
        do {
            // A server already full says so at once, not after the client's start message.
            if services.slots.isFull { throw fullRejection() }
            let (start, encoding) = try await readStart(&frames)
            // A slot is a scoring session: taken once the client has said what it sends.
            guard services.slots.tryAcquire() else { throw fullRejection() }
            defer { services.slots.release() }
            try await stream(start: start, encoding: encoding, frames: &frames, outbound: outbound)
        } catch let rejection as StreamRejection {
            await close(outbound, rejection)
        } catch {
            await close(outbound, .serverError("\(error)"))
        }
    }

    /// A stream refused because every slot is taken, counted.
    private func fullRejection() -> StreamRejection {
        services.metrics.rejectedSession("full")
        let limit = services.slots.limit
        return .full("the server is scoring its maximum of \(limit) session\(limit == 1 ? "" : "s"); try again in a few seconds")
    }

    /// The next frame, noting that the client is there.
    private func nextFrame(_ frames: inout WebSocketInboundStream.AsyncIterator) async throws -> WebSocketDataFrame? {
        let frame = try await frames.next()
        idle.touch()
        return frame
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    // MARK: - The start message

    private func readStart(_ frames: inout WebSocketInboundStream.AsyncIterator) async throws -> (StartMessage, PCMEncoding) {
        guard let first = try await nextFrame(&frames) else { throw StreamRejection.invalid("the stream ended before its start message") }
        guard first.opcode == .text else {
            throw StreamRejection.unsupported("audio before the start message: send the JSON start message first")
        }
        let text = try await readText(first, &frames)
        return try StartMessage.parse(text)
    }

    /// The whole text message that `first` begins (continuation frames included), within the limit.
    private func readText(_ first: WebSocketDataFrame, _ frames: inout WebSocketInboundStream.AsyncIterator) async throws -> String {
        let limit = services.configuration.maxTextMessageBytes
        var buffer = first.data
        var frame = first
        while !frame.fin {
            guard buffer.readableBytes <= limit, let next = try await nextFrame(&frames) else { break }
            guard next.opcode == .continuation else { throw StreamRejection.invalid("a text message was interrupted by another message") }
            var data = next.data
            buffer.writeBuffer(&data)
            frame = next
        }
        guard buffer.readableBytes <= limit else {
            throw StreamRejection.tooBig("a text message of more than \(limit) bytes; the limit is \(limit)")
        }
        return String(buffer: buffer)
    }

    // MARK: - The session

    private func stream(start: StartMessage, encoding: PCMEncoding, frames: inout WebSocketInboundStream.AsyncIterator,
                        outbound: WebSocketOutboundWriter) async throws {
        let catalog = services.catalog, store = services.store, client = self.client
        let setup: (SessionPipeline, PushAudioSource)
        do {
            // Loading models can take longer than the idle timeout on a busy machine; the
            // client's frames wait unread meanwhile, which is not the client's silence.
            setup = try await idle.holding { try await onOwnThread(name: "proscore.setup") {
                let requested = try catalog.settings(preset: start.preset, reference: start.reference, textPrompt: start.textPrompt,
                                                 learner: start.learner)
                let models = try catalog.models(for: requested)
                let settings = requested.withHeads(of: models)
                let recorder = try StoreSessionRecorder(store: store, settings: settings)
                let source = try PushAudioSource(name: "websocket \(client)", sampleRate: start.sampleRate, channels: start.channels,
                                                  encoding: encoding)
                return (SessionBuilder.pipeline(settings: settings, models: models, recorder: recorder), source)
            } }
        } catch let error as SessionSetupError {
            throw StreamRejection.policy(error.message)
        }
        let (pipeline, source) = setup
        services.metrics.sessionStarted()
        let events = EventChannel()
        let runner = Thread {
            do {
                try pipeline.run(source: source) { events.put($0) }
            } catch SessionError.stoppedBeforeStart {
                // Refused before any audio: nothing was recorded, the close says why.
            } catch {
                events.fail("\(error)")
            }
            events.finish()
        }
        runner.name = "proscore.session"
        runner.stackSize = 8 << 20
        runner.start()

        let sender = Task { await send(events, to: outbound) }
        let idleReason = "nothing arrived for \(Self.seconds(services.configuration.idleTimeoutSeconds)) (the idle timeout); the stream was closed"
        idle.onExpiry { [source] in
            source.end(reason: idleReason)
            _ = await sender.value
        }
        var rejection: StreamRejection?
        var stopped = false
        do {
            try await receiveAudio(&frames, into: source)
            stopped = true
        } catch let r as StreamRejection {
            rejection = r
        } catch {
            // The connection broke: handled below as a disconnect.
        }
        idle.finish()  // the client has said all it will; the idle timeout no longer applies
        if stopped {
            source.flush()
            while !source.drain() { try? await Task.sleep(for: .milliseconds(5)) }
            source.end(reason: nil)
        } else if rejection != nil {
            pipeline.stop()
        } else {
            source.end(reason: Task.isShuttingDownGracefully
                ? "the server was shut down (SIGINT or SIGTERM) during the stream"
                : idle.expired ? idleReason : "the client disconnected before sending {\"type\":\"stop\"}")
        }
        let (ended, failure) = await sender.value
        if let rejection { throw rejection }
        if let failure { throw StreamRejection.serverError(failure) }
        await close(outbound, .init(code: .normalClosure, reason: ended ? "session ended" : "no audio arrived before stop; nothing was recorded"))
    }

    /// Reads frames until `{"type":"stop"}` (returns), the socket ends (throws
    /// `CancellationError`) or a frame breaks the protocol (throws a `StreamRejection`).
    private func receiveAudio(_ frames: inout WebSocketInboundStream.AsyncIterator, into source: PushAudioSource) async throws {
        let limit = services.configuration.maxAudioFrameBytes
        var inBinaryMessage = false
        while let frame = try await nextFrame(&frames) {
            switch frame.opcode {
            case .text:
                if try ControlMessage.isStop(try await readText(frame, &frames)) { return }
            case .continuation where !inBinaryMessage:
                throw StreamRejection.invalid("a continuation frame outside a message")
            case .binary, .continuation:
                guard frame.data.readableBytes <= limit else {
                    throw StreamRejection.tooBig("an audio frame of \(frame.data.readableBytes) bytes; the limit is \(limit) (send smaller frames)")
                }
                inBinaryMessage = !frame.fin
                frame.data.withUnsafeReadableBytes { source.push($0) }
                // Throttled: the wait is ours, not the client's silence.
                while !source.drain() { idle.touch(); try await Task.sleep(for: .milliseconds(5)) }
            }
        }
        throw CancellationError()
    }

    /// Sends every event as it comes; returns whether the session ended (its summary was
    /// sent) and the error of a session that failed before it could end.
    private func send(_ events: EventChannel, to outbound: WebSocketOutboundWriter) async -> (ended: Bool, failure: String?) {
        var sessionId: Int64?
        var ended = false
        var writable = true
        for await item in events.stream {
            defer { events.taken() }
            switch item {
            case let .event(event):
                switch event {
                case let .started(id): sessionId = id
                case let .estimate(e): services.metrics.estimateEmitted(latencyMs: e.emitLatencyMs)
                case let .ended(_, summary):
                    ended = true
                    services.metrics.sessionEnded(audioSeconds: summary.audioSeconds, realTimeFactor: summary.realTimeFactor,
                                                  droppedSamples: summary.droppedSamples)
                default: break
                }
                guard writable else { continue }
                do { try await outbound.write(.text(EventJSON.line(event, storePath: nil, sessionId: sessionId))) } catch { writable = false }
            case let .failed(reason):
                logger.warning("session failed", metadata: ["client": "\(client)", "error": "\(reason)"])
                return (ended, reason)
            }
        }
        return (ended, nil)
    }

    private func close(_ outbound: WebSocketOutboundWriter, _ rejection: StreamRejection) async {
        if rejection.code != .normalClosure {
            logger.info("stream closed", metadata: ["client": "\(client)", "code": "\(rejection.code)", "reason": "\(rejection.reason)"])
        }
        try? await outbound.close(rejection.code, reason: rejection.clippedReason)
    }
}

/// Events from the session's thread to the sending task. At most `window` events are in
/// flight: a client that reads slowly holds up the pipeline, which holds up reading its
/// audio (the socket's backpressure), rather than events piling up in memory.
final class EventChannel: @unchecked Sendable {
    enum Item: Sendable {
        case event(PipelineEvent)
        case failed(String)
    }

    let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let window: DispatchSemaphore

    init(window: Int = 256) {
        (stream, continuation) = AsyncStream.makeStream(of: Item.self)
        self.window = DispatchSemaphore(value: window)
    }

    /// From the session's thread: waits while the window is full.
    func put(_ event: PipelineEvent) {
        window.wait()
        continuation.yield(.event(event))
    }

    func fail(_ reason: String) {
        window.wait()
        continuation.yield(.failed(reason))
    }

    func finish() { continuation.finish() }

    /// From the sender: one item was handled.
    func taken() { window.signal() }
}

/// The idle timeout's clock: touched by every frame, held while the server itself is busy
/// (setting up the session, when frames wait unread), finished once the client has sent
/// `stop` (or gone); expired once, by the watchdog, which first winds the session down.
final class IdleWatch: @unchecked Sendable {
    /// The longest the watchdog waits for a session to send what it scored before closing.
    static let windDownLimit = Duration.seconds(30)

    private let lock = NSLock()
    private var last = ContinuousClock.now
    private var holds = 0
    private var done = false
    private var expiredFlag = false
    private var expiryAction: (@Sendable () async -> Void)?

    /// What ends the running session when the client goes silent: its audio is ended
    /// and its remaining events (the session id, the summary) are sent.
    func onExpiry(_ action: @escaping @Sendable () async -> Void) { lock.withLock { expiryAction = action } }

    /// Runs the expiry action, if a session set one, for at most `limit`.
    func windDown(limit: Duration = windDownLimit) async {
        guard let action = lock.withLock({ expiryAction }) else { return }
        // Whichever comes first: the action done, or the limit (a client that reads nothing
        // holds the sender up; the action then finishes once the close breaks the socket).
        let (first, signal) = AsyncStream.makeStream(of: Void.self)
        Task { await action(); signal.yield() }
        let timer = Task { try? await Task.sleep(for: limit); signal.yield() }
        for await _ in first { break }
        timer.cancel()
    }

    /// Whether a session began (the start message was accepted and an expiry action set).
    var hasSession: Bool { lock.withLock { expiryAction != nil } }

    func touch() { lock.withLock { last = .now } }
    func finish() { lock.withLock { done = true } }
    var expired: Bool { lock.withLock { expiredFlag } }

    /// Runs `body` (the server's own wait) with the clock stopped; the client gets a whole
    /// idle period again afterwards.
    func holding<T>(_ body: () async throws -> T) async rethrows -> T {
        lock.withLock { holds += 1 }
        defer { lock.withLock { holds -= 1; last = .now } }
        return try await body()
    }

    /// True (once) when nothing arrived for `seconds` while the client still had the word.
    func expireIfIdle(longerThan seconds: Double) -> Bool {
        lock.withLock {
            guard !done, !expiredFlag, holds == 0,
                  ContinuousClock.now - last > .milliseconds(Int(seconds * 1000)) else { return false }
            expiredFlag = true
            return true
        }
    }
}
