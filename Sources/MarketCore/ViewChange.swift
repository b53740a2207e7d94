/// The buyers a trader waits for before it decides, numbered within its epoch: view 0 as the
/// epoch's trader took over, then one view a change. A buyer silent past the suspect time is
/// dropped (the trader stops waiting for it, so a partition stalls its side only that long);
/// one heard from again is readmitted.
///
/// A view is written in the same transaction as the first decision batch decided in it, ahead
/// of that batch's decisions, so no decision is durable before the view it was decided in; a
/// membership nothing was decided in leaves no row (nothing depends on it). A decision belongs
/// to the latest view of its epoch whose `firstSeq` is at most its `decided_seq`.
public struct ViewChange: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var view: Int
    public var trader: PeerID
    /// Sorted, as every list here.
    public var members: [PeerID]
    public var dropped: [PeerID]
    public var readmitted: [PeerID]
    /// The decision sequence number of the first decision of the batch it came with.
    public var firstSeq: Int

    public init(epoch: Epoch, view: Int, trader: PeerID, members: [PeerID], dropped: [PeerID] = [],
                readmitted: [PeerID] = [], firstSeq: Int) {
        self.epoch = epoch
        self.view = view
        self.trader = trader
        self.members = members.sorted()
        self.dropped = dropped.sorted()
        self.readmitted = readmitted.sorted()
        self.firstSeq = firstSeq
    }

    /// `dropped P1 P3, readmitted P2`: what changed from the view before.
    public var changeText: String {
        func names(_ peers: [PeerID]) -> String { peers.map { "P\($0)" }.joined(separator: " ") }
        let parts = [dropped.isEmpty ? nil : "dropped \(names(dropped))", readmitted.isEmpty ? nil : "readmitted \(names(readmitted))"]
        return parts.compactMap { $0 }.joined(separator: ", ")
    }

    /// `0 2 5`: how the history writes a list of peers.
    public static func text(_ peers: [PeerID]) -> String {
        peers.sorted().map(String.init).joined(separator: " ")
    }

    /// The peers of a list as `text` writes it; nil if a word is not a peer id.
    public static func peers(_ text: String) -> [PeerID]? {
        var peers: [PeerID] = []
        for word in text.split(separator: " ") {
            guard let peer = PeerID(word) else { return nil }
            peers.append(peer)
        }
        return peers
    }
}

/// The view a trader is in: the last one it sent to the store (or, before its first batch,
/// the one it took over with, not yet written).
struct TraderView: Hashable, Sendable {
    var number: Int
    var members: Set<PeerID>
    var recorded: Bool
}
