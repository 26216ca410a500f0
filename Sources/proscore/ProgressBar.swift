import Foundation

/// Progress of a batch on stderr: a bar redrawn in place on a terminal, a line every tenth
/// in a log.
struct ProgressBar {
    private let terminal = isatty(2) != 0
    private var lastTenth = -1

    mutating func show(_ done: Int, _ total: Int, _ item: String) {
        if terminal {
            let width = 30, filled = width * done / max(1, total)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) \(item.suffix(40))      ".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let tenth = 10 * done / max(1, total)
            if tenth != lastTenth || done == total {
                lastTenth = tenth
                FileHandle.standardError.write(Data("\(done)/\(total)\n".utf8))
            }
        }
    }
}
