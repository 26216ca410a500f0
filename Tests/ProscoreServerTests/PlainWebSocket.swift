import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client on a plain blocking socket, as small as a browser's view of the
/// protocol: the upgrade, masked frames out, frames in until the server's close.
///
/// The full-server test needs it: swift-websocket's client sometimes stops reading its
/// channel (a close frame that arrives with the 101 response, or a session's summary after
/// minutes of other requests), and then waits until the server's ping timeout closes the
/// stream (1001) minutes later. The server had sent everything: a raw client, and
/// browsers, see it within milliseconds.
///
/// Whatever blocks (the upgrade, reading) runs on a thread of its own: the server under test
/// runs on Swift's cooperative pool, which a blocked test must not hold.
final class PlainWebSocket: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socket: Int32
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and completes the upgrade for `path`.
    static func connect(port: Int, path: String, headers: [String: String] = [:]) async throws -> PlainWebSocket {
        try await offPool { try PlainWebSocket(port: port, path: path, headers: headers) }
    }

    /// The server's close frame, skipping any messages before it.
    func closeFrame() async throws -> (code: UInt16, reason: String)? {
        try await Self.offPool { try self.messagesUntilClose().close }
    }

    /// The server's text messages until its close frame, and the close's code and reason.
    func messagesAndClose() async throws -> (texts: [String], close: (code: UInt16, reason: String)?) {
        try await Self.offPool { try self.messagesUntilClose() }
    }

    private static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Sends `bytes` on a plain connection (an HTTP request cut short, say) and waits for the
    /// server to close it: the seconds that took.
    static func secondsUntilClosed(port: Int, sending bytes: [UInt8], receiveTimeoutSeconds: Int = 30) async throws -> Double {
        try await offPool {
            let socket = try openSocket(port: port, receiveTimeoutSeconds: receiveTimeoutSeconds)
            defer { Glibc.close(socket) }
            let start = Date()
            _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if n == 0 { return Date().timeIntervalSince(start) }
                if n < 0 { throw Failure(description: "the connection was still open after \(receiveTimeoutSeconds) s") }
            }
        }
    }

    private static func openSocket(port: Int, receiveTimeoutSeconds: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
        return socket
    }

    private init(port: Int, path: String, headers: [String: String] = [:], receiveTimeoutSeconds: Int = 30) throws {
        socket = try Self.openSocket(port: port, receiveTimeoutSeconds: receiveTimeoutSeconds)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try send(Array(("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
                        + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n").utf8))
        let end = Array("\r\n\r\n".utf8)
        while pending.firstRange(of: end) == nil {
            guard try receive() else { throw Failure(description: "the connection closed during the upgrade") }
        }
        let headEnd = pending.firstRange(of: end)!
        let statusLine = String(decoding: pending[..<headEnd.lowerBound], as: UTF8.self).split(separator: "\r\n").first ?? ""
        guard statusLine.contains(" 101 ") else { throw Failure(description: "no upgrade: \(statusLine)") }
        pending.removeSubrange(..<headEnd.upperBound)
    }

    /// A masked text frame, as every client must send.
    func sendText(_ text: String) throws {
        try sendFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// A masked binary frame (audio).
    func sendBinary(_ bytes: [UInt8]) throws {
        try sendFrame(opcode: 0x2, payload: bytes)
    }

    /// The server's text messages until its close frame, and the close's code and reason
    /// (nil when the connection ends without one). Throws when nothing arrives for the
    /// receive timeout.
    private func messagesUntilClose() throws -> (texts: [String], close: (code: UInt16, reason: String)?) {
        var texts: [String] = []
        while let (opcode, payload) = try nextFrame() {
            switch opcode {
            case 0x1: texts.append(String(decoding: payload, as: UTF8.self))
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                return (texts, (code, String(decoding: payload.dropFirst(2), as: UTF8.self)))
            default: continue
            }
        }
        return (texts, nil)
    }

    private func sendFrame(opcode: UInt8, payload: [UInt8]) throws {
        precondition(payload.count <= 0xFFFF, "frames up to 64 KiB")
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        let length: [UInt8] = payload.count < 126 ? [0x80 | UInt8(payload.count)]
            : [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        try send([0x80 | opcode] + length + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
    }

    /// The next whole frame (unfragmented, as the server sends them): opcode and payload.
    private func nextFrame() throws -> (UInt8, [UInt8])? {
        while true {
            if pending.count >= 2 {
                var length = Int(pending[1] & 0x7F), offset = 2
                if length == 126 {
                    guard pending.count >= 4 else { guard try receive() else { return nil }; continue }
                    length = Int(pending[2]) << 8 | Int(pending[3]); offset = 4
                } else if length == 127 {
                    guard pending.count >= 10 else { guard try receive() else { return nil }; continue }
                    length = pending[2..<10].reduce(0) { $0 << 8 | Int($1) }; offset = 10
                }
                if pending.count >= offset + length {
                    let frame = (pending[0] & 0x0F, Array(pending[offset..<(offset + length)]))
                    pending.removeSubrange(..<(offset + length))
                    return frame
                }
            }
            guard try receive() else { return nil }
        }
    }

    deinit { Glibc.close(socket) }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Appends what the socket has; false at the end of the connection.
    private func receive() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: errno == EAGAIN || errno == EWOULDBLOCK ? "nothing arrived within the receive timeout" : "recv: errno \(errno)") }
        pending += buffer[..<n]
        return n > 0
    }
}
