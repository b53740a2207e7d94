/// Lamport's logical clock: send ticks and stamps, receive jumps past the stamp.
public struct LamportClock: Hashable, Sendable, Codable {
    public private(set) var time: UInt64

    public init(time: UInt64 = 0) {
        self.time = time
    }

    /// A send (or any local event): `c += 1`, and the new value stamps the message.
    public mutating func tick() -> UInt64 {
        time += 1
        return time
    }

    /// A receive: `c = max(c, m) + 1`.
    public mutating func witness(_ stamp: UInt64) {
        time = max(time, stamp) + 1
    }

    /// Moves the clock past a stamp learnt from the store (a takeover), without a message.
    public mutating func advance(past stamp: UInt64) {
        if time <= stamp { time = stamp + 1 }
    }
}
