import Foundation

/// Tells two checkpoints apart without reading hundreds of megabytes: the weights' size,
/// config.json and the first 64 KiB of model.safetensors (its header), hashed with FNV-1a 64.
public enum CheckpointFingerprint {
    public static func of(directory: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 } }
        let weights = (directory as NSString).appendingPathComponent("model.safetensors")
        if let size = (try? FileManager.default.attributesOfItem(atPath: weights))?[.size] as? Int { mix(String(size).utf8) }
        if let config = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent("config.json")) { mix(config) }
        if let handle = FileHandle(forReadingAtPath: weights) {
            mix(handle.readData(ofLength: 1 << 16))
            try? handle.close()
        }
        return String(format: "%016llx", h)
    }
}
