import CProscoreKernels
import Foundation

/// How a model's weight products are computed: in single precision, or with int8 weights
/// quantised once at load (symmetric, per output channel) and activations quantised per
/// row as they come, through the AVX-512 VNNI kernel (u8 × s8 → s32, dequantised in fp32).
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, int8

    /// `self`, or fp32 where the CPU lacks VNNI (with the reason, for a one-line notice).
    public var available: (precision: Precision, notice: String?) {
        if self == .int8 && !Int8Matrix.isSupported {
            return (.fp32, "int8 needs AVX-512 VNNI, which this CPU lacks; running in fp32")
        }
        return (self, nil)
    }
}

/// A weight matrix `[out, in]` quantised to int8 once, per output channel, and packed for
/// the VNNI kernel (`CProscoreKernels/int8_gemm.c`), with each column's scale and sum.
public struct Int8Matrix: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    private let storage: Storage

    /// Whether this CPU (and OS) runs the int8 kernel: AVX-512 F, BW and VNNI.
    public static let isSupported = proscore_int8_gemm_supported() != 0
    public static let panelColumns = Int(PROSCORE_INT8_PANEL_COLUMNS)

    public var panelCount: Int { (outFeatures + Self.panelColumns - 1) / Self.panelColumns }
    /// Bytes of one quantised input row (the depth padded to a multiple of 4).
    public var paddedDepth: Int { proscore_int8_padded_depth(inFeatures) }

    /// Quantises and packs row-major `weight`; nil where the kernel does not run.
    public init?(_ weight: Tensor) {
        precondition(weight.rank == 2)
        let (n, k) = (weight.shape[0], weight.shape[1])
        guard Self.isSupported, n > 0, k > 0, k <= Int(PROSCORE_INT8_MAX_DEPTH) else { return nil }
        outFeatures = n
        inFeatures = k
        storage = Storage(bytes: proscore_int8_packed_size(n, k), columns: n)
        weight.withUnsafePointer { w in proscore_int8_pack(w, n, k, k, storage.packed, storage.scales, storage.columnSums) }
    }

    /// The dequantised `[out, in]` weights (what the products effectively use).
    public func dequantised() -> Tensor {
        let (n, k, p) = (outFeatures, inFeatures, Self.panelColumns)
        let depth = paddedDepth
        var w = [Float](repeating: 0, count: n * k)
        for o in 0..<n {
            let panel = storage.packed + (o / p) * depth * p
            let j = o % p
            for i in 0..<k { w[o * k + i] = Float(panel[(i / 4) * 4 * p + 4 * j + i % 4]) * storage.scales[o] }
        }
        return Tensor(shape: [n, k], scalars: w)
    }

    /// `y[rows, out] (+)= x[rows, in] · Wᵀ (+ bias)`: the rows are quantised once here (each
    /// with its own scale; rows `ldx` floats apart may overlap, as a convolution's windows
    /// do), then threads take whole panels of output columns. With `accumulate` the product (and the
    /// bias) is added to `y`; otherwise it replaces it.
    public func multiply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, bias: UnsafePointer<Float>?,
                         into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        guard rows > 0 else { return }
        let depth = paddedDepth
        let quantised = UnsafeMutablePointer<UInt8>.allocate(capacity: rows * depth)
        let rowScales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { quantised.deallocate(); rowScales.deallocate() }
        proscore_int8_quantize_rows(x, rows, inFeatures, ldx, quantised, rowScales)
        let minimumPanels = max(1, (1 << 22) / max(1, rows * inFeatures * Self.panelColumns))
        Compute.parallelRanges(panelCount, minimumPerThread: minimumPanels) { panels in
            proscore_int8_gemm(rows, outFeatures, inFeatures, quantised, depth, rowScales,
                               storage.packed, storage.scales, storage.columnSums, bias,
                               panels.lowerBound, panels.upperBound, y, ldy, accumulate ? 1 : 0)
        }
    }

    /// The same product through the plain C reference of the kernel's arithmetic (tests).
    public func referenceMultiply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int, bias: UnsafePointer<Float>?,
                                  into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        let depth = paddedDepth
        var quantised = [UInt8](repeating: 0, count: rows * depth)
        var rowScales = [Float](repeating: 0, count: rows)
        proscore_int8_quantize_rows(x, rows, inFeatures, ldx, &quantised, &rowScales)
        proscore_int8_gemm_reference(rows, outFeatures, inFeatures, quantised, depth, rowScales,
                                     storage.packed, storage.scales, bias, 0, panelCount, y, ldy, accumulate ? 1 : 0)
    }

    /// The packed weights (64-byte aligned), scales and column sums, freed with the last
    /// matrix that shares them.
    private final class Storage {
        let packed: UnsafeMutablePointer<Int8>
        let scales: UnsafeMutablePointer<Float>
        let columnSums: UnsafeMutablePointer<Int32>
        init(bytes: Int, columns: Int) {
            packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
            scales = .allocate(capacity: columns)
            columnSums = .allocate(capacity: columns)
        }
        deinit { packed.deallocate(); scales.deallocate(); columnSums.deallocate() }
    }
}
