import CSoxr
import ProscoreUnits

/// Errors from rate conversion.
public enum ResamplerError: Error, Equatable, CustomStringConvertible {
    case unsupportedRate(Int)
    case soxr(String)

    public var description: String {
        switch self {
        case let .unsupportedRate(rate):
            return "sample rate \(rate) Hz is not usable (need 4 000 – 384 000 Hz)."
        case let .soxr(message):
            return "resampler error: \(message)"
        }
    }
}

/// Streaming band-limited rate conversion of mono Float32 through libsoxr (high quality:
/// passband to 91% of Nyquist, stopband rejection well beyond 100 dB).
/// Used by one thread at a time.
public final class Resampler: @unchecked Sendable {
    public static let supportedRates = 4_000...384_000
    public let inputRate: Int
    public let outputRate: Int
    private let handle: soxr_t?
    /// `nil` when the rates are equal: samples pass through.
    private let output: UnsafeMutablePointer<Float>
    private let outputCapacity: Int

    /// `maximumInputFrames` sizes the output buffer once, so `process` does not allocate
    /// for inputs up to that length.
    public init(inputRate: Int, outputRate: Int = FrameGeometry.sampleRate, maximumInputFrames: Int = 16_384) throws {
        guard Self.supportedRates.contains(inputRate) else { throw ResamplerError.unsupportedRate(inputRate) }
        guard Self.supportedRates.contains(outputRate) else { throw ResamplerError.unsupportedRate(outputRate) }
        self.inputRate = inputRate
        self.outputRate = outputRate
        outputCapacity = Int((Double(maximumInputFrames) * Double(outputRate) / Double(inputRate)).rounded(.up)) + 64
        output = .allocate(capacity: outputCapacity)
        if inputRate == outputRate {
            handle = nil
            return
        }
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        handle = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &io, &quality, nil)
        if let error {
            output.deallocate()
            throw ResamplerError.soxr(String(cString: error))
        }
    }

    deinit {
        if let handle { soxr_delete(handle) }
        output.deallocate()
    }

    /// Converts the next piece of input; `body` receives the output produced so far (valid
    /// only during the call). Pass `flush: true` with the last piece to drain the filter.
    public func process(_ input: UnsafeBufferPointer<Float>, flush: Bool = false,
                        _ body: (UnsafeBufferPointer<Float>) -> Void) {
        guard let handle else {
            body(input)
            return
        }
        var offset = 0
        let maximumChunk = max(1, outputCapacity * inputRate / outputRate / 2)
        repeat {
            let chunk = min(input.count - offset, maximumChunk)
            var consumed = 0, produced = 0
            _ = soxr_process(handle, input.baseAddress.map { $0 + offset }, chunk, &consumed,
                             output, outputCapacity, &produced)
            if produced > 0 { body(UnsafeBufferPointer(start: output, count: produced)) }
            offset += consumed
        } while offset < input.count
        guard flush else { return }
        // Drain the filter: no more input until soxr has nothing left to give.
        var produced = 0
        repeat {
            produced = 0
            _ = soxr_process(handle, nil, 0, nil, output, outputCapacity, &produced)
            if produced > 0 { body(UnsafeBufferPointer(start: output, count: produced)) }
        } while produced > 0
    }

    /// Whole-signal convenience: converts and flushes.
    public func convert(_ input: [Float]) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(Int(Double(input.count) * Double(outputRate) / Double(inputRate)) + 64)
        input.withUnsafeBufferPointer { process($0, flush: true) { result.append(contentsOf: $0) } }
        return result
    }
}
