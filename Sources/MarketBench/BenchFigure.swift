import Foundation
import MarketCore

/// One benchmark figure: the median of several repetitions, each an average over many
/// operations, so one noisy moment on a shared machine does not make the number.
public struct BenchFigure: Sendable, Codable {
    public var name: String
    /// Median seconds per operation.
    public var secondsPerOperation: Double
    public var repetitions: [Double]
    public var note: String

    public init(name: String, secondsPerOperation: Double, repetitions: [Double], note: String) {
        self.name = name
        self.secondsPerOperation = secondsPerOperation
        self.repetitions = repetitions
        self.note = note
    }

    public var microseconds: Double { secondsPerOperation * 1e6 }
    public var perSecond: Double { 1 / secondsPerOperation }

    /// Runs `body` `repetitions` times; `body` performs `operations` operations each time.
    public static func median(
        _ name: String, repetitions: Int = 5, operations: Int, note: String = "", _ body: () throws -> Void
    ) rethrows -> BenchFigure {
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            samples.append(elapsed.seconds / Double(operations))
        }
        return BenchFigure(name: name, secondsPerOperation: samples.median() ?? 0, repetitions: samples, note: note)
    }
}
