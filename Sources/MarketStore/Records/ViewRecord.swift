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

extension ViewRecord {
    /// A change is every view past its epoch's view 0: how many each epoch had, for those with any.
    public static func changesByEpoch(_ views: [ViewRecord]) -> [(epoch: Epoch, changes: Int)] {
        let counts = Dictionary(views.filter { $0.view > 0 }.map { ($0.epoch, 1) }, uniquingKeysWith: +)
        return counts.keys.sorted().map { ($0, counts[$0] ?? 0) }
    }

    /// None in a database from before migration 0011, which the read-only commands still read.
    static func all(_ db: any SQLSession, runID: Int64) throws -> [ViewRecord] {
        guard try db.tableNames().contains("views") else { return [] }
        return try fetchAllCheckingTypes(db, sql: """
            SELECT epoch, view, trader_id, members, dropped, readmitted, first_seq, at FROM views
            WHERE run_id = ? ORDER BY epoch, view
            """, arguments: [runID])
    }
}

extension MarketDatabase {
    /// Every view a run's traders recorded, by epoch and number.
    public func views(runID: Int64) throws(StoreError) -> [ViewRecord] {
        try read { db in try ViewRecord.all(db, runID: runID) }
    }
}
