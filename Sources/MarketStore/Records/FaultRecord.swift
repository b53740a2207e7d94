import MarketCore

/// A row of `faults`.
public struct FaultRecord: Hashable, Codable, Sendable {
    public var faultID: Int64
    public var peer: PeerID
    public var kind: FaultKind
    public var at: String

    public init(faultID: Int64, peer: PeerID, kind: FaultKind, at: String) {
        self.faultID = faultID
        self.peer = peer
        self.kind = kind
        self.at = at
    }
}
