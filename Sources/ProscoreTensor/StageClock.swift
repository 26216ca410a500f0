import Dispatch

/// Accumulates wall time per named stage of a computation, for profiles. Passing `nil`
/// where a clock is optional costs nothing.
public final class StageClock {
    public private(set) var stages: [(name: String, seconds: Double)] = []

    public init() {}

    /// Runs `body`, adding its wall time to stage `name` (stages keep first-seen order).
    @discardableResult
    public func measure<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let i = stages.firstIndex(where: { $0.name == name }) {
            stages[i].seconds += seconds
        } else {
            stages.append((name, seconds))
        }
        return result
    }
}

extension Optional where Wrapped == StageClock {
    @inline(__always)
    public func measure<R>(_ name: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
        guard let clock = self else { return try body() }
        return try clock.measure(name(), body)
    }
}
