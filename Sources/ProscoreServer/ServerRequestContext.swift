import Hummingbird
import HummingbirdWebSocket
import HTTPTypes
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

    /// The client as the session record names it: its address, or, behind a trusted proxy,
    /// the address the proxy forwarded for ("203.0.113.7 via 127.0.0.1:52672").
    func client(of request: Request, trustingForwardedFor trusted: Bool) -> String {
        guard trusted, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]?.split(separator: ",").first?
            .trimmingCharacters(in: .whitespaces), !forwarded.isEmpty else { return clientAddress }
        return "\(forwarded) via \(clientAddress)"
    }

    /// "IP:port" of the client, for people and for the session record.
    var clientAddress: String {
        guard let address = remoteAddress else { return "unknown client" }
        if let ip = address.ipAddress, let port = address.port { return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
        return "\(address)"
    }
}
