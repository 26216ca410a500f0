import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ProscoreFeatures
import ProscorePipeline
import ProscoreReport
import ProscoreStore

/// `proscore serve`: the streaming API (`/v1/stream`), the batch and session API, health
/// and metrics, the OpenAPI document and the web page, over one copy of the models.
public enum ProscoreServer {
    /// The application, ready to run (`runService()`) or test. Loads the models and opens
    /// the store first, so that a bad option fails before anything listens.
    /// `onListening` receives the bound port (useful with port 0).
    public static func makeApplication(configuration: ServerConfiguration, logger: Logger,
                                       onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let services = try ServerServices(configuration: configuration)
        let access = AccessControl(token: configuration.token, allowOrigin: configuration.allowOrigin)
        let router = Router(context: ServerRequestContext.self)
        if let origin = configuration.allowOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: .custom(origin), allowHeaders: [.authorization, .contentType],
                                                  allowMethods: [.get, .post, .options]))
        }
        router.add(middleware: ErrorBodyMiddleware())
        router.add(middleware: AccessMiddleware(access: access))
        HTTPRoutes(services: services).add(to: router)

        let webSocketRouter = Router(context: ServerRequestContext.self)
        webSocketRouter.ws("/v1/stream", shouldUpgrade: { request, _ in
            // Hummingbird answers a refused upgrade with a bare 400 and closes, so only
            // requests without the token or from a foreign page are refused here; a full
            // server accepts and closes the stream at once with 1013 and a reason.
            guard access.check(request) == nil else { return .dontUpgrade }
            // A browser that offered subprotocols (the page, carrying its token) needs one chosen.
            return AccessControl.offeredProtocols(request).contains("proscore") ? .upgrade([.secWebSocketProtocol: "proscore"]) : .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let client = context.requestContext.client(of: context.request, trustingForwardedFor: configuration.trustForwardedFor)
            await StreamSession(services: services, client: client, logger: context.logger)
                .run(inbound: inbound, outbound: outbound)
        })
        let webSocket = WebSocketServerConfiguration(
            // NIO refuses frames over this outright (close 1009); the session's own, smaller
            // limit closes with a reason first.
            maxFrameSize: max(configuration.maxAudioFrameBytes, configuration.maxTextMessageBytes) * 4)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter,
                                           configuration: .init(http1: .init(idleTimeout: .seconds(Int64(configuration.httpIdleTimeoutSeconds))), ws: webSocket)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "proscore"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

/// The HTTP routes: batch scoring, stored sessions, health, metrics and the static files.
struct HTTPRoutes {
    let services: ServerServices

