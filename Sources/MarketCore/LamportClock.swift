/// Lamport's logical clock: send ticks and stamps, receive jumps past the stamp.
///
/// The arithmetic saturates at `UInt64.max` instead of trapping: a stamp that large can only
/// come from a corrupt or hostile peer, and a peer must not die of one.
public struct LamportClock: Hashable, Sendable, Codable {
    public private(set) var time: UInt64

    public init(time: UInt64 = 0) {
        self.time = time
    }

    /// A send (or any local event): `c += 1`, and the new value stamps the message.
    public mutating func tick() -> UInt64 {
        time = time.successor
        return time
    }

    /// A receive: `c = max(c, m) + 1`.
    public mutating func witness(_ stamp: UInt64) {
        time = max(time, stamp).successor
    }

    /// Moves the clock past a stamp learnt from the store (a takeover), without a message.
    public mutating func advance(past stamp: UInt64) {
        if time <= stamp { time = stamp.successor }
    }

    /// The stamp the next send will carry.
    public var next: UInt64 { time.successor }
}

extension UInt64 {
    /// `self + 1`, or `UInt64.max` when that would overflow.
    var successor: UInt64 { self == .max ? .max : self + 1 }
}
