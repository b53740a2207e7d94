import MarketCore

extension MarketDatabase {
    /// Where each peer runs (`peers.host`), written when the run begins.
    public func recordHosts(runID: Int64, _ hosts: [PeerID: String]) throws(StoreError) {
        try write { db in
            for (peer, host) in hosts.sorted(by: { $0.key < $1.key }) {
                let changed = try db.execute(
                    sql: "UPDATE peers SET host = ? WHERE run_id = ? AND peer_id = ?", arguments: [host, runID, peer])
                guard changed == 1 else { throw StoreError.noSuchPeer(run: runID, peer: peer) }
            }
        }
    }
}