    func add(to router: Router<ServerRequestContext>) {
        router.get("/") { _, _ in try Self.resource("index.html") }
        router.get("/static/:file") { _, context in
            guard let name = context.parameters.get("file"), StaticFiles.names.contains(name) else { throw HTTPError(.notFound) }
            return try Self.resource(name)
        }
        router.get("/openapi.yaml") { _, _ in try Self.resource("openapi.yaml") }
        router.get("/healthz") { _, _ in
            // A server whose store is gone scores nothing it can keep: a load balancer should send learners elsewhere.
            let store = services.store
            if let why = try await onOwnThread(name: "proscore.health", { store.unavailability() }) {
                return Response.json(status: .serviceUnavailable, ["status": "store unavailable", "error": why,
                                                                   "active_sessions": services.slots.activeCount, "max_sessions": services.slots.limit])
            }
            return Response.json(["status": "ok", "active_sessions": services.slots.activeCount, "max_sessions": services.slots.limit])
        }
        router.get("/metrics") { _, _ in
            Response.text(services.metrics.exposition(activeSessions: services.slots.activeCount, maxSessions: services.slots.limit),
                          contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/v1/sessions") { request, _ in
            let store = services.store
            let learner = request.uri.queryParameters["learner"].map(String.init)
            let list = try await onOwnThread(name: "proscore.store") {
                try SessionExport.text(SessionListEntry.all(in: store, learner: learner).map(\.jsonObject))
            }
            return Response.json(text: list)
        }
        router.get("/v1/sessions/:id") { _, context in
            let id = try Self.sessionId(context)
            return Response.json(text: try await withSession(id) {
                try SessionExport.text(SessionExport.jsonObject(store: $0, id: id, includeEvents: false))
            })
        }
        router.get("/v1/sessions/:id/report") { _, context in
            let id = try Self.sessionId(context)
            let html = try await withSession(id) { try SessionReport(store: $0, session: id).html }
            return Response.text(html, contentType: "text/html; charset=utf-8")
        }
        router.post("/v1/score") { request, context in try await score(request) }
        router.get("/v1/stream") { _, _ -> Response in
            // A plain request, not an upgrade.
            if services.slots.isFull { return full() }
            return .json(status: .upgradeRequired, ["error": "/v1/stream is a WebSocket: connect with a WebSocket client"],
                         headers: [.upgrade: "websocket"])
        }
    }

    /// 503 with Retry-After: every session slot is taken.
    private func full() -> Response {
        services.metrics.rejectedSession("full")
        return .json(status: .serviceUnavailable,
                     ["error": "the server is scoring its maximum of \(services.slots.limit) session\(services.slots.limit == 1 ? "" : "s"); try again shortly"],
                     headers: [.retryAfter: String(services.configuration.retryAfterSeconds)])
    }

    /// `POST /v1/score`: the body is a recording; the answer is `score --format jsonl`'s line for it.
    private func score(_ request: Request) async throws -> Response {
        // A form upload (curl -F, an HTML form) wraps the file in multipart parts, which no audio reader opens.
        if request.headers[.contentType]?.lowercased().hasPrefix("multipart/") == true {
            throw HTTPError(.unsupportedMediaType, message: "send the recording itself as the request body "
                            + "(curl --data-binary @FILE), not as a form upload (-F)")
        }
        guard services.slots.tryAcquire() else { return full() }
        defer { services.slots.release() }
        var request = request
        let body = try await request.collectBody(upTo: services.configuration.maxBodyBytes)
        guard body.readableBytes > 0 else { throw HTTPError(.badRequest, message: "send the recording as the request body") }
        let reference = request.uri.queryParameters["reference"].map(String.init)
        let catalog = services.catalog
        services.metrics.sessionStarted()
        let result = try await onOwnThread(name: "proscore.score") { () throws -> ScoredFile in
            let file = NSTemporaryDirectory() + "proscore-upload-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Data(buffer: body).write(to: URL(fileURLWithPath: file))
            let settings = try catalog.settings(preset: nil, reference: nil, textPrompt: nil)
            // As `score`: no text scores (its rows have none), over the same loaded encoder.
            let scorer = BatchScorer(models: try catalog.models(for: settings).withoutEmbedder, settings: settings)
            var result = scorer.score(ManifestEntry(id: "upload", audio: file), reference: reference)
            result.entry.audio = "upload"
            if let error = result.error { result.error = error.replacingOccurrences(of: file, with: "the uploaded file") }
            return result
        }
        if let summary = result.summary {
            services.metrics.sessionEnded(audioSeconds: summary.audioSeconds, realTimeFactor: summary.realTimeFactor,
                                          droppedSamples: summary.droppedSamples)
        }
        return .json(status: result.summary == nil ? .unprocessableContent : .ok, text: ScoreRow.json(result))
    }

    /// The numeric id in the path; anything else is 404, as is an id with no session.
    private static func sessionId(_ context: ServerRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), !text.isEmpty, text.count <= 18,
              text.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int64(text) else {
            throw HTTPError(.notFound, message: "no such session: session ids are numbers")
        }
        return id
    }

    /// Runs `work` on the store off the event loop; a session that does not exist is 404.
    private func withSession<T: Sendable>(_ id: Int64, _ work: @escaping @Sendable (any SessionStore) throws -> T) async throws -> T {
        let store = services.store
        return try await onOwnThread(name: "proscore.store") {
            // The store's own message names its file: a remote client is told only what it asked.
            do { _ = try store.session(id) } catch is StoreError {
                throw HTTPError(.notFound, message: "no session \(id) on this server; GET /v1/sessions lists them")
            }
            return try work(store)
        }
    }

    /// A file of the web page, the OpenAPI document.
    static func resource(_ name: String) throws -> Response {
        guard let type = StaticFiles.contentTypes[(name as NSString).pathExtension],
              let data = FileManager.default.contents(atPath: StaticFiles.directory + "/" + name) else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The page and the OpenAPI document, shipped as the target's resources.
enum StaticFiles {
    static let directory = Bundle.module.path(forResource: "Web", ofType: nil) ?? Bundle.module.bundlePath + "/Web"
    static let names: Set<String> = ["app.js", "capture-worklet.js", "style.css"]
    static let contentTypes = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
                               "css": "text/css; charset=utf-8", "yaml": "application/yaml; charset=utf-8"]
}
