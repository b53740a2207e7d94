/// What a shell needs to know of a peer to tell when a run is over: up or not, the trader
/// or not (and of which epoch), whether it made and got answers to all its buys, and whether
/// it is holding an election.
public struct PeerStanding: Hashable, Sendable {
    public var up: Bool
    public var traderEpoch: Epoch?
    public var finishedBuying: Bool
    public var electing: Bool

    public init(up: Bool, traderEpoch: Epoch?, finishedBuying: Bool, electing: Bool = false) {
        self.up = up
        self.traderEpoch = traderEpoch
        self.finishedBuying = finishedBuying
        self.electing = electing
    }

    public init(_ peer: Peer) {
        self.init(up: peer.isUp, traderEpoch: peer.isTrader ? peer.knownEpoch : nil, finishedBuying: peer.finishedBuying,
                  electing: peer.electionPhase != .idle)
    }
}

/// When a run is over, the same for the simulator and the supervisor: nothing pending or
/// undelivered, every peer up and none holding an election, exactly one trader holding the
/// store's epoch, and every other buyer done (a buyer that trades does not buy) — but a buyer
/// in office with requests unmade only as the highest peer.
///
/// A buyer trades until a higher peer takes over, as Bully has it do once it hears of a lower
/// trader: back from a crash, it holds a recovery election; resumed from a pause, it reads
/// the lower trader's heartbeats first. Calling the run over before that would end it with the
/// buyer's last requests never made (the simulator found it in 14 of 300 seeds after a crash,
/// and after a pause in others; a chaos run ended 122 requests short).
public enum Settlement {
    /// - Parameter standings: one per peer that takes part, in the order of their ids; nil for
    ///   a peer that is not up (crashed, paused, or about to come back).
    public static func isSettled(
        _ standings: some Sequence<PeerStanding?>, pending: Int, undelivered: Int, storeEpoch: Epoch
    ) -> Bool {
        guard storeEpoch >= 1, pending == 0, undelivered == 0 else { return false }
        var traders = 0
        var buyerInOffice = false
        for standing in standings {
            guard let standing, standing.up, !standing.electing, !buyerInOffice else { return false }
            if let epoch = standing.traderEpoch {
                guard epoch == storeEpoch else { return false }
                traders += 1
                buyerInOffice = !standing.finishedBuying
            } else if !standing.finishedBuying {
                return false
            }
        }
        return traders == 1
    }
}
