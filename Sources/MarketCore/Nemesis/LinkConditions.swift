/// How slow and how lossy every link is (`--latency 5ms[:uniform|:exponential] --loss 0.05`).
///
/// The protocol needs reliable FIFO links, and the links layer keeps that promise while a
/// link is up: a lost frame is sent again after a retransmission timeout, and duplicates are
/// dropped underneath, so loss shows up as delay and never as a gap. Only a cut is a cut.
public struct LinkConditions: Hashable, Sendable {
    public enum Distribution: String, CaseIterable, Hashable, Sendable {
        /// Every frame takes the mean.
        case constant
        /// Anywhere from zero to twice the mean.
        case uniform
        /// Exponentially distributed around the mean: mostly short, now and then long.
        case exponential
    }

    public var latency: Duration
    public var distribution: Distribution
    /// Each transmission of a frame is lost with this chance (0 ..< 1).
    public var loss: Double

    public init(latency: Duration = .zero, distribution: Distribution = .constant, loss: Double = 0) {
        self.latency = latency
        self.distribution = distribution
        self.loss = loss
    }

    /// Nothing added: frames go as fast as the transport takes them.
    public var isClear: Bool { latency == .zero && loss == 0 }

    /// A lost frame is sent again after this long: three mean latencies, and at least a
    /// millisecond (a sender cannot tell loss from delay sooner than a round trip).
    public var retransmitAfter: Duration { max(.milliseconds(1), latency * 3) }

    /// The delay of one frame on its way, and how many times it was sent again.
    public func draw(using random: inout SplitMix64) -> (delay: Duration, retransmissions: Int) {
        var retransmissions = 0
        // At most 64 tries: a loss of 1 would otherwise never deliver (the parser refuses it).
        while retransmissions < 64, random.chance(loss) { retransmissions += 1 }
        return (oneWay(using: &random) + retransmitAfter * retransmissions, retransmissions)
    }

    private func oneWay(using random: inout SplitMix64) -> Duration {
        let nanos = max(latency.nanoseconds, 0)
        guard nanos > 0 else { return .zero }
        switch distribution {
        case .constant:
            return latency
        case .uniform:
            return .nanoseconds(Int64(random.next() % UInt64(2 * nanos + 1)))
        case .exponential:
            // Inverse transform of a uniform draw in (0, 1]; capped at 20 means.
            let u = Double((random.next() >> 11) + 1) / Double(1 << 53)
            return .nanoseconds(Int64(min(-Double.log(u), 20) * Double(nanos)))
        }
    }

    /// Parses `5ms`, `250us`, `0.5s`, optionally followed by `:uniform` or `:exponential`.
    public static func latency(_ text: String) throws(NemesisError) -> (Duration, Distribution) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let amount = parts.first, let latency = duration(amount) else {
            throw NemesisError("latency '\(text)' is not a duration such as 5ms, 250us or 0.5s, optionally :uniform or :exponential")
        }
        var distribution = Distribution.constant
        if parts.count == 2 {
            guard let named = Distribution(rawValue: String(parts[1])) else {
                throw NemesisError("unknown latency distribution '\(parts[1])' (known: constant, uniform, exponential)")
            }
            distribution = named
        }
        return (latency, distribution)
    }

    /// Parses a chance of loss such as `0.05` (from 0 up to, not including, 1).
    public static func loss(_ text: String) throws(NemesisError) -> Double {
        guard let loss = Double(text), loss >= 0, loss < 1 else {
            throw NemesisError("loss '\(text)' is not a chance from 0 up to (not including) 1, such as 0.05")
        }
        return loss
    }

    private static func duration(_ text: Substring) -> Duration? {
        for (unit, nanos) in [("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)] where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)), value >= 0, value * nanos < 3.6e12 else { return nil }
            return .nanoseconds(Int64(value * nanos))
        }
        return nil
    }
}

extension Double {
    /// The natural logarithm, without Foundation (the core imports nothing), by series on
    /// the mantissa: good to about 1e-12, plenty for drawing delays.
    static func log(_ x: Double) -> Double {
        guard x > 0 else { return -.infinity }
        let exponent = Double(x.exponent)
        let mantissa = x.significand  // in [1, 2)
        let y = (mantissa - 1) / (mantissa + 1)
        var term = y
        var sum = 0.0
        var k = 1.0
        while abs(term) > 1e-17 {
            sum += term / k
            term *= y * y
            k += 2
        }
        return 2 * sum + exponent * 0.693_147_180_559_945_3
    }
}
