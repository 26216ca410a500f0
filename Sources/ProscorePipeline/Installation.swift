import Foundation

/// Where Proscore's own files are (`configs/`, `models/`, `recordings/`), so that the
/// defaults work from any folder: `$PROSCORE_HOME` when set, else the checkout the running
/// binary was built in (the first folder above the executable that has
/// `configs/balanced.json`). A relative path that exists from the current folder is always
/// taken as it is; only one that does not is looked for there.
public enum Installation {
    public static let home: String? = {
        let fm = FileManager.default
        if let home = ProcessInfo.processInfo.environment["PROSCORE_HOME"], !home.isEmpty { return home }
        guard let executable = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var folder = (executable as NSString).deletingLastPathComponent
        while folder.count > 1 {
            if fm.fileExists(atPath: folder + "/" + SessionBuilder.defaultPreset) { return folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }()

    /// `path` as given when it is absolute or exists from the current folder; else the same
    /// relative path inside `home` when it exists there; else `path` (for the error to name).
    public static func resolve(_ path: String) -> String {
        let fm = FileManager.default
        guard !path.hasPrefix("/"), !fm.fileExists(atPath: path), let home else { return path }
        let there = (home as NSString).appendingPathComponent(path)
        return fm.fileExists(atPath: there) ? there : path
    }
}
