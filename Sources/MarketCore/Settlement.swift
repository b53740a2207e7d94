/// What a shell needs to know of a peer to tell when a run is over: up or not, the trader
/// or not (and of which epoch), and whether it made and got answers to all its buys.
public struct PeerStanding: Hashable, Sendable {
    public var up: Bool
    public var traderEpoch: Epoch?
    public var finishedBuying: Bool

    public init(up: Bool, traderEpoch: Epoch?, finishedBuying: Bool) {
        self.up = up
        self.traderEpoch = traderEpoch
        self.finishedBuying = finishedBuying
    }

    public init(_ peer: Peer) {
        self.init(up: peer.isUp, traderEpoch: peer.isTrader ? peer.knownEpoch : nil, finishedBuying: peer.finishedBuying)
    }
}

/// When a run is over, the same for the simulator and the supervisor: nothing pending or
/// undelivered, every peer up, exactly one trader holding the store's epoch, and every other
/// buyer done (a buyer that trades does not buy).
public enum Settlement {
    /// - Parameter standings: one per peer that takes part; nil for a peer that is not up
    ///   (crashed, paused, or about to come back).
    public static func isSettled(
        _ standings: some Sequence<PeerStanding?>, pending: Int, undelivered: Int, storeEpoch: Epoch
    ) -> Bool {
        guard storeEpoch >= 1, pending == 0, undelivered == 0 else { return false }
        var traders = 0
        for standing in standings {
            guard let standing, standing.up else { return false }
            if let epoch = standing.traderEpoch {
                guard epoch == storeEpoch else { return false }
                traders += 1
            } else if !standing.finishedBuying {
                return false
            }
        }
        return traders == 1
    }
}
