import Foundation
import ProscoreTensor

/// Element types a safetensors file may declare.
public enum SafeTensorsDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteCount: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// A read-only, memory-mapped safetensors file: an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the raw data.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range within the data section (after the header).
        public let byteRange: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let mapping: UnsafeRawBufferPointer
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw CheckpointError.missingFile(path: path, hint: "Pass a model directory that holds model.safetensors.")
            }
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw CheckpointError.truncated(path: path, detail: "\(size) bytes, shorter than the 8-byte header length")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw CheckpointError.unreadable(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        let buffer = UnsafeRawBufferPointer(start: base, count: size)
        do {
            let parsed = try Self.parseHeader(buffer, path: path)
            entries = parsed.entries
            metadata = parsed.metadata
            dataStart = parsed.dataStart
            mapping = buffer
        } catch {
            munmap(base, size)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count) }

    private static func parseHeader(_ buffer: UnsafeRawBufferPointer, path: String) throws
        -> (entries: [String: Entry], metadata: [String: String], dataStart: Int)
    {
        let headerLength = UInt64(littleEndian: buffer.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(buffer.count - 8) else {
            throw CheckpointError.truncated(
                path: path, detail: "header says \(headerLength) bytes, file has \(buffer.count - 8) after the length")
        }
        let dataStart = 8 + Int(headerLength)
        let json = Data(buffer[8..<dataStart])
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw CheckpointError.badHeader(path: path, detail: "header is not a JSON object")
        }
        let dataSize = buffer.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw CheckpointError.badHeader(path: path, detail: "entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw CheckpointError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw CheckpointError.badHeader(path: path, detail: "entry '\(name)' has a negative size or offset")
            }
            guard offsets[1] <= dataSize else {
                throw CheckpointError.truncated(
                    path: path, detail: "tensor '\(name)' ends at byte \(offsets[1]) of a \(dataSize)-byte data section")
            }
            let expected = shape.reduce(1, *) * dtype.byteCount
            guard offsets[1] - offsets[0] == expected else {
                throw CheckpointError.badHeader(
                    path: path, detail: "tensor '\(name)' spans \(offsets[1] - offsets[0]) bytes, its shape needs \(expected)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
        }
        return (entries, metadata, dataStart)
    }

    /// The named tensor converted to Float32 (from F32, F16, BF16 or F64).
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw CheckpointError.missingTensor(path: path, tensor: name) }
        let raw = UnsafeRawBufferPointer(rebasing: mapping[(dataStart + e.byteRange.lowerBound)..<(dataStart + e.byteRange.upperBound)])
        let n = e.count
        var out = [Float](repeating: 0, count: n)
        switch e.dtype {
        case .f32:
            out.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
        case .f16:
            for i in 0..<n { out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<n {
                out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .f64:
            for i in 0..<n { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        default:
            throw CheckpointError.unsupportedDType(path: path, tensor: name, dtype: e.dtype.rawValue)
        }
        return Tensor(shape: e.shape, scalars: out)
    }
}

/// Writes tensors to a safetensors file, as Float32 or Float16.
public enum SafeTensorsWriter {
    public enum StorageType: String, Sendable { case f32 = "F32", f16 = "F16" }

    /// `storage` applies to every tensor but those named in `exact`, which stay Float32
    /// (frame times and indices: Float16 keeps 11 bits, so 41.6 s reads as 41.625).
    public static func write(_ tensors: [(name: String, tensor: Tensor)], to path: String,
                             storage: StorageType = .f32, exact: Set<String> = [], metadata: [String: String] = [:]) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        func type(_ name: String) -> StorageType { exact.contains(name) ? .f32 : storage }
        for (name, t) in tensors {
            let width = type(name) == .f32 ? 4 : 2
            header[name] = ["dtype": type(name).rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.count * width]]
            offset += t.count * width
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so data starts aligned
        var file = Data()
        file.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for (name, t) in tensors {
            switch type(name) {
            case .f32:
                t.scalars.withUnsafeBytes { file.append(contentsOf: $0) }
            case .f16:
                let half = t.scalars.map { Float16($0).bitPattern.littleEndian }
                half.withUnsafeBytes { file.append(contentsOf: $0) }
            }
        }
        do {
            try file.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CheckpointError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
