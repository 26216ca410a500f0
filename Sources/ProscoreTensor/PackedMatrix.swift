import CProscoreKernels
import Foundation

/// A weight matrix `[out, in]` stored once in the panel layout of the packed GEMM kernel
/// (`CProscoreKernels`, AVX-512), so that products with it skip the per-call packing of
/// the weights that OpenBLAS does. That packing dominates when few rows are multiplied: a
/// streaming step's 40 frames run about 1.5 times faster through the kernel.
///
/// Layers make one where the kernel runs (`isEnabled`); elsewhere they keep their
/// row-major weights and call OpenBLAS.
public struct PackedMatrix: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    private let storage: Storage

    /// Whether this CPU (and OS) runs the kernel: AVX-512F.
    public static let isSupported = proscore_packed_gemm_supported() != 0

    /// Whether layers pack their weights by default: supported, and not switched off with
    /// `PROSCORE_PACKED_GEMM=0` (everything through OpenBLAS, for comparisons).
    public static let isEnabled = isSupported && ProcessInfo.processInfo.environment["PROSCORE_PACKED_GEMM"] != "0"

    /// What runs products with layer weights by default, for benchmark reports.
    public static var engineName: String { isEnabled ? "packed AVX-512 kernel" : "OpenBLAS" }

    /// Output columns per panel; threads split the work by panels.
    public static let panelColumns = Int(PROSCORE_PANEL_COLUMNS)

    public var panelCount: Int { (outFeatures + Self.panelColumns - 1) / Self.panelColumns }

    /// Packs row-major `weight` (`out` rows of `in` floats, `rowStride` apart); nil when the
    /// CPU does not run the kernel.
    public init?(weight: UnsafePointer<Float>, out: Int, in inFeatures: Int, rowStride: Int? = nil) {
        guard Self.isSupported, out > 0, inFeatures > 0 else { return nil }
        outFeatures = out
        self.inFeatures = inFeatures
        storage = Storage(count: proscore_packed_size(out, inFeatures))
        proscore_pack(weight, out, inFeatures, rowStride ?? inFeatures, storage.pointer)
    }

    /// Packs a `[out, in]` tensor; nil when the CPU does not run the kernel.
    public init?(_ weight: Tensor) {
        precondition(weight.rank == 2)
        guard let packed = weight.withUnsafePointer({ PackedMatrix(weight: $0, out: weight.shape[0], in: weight.shape[1]) })
        else { return nil }
        self = packed
    }

    /// The row-major `[out, in]` weights back.
    public func unpacked() -> Tensor {
        let (n, k, p) = (outFeatures, inFeatures, Self.panelColumns)
        var w = [Float](repeating: 0, count: n * k)
        for o in 0..<n {
            let panel = storage.pointer + (o / p) * k * p + o % p
            for i in 0..<k { w[o * k + i] = panel[i * p] }
        }
        return Tensor(shape: [n, k], scalars: w)
    }

    /// `y[rows, out] (+)= x[rows, inputs] · W[:, inputs]ᵀ` for the output columns of
    /// `panels`, on the caller's thread. Rows of `x` are `ldx` floats apart and may overlap
    /// (a strided convolution view); with `accumulate` the product is added to `y`.
    public func multiply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, inputs: Range<Int>? = nil,
                         into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool,
                         panels: Range<Int>? = nil) {
        let inputs = inputs ?? 0..<inFeatures
        let panels = panels ?? 0..<panelCount
        precondition(!inputs.isEmpty && inputs.lowerBound >= 0 && inputs.upperBound <= inFeatures,
                     "inputs \(inputs) must be a non-empty part of 0..<\(inFeatures)")
        guard rows > 0, !panels.isEmpty else { return }
        proscore_packed_gemm(rows, outFeatures, inFeatures, inputs.lowerBound, inputs.count,
                             x, ldx, storage.pointer, panels.lowerBound, panels.upperBound,
                             y, ldy, accumulate ? 1 : 0)
    }

    /// A 64-byte aligned buffer, freed with the last matrix that shares it.
    private final class Storage {
        let pointer: UnsafeMutablePointer<Float>
        init(count: Int) {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        deinit { pointer.deallocate() }
    }
}
