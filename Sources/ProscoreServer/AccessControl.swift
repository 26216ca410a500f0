import Foundation
import HTTPTypes
import Hummingbird

/// Who may call the server: with a token, every request carries `Authorization: Bearer
/// <token>`, except the page itself (`/` and `/static/…`, which hold no data), so that a
/// browser can load it and ask for the token. Browsers cannot add that header to a
/// WebSocket, so a stream may instead offer the subprotocols `proscore, bearer.<token>`
/// (the server answers `proscore`). A browser's request from another origin (its `Origin` header) is refused
/// unless it is the `--allow-origin` one, which also guards streams against pages of other
/// sites (WebSockets are not covered by CORS).
struct AccessControl: Sendable {
    let token: String?
    let allowOrigin: String?

    enum Refusal: Error {
        case unauthorized, forbiddenOrigin(String)

        var response: Response {
            switch self {
            case .unauthorized:
                return .json(status: .unauthorized, ["error": "this server needs Authorization: Bearer <token> (see --token-file)"],
                             headers: [.wwwAuthenticate: "Bearer realm=\"proscore\""])
            case let .forbiddenOrigin(origin):
                return .json(status: .forbidden, ["error": "requests from the origin \(origin) are not allowed (see --allow-origin)"])
            }
        }
    }

    func check(_ request: Request) -> Refusal? {
        if let origin = request.headers[.origin], !isAllowed(origin: origin, host: request.head.authority) {
            return .forbiddenOrigin(origin)
        }
        if let token, !Self.isPage(request.uri.path) {
            // The scheme's name is case-insensitive (RFC 9110): "bearer" and "BEARER" are "Bearer".
            if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
               constantTimeEqual(String(header.dropFirst(7)), token) { return nil }
            if Self.offeredProtocols(request).contains(where: { $0.hasPrefix("bearer.") && constantTimeEqual(String($0.dropFirst(7)), token) }) {
                return nil
            }
            return .unauthorized
        }
        return nil
    }

    /// The page and its scripts: no data, loadable without the token.
    static func isPage(_ path: String) -> Bool {
        path == "/" || path == "/index.html" || path.hasPrefix("/static/")
    }

    /// The WebSocket subprotocols a client offered (`Sec-WebSocket-Protocol`, comma-separated).
    static func offeredProtocols(_ request: Request) -> [String] {
        request.headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Browsers send `http(s)://host[:port]`; any other scheme comes from a program, which
    /// could send anything, so only a browser's origin is held to the page's own.
    private func isAllowed(origin: String, host: String?) -> Bool {
        if origin == allowOrigin { return true }
        guard let url = URL(string: origin), let scheme = url.scheme?.lowercased() else { return false }
        if scheme != "http" && scheme != "https" { return true }
        guard let host, let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority == host
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}

/// Refuses what `AccessControl` refuses, before any route runs.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = access.check(request) { return refusal.response }
        return try await next(request, context)
    }
}

extension Response {
    /// A JSON body with the right content type.
    static func json(status: HTTPResponse.Status = .ok, _ object: Any, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return json(status: status, text: String(decoding: data, as: UTF8.self), headers: headers)
    }

    static func json(status: HTTPResponse.Status = .ok, text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
