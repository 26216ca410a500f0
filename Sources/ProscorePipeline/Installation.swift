import Foundation

/// Where Proscore's own files are (`configs/`, `models/`, `recordings/`), so that they are
/// found from any folder. A relative path is read from the current folder when it exists
/// there, else from the installation; absolute paths are taken as they are.
public enum Installation {
    /// The installation: `$PROSCORE_HOME` when set, else the checkout the running binary was
    /// built in (the first folder above the executable that has `configs/balanced.json`);
    /// nil when neither is there.
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
        existing(path) ?? path
    }

    /// Where the presets live, as `NAME.json`.
    public static let presetsFolder = "configs"

    /// A preset given as a file (`configs/low-latency.json`) or by its name (`low-latency`):
    /// the file when it exists, else the named preset in `presetsFolder`, else `nameOrPath`
    /// (for the error to name).
    public static func preset(_ nameOrPath: String) -> String {
        if let file = existing(nameOrPath) { return file }
        guard !nameOrPath.contains("/"), !nameOrPath.hasSuffix(".json") else { return nameOrPath }
        return existing("\(presetsFolder)/\(nameOrPath).json") ?? nameOrPath
    }

    /// The presets' names in the installation's `presetsFolder`, sorted.
    public static func presetNames() -> [String] {
        existing(presetsFolder).map(presetNames(in:)) ?? []
    }

    /// The presets' names in `folder` (its `.json` files without the extension), sorted.
    public static func presetNames(in folder: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// `resolve(path)` when that exists, else nil (for defaults that are optional).
    public static func existing(_ path: String) -> String? {
        let fm = FileManager.default
        if path.hasPrefix("/") || fm.fileExists(atPath: path) { return fm.fileExists(atPath: path) ? path : nil }
        guard let home else { return nil }
        let there = (home as NSString).appendingPathComponent(path)
        return fm.fileExists(atPath: there) ? there : nil
    }

    /// `path` relative to the installation when it lies inside it, else as given: the same
    /// model named from two folders is one name (for records compared across runs).
    public static func portable(_ path: String) -> String {
        guard let home, path.hasPrefix(home + "/") else { return path }
        return String(path.dropFirst(home.count + 1))
    }
}
