import ArgumentParser
import Foundation

/// Writing a command's output file: never over a file the command did not create unless
/// asked, into a temporary file beside it that is renamed on success, with errors that
/// say what to do.
enum OutputFile {
    static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        try check(path, overwrite: overwrite)
        let url = URL(fileURLWithPath: path)
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        do {
            try data.write(to: partial)
            if FileManager.default.fileExists(atPath: path) { _ = try FileManager.default.replaceItemAt(url, withItemAt: partial) }
            else { try FileManager.default.moveItem(at: partial, to: url) }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw ValidationError("\(path): cannot write it (\((error as NSError).localizedDescription)).")
        }
    }

    /// Refuses a path whose folder is missing, or an existing file without `overwrite`.
    static func check(_ path: String, overwrite: Bool) throws {
        guard !path.isEmpty else { throw ValidationError("The output path is empty.") }
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw ValidationError("\(path): the folder \(folder) does not exist; create it first or choose another --out.")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; choose another --out or pass --overwrite to replace it.")
        }
    }
}
