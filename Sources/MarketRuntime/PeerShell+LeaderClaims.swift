import MarketCore
import MarketStore

extension PeerShell {
    /// A frame that says who trades (a COORDINATOR, a heartbeat of a newer epoch) is believed
    /// only if the store's leader record backs it (`LeaderClaim`). Most frames make no such
    /// claim, so the store is read only when what the peer believes would change.
    func isBelievable(_ envelope: Envelope) -> Bool {
        // A frame the core refuses anyway costs no read and is counted there.
        guard envelope.rejection(by: peer.config) == nil,
              let claim = envelope.leaderClaim(beyond: peer.knownEpoch, leader: peer.leader) else { return true }
        let backed: Bool
        do {
            let record = try store.leaderRecord()
            backed = claim.isBacked(storeEpoch: record.epoch, storeLeader: record.leader)
        } catch {
            // Unread is unbacked; the trader's next heartbeat says it again.
            backed = false
        }
        if !backed {
            unbackedClaims += 1
            if unbackedClaims <= 10 || unbackedClaims & (unbackedClaims - 1) == 0 {
                log("drops \(envelope.message.kind) from P\(envelope.from): the store has not granted P\(claim.leader) "
                    + "epoch \(claim.epoch) (claim #\(unbackedClaims) unbacked)")
            }
        }
        return backed
    }
}
