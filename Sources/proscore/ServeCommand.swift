import ArgumentParser
import Foundation
import Logging
import ProscorePipeline
import ProscoreServer

/// `serve`: live scoring over the network and in the browser, many sessions at once.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Score speech sent over HTTP and WebSockets, with a web page for the microphone.",
        discussion: """
            Endpoints: GET / (the page), GET /v1/stream (WebSocket), POST /v1/score, GET /v1/sessions[/ID[/report]], \
            GET /healthz, GET /metrics, GET /openapi.yaml. The models are loaded once and shared by every session; \
            sessions are recorded in the store like any other. Listens on loopback unless --host says otherwise; \
            SIGINT or SIGTERM shuts down gracefully.
            """)

    @Option(help: "Interface to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "TCP port (0: any free port; the one chosen is printed).") var port = 8470
    /// The preset sessions start from; clients may name another from configs/.
    @OptionGroup var scoring: ScoringModelOptions
    @Option(help: "BERT model for text scores (default \(SessionBuilder.defaultTextModel) when present; none to switch off).")
    var textModel: String?
    @Option(parsing: .unconditional, help: "Sessions scored at once (streams and POST /v1/score); more get 503 with Retry-After.") var maxSessions = 4
    @Flag(help: "Behind a reverse proxy that clients reach alone: record a stream's source as the X-Forwarded-For address (via the proxy's).")
    var trustForwardedFor = false
    @Option(help: "A file holding the bearer token every request must carry (Authorization: Bearer …).") var tokenFile: String?
    @Option(help: "An origin (https://app.example) allowed to call the API from a browser (CORS) and to open streams.")
    var allowOrigin: String?
    @Option(parsing: .unconditional, help: "Largest POST /v1/score body, in MiB.") var maxBodyMib = 64
    @Option(parsing: .unconditional, help: "Seconds a stream may send nothing before it is closed (its session kept as interrupted).") var idleTimeoutS = 30.0
    @OptionGroup var store: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0–65535.") }
        if !(1...256).contains(maxSessions) { throw ValidationError("--max-sessions must be 1–256.") }
        if !(1...1_024).contains(maxBodyMib) { throw ValidationError("--max-body-mib must be 1–1024.") }
        if !(idleTimeoutS >= 1 && idleTimeoutS <= 86_400) { throw ValidationError("--idle-timeout-s must be between 1 and 86400.") }
        if let allowOrigin, URL(string: allowOrigin)?.scheme == nil || allowOrigin.hasSuffix("/") {
            throw ValidationError("--allow-origin takes an origin such as https://app.example (scheme and host, no path).")
        }
    }

    func run() async throws {
        compute.apply()
        var request = SessionRequest()
        scoring.fill(&request)
        request.textModel = textModel
        request.threads = compute.threads
        request.precision = compute.precision == nil ? nil : compute.resolved()
        // Opened here first so that a bad --store fails before anything loads or listens.
        let storeShown = try store.open().location
        var configuration = ServerConfiguration(storePath: store.resolvedLocation, request: request)
        configuration.host = host
        configuration.port = port
        configuration.maxSessions = maxSessions
        configuration.trustForwardedFor = trustForwardedFor
        configuration.allowOrigin = allowOrigin
        configuration.maxBodyBytes = maxBodyMib << 20
        configuration.idleTimeoutSeconds = idleTimeoutS
        configuration.token = try tokenFile.map(BearerTokenFile.read)
        var logger = Logger(label: "proscore.serve")
        logger.logLevel = .notice
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let exposed = !["127.0.0.1", "::1", "localhost"].contains(host) && configuration.token == nil
        let serving = try SessionBuilder.settings(for: request)
        let app = try ProscoreServer.makeApplication(configuration: configuration, logger: logger) { bound in
            FileHandle.standardError.write(Data(("listening on http://\(shownHost):\(bound) (preset \(serving.preset), model "
                                                 + "\(Installation.portable(serving.model)); sessions: \(storeShown))\n").utf8))
            // Said once it listens: a server that could not bind warns of nothing.
            if exposed {
                FileHandle.standardError.write(Data("warning: listening on \(host) without --token-file: anyone who can reach it can use it\n".utf8))
            }
        }
        do {
            try await app.runService()
            FileHandle.standardError.write(Data(("stopped (SIGINT or SIGTERM); any streams still open were stored as interrupted "
                                                 + "(sessions: \(storeShown))\n").utf8))
        } catch where "\(error)".contains("Address already in use") {
            throw ValidationError("port \(port) on \(host) is in use (another server?); give another --port, or --port 0 for any free one.")
        } catch where "\(error)".contains("errno: 99") || "\(error)".contains("Cannot assign requested address") {
            throw ValidationError("cannot listen on \(host): no network interface of this machine has that address; give one it has "
                                  + "(ip -brief address lists them), 127.0.0.1 for this machine alone, or 0.0.0.0 for all.")
        }
    }
}
