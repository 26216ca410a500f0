import ArgumentParser
import Foundation

/// The bearer token of `--token-file`, for `serve` and `bench serve` alike: one line of
/// letters, digits, `-` and `_`, at least 16 of them. Anything else is refused at start-up:
/// a second line (or a space) made a token that no client could send, so the server started
/// and then refused everyone; other characters cannot travel in the page's WebSocket
/// subprotocol (`bearer.<token>`).
enum BearerTokenFile {
    static let minimumLength = 16

    static func read(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--token-file \(path): cannot be read.")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let advice = "put one line of letters, digits, - and _ in it (openssl rand -hex 24 > \(path))."
        if token.contains(where: \.isNewline) {
            throw ValidationError("--token-file \(path): holds more than one line; \(advice)")
        }
        if let odd = token.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_")) }) {
            throw ValidationError("--token-file \(path): the token holds \(odd == " " ? "a space" : "\"\(odd)\""), which the page cannot send; \(advice)")
        }
        guard token.count >= minimumLength else {
            throw ValidationError("--token-file \(path): the token must be at least \(minimumLength) characters; \(advice)")
        }
        return token
    }
}
