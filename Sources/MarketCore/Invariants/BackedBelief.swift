/// No peer believes an epoch the store never granted: every epoch is claimed in the store
/// before anyone announces it, so a peer that knows a newer one believed a forged or mistaken
/// word (the simulator sees each peer's belief; a history does not keep it).
public enum BackedBelief {
    public static func check(_ peer: PeerID, knownEpoch: Epoch, storeEpoch: Epoch) -> Violation? {
        guard knownEpoch > storeEpoch else { return nil }
        return Violation(.epochWinner, "P\(peer) believes in epoch \(knownEpoch), but the store granted only \(storeEpoch)")
    }
}
