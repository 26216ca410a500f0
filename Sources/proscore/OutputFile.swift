import ArgumentParser
import Foundation

/// Writing a command's output file: never over a file the command did not create unless
/// asked, into a temporary file beside it that is renamed on success, with errors that
/// say what to do. A symbolic link is written through: the file it points to is replaced
/// and the link stays.
enum OutputFile {
    static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        let url = URL(fileURLWithPath: try check(path, overwrite: overwrite))
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        do {
            try data.write(to: partial)
            // A replaced file keeps its permissions.
            if let old = try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] {
                try? FileManager.default.setAttributes([.posixPermissions: old], ofItemAtPath: partial.path)
            }
            // rename(2) replaces an existing file in one step (Foundation's replaceItemAt
            // fails on Linux when the file exists); folders were refused by `check`.
            guard rename(partial.path, url.path) == 0 else {
                throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno),
                              userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw ValidationError("\(path): cannot write it (\((error as NSError).localizedDescription)).")
        }
    }

    /// Refuses a path whose folder is missing, a folder (even with `overwrite`: replacing it
    /// would delete everything in it), or an existing file without `overwrite`. Returns the
    /// path to write: `path`, or the file a symbolic link there points to (which may not exist yet).
    @discardableResult
    static func check(_ given: String, overwrite: Bool, option: String = "--out") throws -> String {
        guard !given.isEmpty else { throw ValidationError("The output path is empty.") }
        let path = linkTarget(given)
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("\(path) is a folder; give \(option) the path of a file (one inside that folder, if you like).")
        }
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw ValidationError("\(path): the folder \(folder) does not exist; create it first or choose another \(option).")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(given) exists; choose another \(option) or pass --overwrite to replace it.")
        }
        return path
    }

    /// The end of the chain of symbolic links at `path` (relative links read from their own
    /// folder), or `path` itself when it is no link; a loop stops after 32 links.
    static func linkTarget(_ path: String) -> String {
        var current = path
        for _ in 0..<32 {
            guard let next = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = next.hasPrefix("/") ? next : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(next)
        }
        return current
    }

}
