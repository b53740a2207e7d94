import MarketCore

/// A row of `views`: the buyers a trader waited for, from `firstSeq` on in its epoch.
public struct ViewRecord: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var view: Int
    public var trader: PeerID
    /// `1 3 4`, as `ViewChange.text` writes a list of peers.
    public var members: String
    public var dropped: String
    public var readmitted: String
    public var firstSeq: Int
    public var at: String

    public init(epoch: Epoch, view: Int, trader: PeerID, members: String, dropped: String, readmitted: String,
                firstSeq: Int, at: String) {
        self.epoch = epoch
        self.view = view
        self.trader = trader
        self.members = members
        self.dropped = dropped
        self.readmitted = readmitted
        self.firstSeq = firstSeq
        self.at = at
    }

    /// The change it records; nil when a list is not peer ids (a hand-edited row).
    public var change: ViewChange? {
        guard let members = ViewChange.peers(members), let dropped = ViewChange.peers(dropped),
              let readmitted = ViewChange.peers(readmitted) else { return nil }
        return ViewChange(epoch: epoch, view: view, trader: trader, members: members, dropped: dropped,
                          readmitted: readmitted, firstSeq: firstSeq)
    }
}
