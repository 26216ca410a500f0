import Foundation
import ProscoreTensor
import Testing
@testable import ProscoreCheckpoint

/// A fresh temporary directory per test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "proscore-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Builds a safetensors file by hand: header JSON plus raw bytes.
func writeRawSafeTensors(_ path: String, header: String, data: [UInt8]) {
    var bytes = [UInt8]()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
    bytes += Array(header.utf8) + data
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

@Suite("safetensors reading and writing")
struct SafeTensorsTests {
    @Test("tensors written as F32 read back exactly, with shapes and metadata")
    func roundTripF32() throws {
        let path = temporaryDirectory() + "/t.safetensors"
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 4, 5, 6e-8])
        let b = Tensor(shape: [4], scalars: [0, 1, 2, 3])
        try SafeTensorsWriter.write([("a", a), ("b.weight", b)], to: path, metadata: ["k": "v"])
        let file = try SafeTensorsFile(path: path)
        #expect(file.names == ["a", "b.weight"])
        #expect(try file.tensor("a") == a)
        #expect(try file.tensor("b.weight") == b)
        #expect(file.metadata == ["k": "v"])
    }

    @Test("F16 storage rounds to half precision")
    func roundTripF16() throws {
        let path = temporaryDirectory() + "/h.safetensors"
        let a = Tensor(shape: [3], scalars: [1, 0.1, -65504])
        try SafeTensorsWriter.write([("a", a)], to: path, storage: .f16)
        let file = try SafeTensorsFile(path: path)
        #expect(file.entries["a"]?.dtype == .f16)
        #expect(try file.tensor("a").scalars == [1, Float(Float16(0.1)), -65504])
    }

    @Test("BF16 and F64 tensors are read as Float32")
    func otherDTypes() throws {
        let path = temporaryDirectory() + "/m.safetensors"
        // bf16 1.0 = 0x3F80, -2.0 = 0xC000; f64 0.5
        var data: [UInt8] = [0x80, 0x3F, 0x00, 0xC0]
        withUnsafeBytes(of: 0.5.bitPattern.littleEndian) { data += $0 }
        writeRawSafeTensors(path, header: #"{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"y":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}"#, data: data)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("x").scalars == [1, -2])
        #expect(try file.tensor("y").scalars == [0.5])
    }

    @Test("a file cut short is reported as truncated, naming the file and the tensor")
    func truncated() throws {
        let dir = temporaryDirectory()
        let path = dir + "/t.safetensors"
        try SafeTensorsWriter.write([("encoder.weight", Tensor(zeros: [16, 16]))], to: path)
        let full = FileManager.default.contents(atPath: path)!
        _ = FileManager.default.createFile(atPath: path, contents: full.prefix(full.count - 10))
        #expect {
            _ = try SafeTensorsFile(path: path)
        } throws: { error in
            guard case let .truncated(p, detail) = error as? CheckpointError else { return false }
            return p == path && detail.contains("encoder.weight")
        }
        // A header length larger than the file.
        _ = FileManager.default.createFile(atPath: path, contents: full.prefix(20))
        #expect(throws: CheckpointError.self) { _ = try SafeTensorsFile(path: path) }
        // Shorter than the length field itself.
        _ = FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
        #expect {
            _ = try SafeTensorsFile(path: path)
        } throws: { error in
            if case .truncated = error as? CheckpointError { return true } else { return false }
        }
    }

    @Test("a garbage header is a clear error, not a crash")
    func garbage() throws {
        let path = temporaryDirectory() + "/g.safetensors"
        writeRawSafeTensors(path, header: "this is not json at all", data: [])
        #expect {
            _ = try SafeTensorsFile(path: path)
        } throws: { error in
            guard case .badHeader = error as? CheckpointError else { return false }
            return "\(error)".contains(path)
        }
        writeRawSafeTensors(path, header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(throws: CheckpointError.self) { _ = try SafeTensorsFile(path: path) }
        writeRawSafeTensors(path, header: #"{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}"#, data: [0])
        #expect(throws: CheckpointError.unsupportedDType(path: path, tensor: "x", dtype: "Q7")) { _ = try SafeTensorsFile(path: path) }
    }

    @Test("a missing file says so")
    func missing() {
        #expect {
            _ = try SafeTensorsFile(path: "/nonexistent/model.safetensors")
        } throws: { error in
            if case .missingFile = error as? CheckpointError { return true } else { return false }
        }
    }

    @Test("WeightStore checks shapes, names missing tensors and reports unused ones")
    func weightStore() throws {
        let path = temporaryDirectory() + "/w.safetensors"
        try SafeTensorsWriter.write([("a", Tensor(zeros: [2, 3])), ("b", Tensor(zeros: [3])), ("extra", Tensor(zeros: [1]))], to: path)
        let store = WeightStore(file: try SafeTensorsFile(path: path))
        _ = try store.take("a", shape: [2, 3])
        #expect(throws: CheckpointError.wrongShape(path: path, tensor: "b", expected: [4], found: [3])) {
            _ = try store.take("b", shape: [4])
        }
        #expect(throws: CheckpointError.missingTensor(path: path, tensor: "c")) { _ = try store.take("c", shape: [1]) }
        #expect(try store.takeIfPresent("c", shape: [1]) == nil)
        #expect(store.unused == ["b", "extra"])
    }
}
