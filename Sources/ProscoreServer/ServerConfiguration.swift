import ProscorePipeline

/// How `proscore serve` runs: where it listens, who may use it, how much it takes on, and
/// what it scores with.
public struct ServerConfiguration: Sendable {
    /// Interface and TCP port (0: any free port). Loopback unless asked otherwise.
    public var host = "127.0.0.1"
    public var port = 8470
    /// Sessions (streams and batch requests) scored at once; more are refused with 503.
    public var maxSessions = 4
    /// When set, every request needs `Authorization: Bearer <token>`.
    public var token: String?
    /// An origin allowed to call the HTTP API from a browser (CORS) and to open streams;
    /// nil: same-origin only.
    public var allowOrigin: String?
    /// The session store: a SQLite file or a `postgres://` URL (shared by several servers).
    public var storePath: String
    /// The server's preset, model and heads; clients may pick another preset by name.
    public var request: SessionRequest
    /// Where client-chosen presets are looked up (`NAME.json`).
    public var presetsDirectory = "configs"
    /// Largest `POST /v1/score` body, in bytes.
    public var maxBodyBytes = 64 << 20
    /// Largest text message on a stream (the start message), in bytes.
    public var maxTextMessageBytes = 64 << 10
    /// Largest binary audio frame, in bytes.
    public var maxAudioFrameBytes = 1 << 20
    /// A stream from which nothing (audio, stop) arrives for this long is closed (1008) and
    /// its session kept as `interrupted`, so a vanished client cannot hold a slot forever.
    public var idleTimeoutSeconds = 30.0
    /// An HTTP connection left idle this long after a request (a keep-alive nobody uses) is
    /// closed, so idle sockets cannot pile up. (Hummingbird starts this clock once a first
    /// request's head has arrived: a connection that never finishes its first head is not
    /// covered.)
    public var httpIdleTimeoutSeconds = 60
    /// Behind a reverse proxy (nginx) every connection comes from the proxy: with this set, a
    /// stream's source names the first address of its `X-Forwarded-For` (and the proxy's).
    /// Only for a server that clients reach through the proxy alone, since anyone can send the header.
    public var trustForwardedFor = false
    /// Seconds a refused client is asked to wait (`Retry-After`).
    public var retryAfterSeconds = 5

    public init(storePath: String, request: SessionRequest) {
        self.storePath = storePath
        self.request = request
    }
}
