import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client on a plain blocking socket, as small as a browser's view of the
/// protocol: the upgrade, masked frames out, frames in until the server's close.
///
/// The tests need it for streams the server closes at once (a full server): swift-websocket's
/// client sometimes never reads a close frame that arrives in the same read as the 101
/// response (about 1 stream in 5 here), and then waits until something else wakes the
/// channel, minutes later. A raw client, and browsers, see the close within milliseconds.
struct PlainWebSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socket: Int32
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and completes the upgrade for `path`.
    init(port: Int, path: String, receiveTimeoutSeconds: Int = 30) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try send(Array(("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
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
        let payload = Array(text.utf8)
        precondition(payload.count < 126, "short messages only")
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        try send([0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
    }

    /// Frames until the server's close frame: its code and reason; nil when the
    /// connection ends without one. Throws when nothing arrives for the receive timeout.
    mutating func closeFrame() throws -> (code: UInt16, reason: String)? {
        while true {
            if pending.count >= 2 {
                var length = Int(pending[1] & 0x7F), offset = 2
                if length == 126, pending.count >= 4 { length = Int(pending[2]) << 8 | Int(pending[3]); offset = 4 }
                if length < 127, pending.count >= offset + length {
                    let opcode = pending[0] & 0x0F
                    let payload = Array(pending[offset..<(offset + length)])
                    pending.removeSubrange(..<(offset + length))
                    if opcode == 0x8 {
                        let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                        return (code, String(decoding: payload.dropFirst(2), as: UTF8.self))
                    }
                    continue
                }
            }
            guard try receive() else { return nil }
        }
    }

    func close() {
        Glibc.close(socket)
    }

    private func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Appends what the socket has; false at the end of the connection.
    private mutating func receive() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: errno == EAGAIN || errno == EWOULDBLOCK ? "nothing arrived within the receive timeout" : "recv: errno \(errno)") }
        pending += buffer[..<n]
        return n > 0
    }
}
