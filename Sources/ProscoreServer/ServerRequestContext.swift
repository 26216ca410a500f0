import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every route: WebSocket upgrades and the client's address (a
/// stream's session is recorded with it as its source).
public struct ServerRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// "IP:port" of the client, for people and for the session record.
    var clientAddress: String {
        guard let address = remoteAddress else { return "unknown client" }
        if let ip = address.ipAddress, let port = address.port { return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
        return "\(address)"
    }
}
