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
            // A replaced file keeps its permissions.
            if let old = try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] {
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
    /// would delete everything in it), or an existing file without `overwrite`.
    static func check(_ path: String, overwrite: Bool, option: String = "--out") throws {
        guard !path.isEmpty else { throw ValidationError("The output path is empty.") }
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("\(path) is a folder; give \(option) the path of a file (one inside that folder, if you like).")
        }
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
            throw ValidationError("\(path): the folder \(folder) does not exist; create it first or choose another \(option).")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; choose another \(option) or pass --overwrite to replace it.")
        }
    }

}
