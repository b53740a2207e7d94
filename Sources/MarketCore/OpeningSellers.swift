/// The market opens with its sellers. At the start of a run (or of an epoch whose books hold
/// no deposit of some seller yet) a buy can reach the trader a moment before a seller's first
/// deposit does; deciding it then would answer `no seller` while the goods are on their way.
/// So a buy that would fail waits for every seller of the scenario that has not deposited yet,
/// as long as that seller is live by the failure detector the trader already runs: a seller
/// that crashed or fell silent before its first deposit stops counting once it is seen gone
/// or not heard from for `suspectAfter`, so nothing waits for ever.
extension Peer {
    /// The sellers a buy that would fail `no seller` still waits for, in id order.
    func sellersYetToDeposit(_ state: TraderState) -> [PeerID] {
        // Unknown roles (no `buyers` list) name no sellers; a scenario that deposits nothing
        // at first has no first deposit to wait for.
        guard let buyers = config.buyers, config.initialStock > 0 else { return [] }
        // Followers speak to the trader only: a peer that just took office may not have heard
        // from a seller for a while, yet its first deposit may be on the way to it. Such a
        // seller counts as live for one suspect time from the takeover.
        return others.filter { peer in
            !buyers.contains(peer) && !state.depositors.contains(peer) && goneAt[peer] == nil
                && (isLive(peer) || now - tradingSince < config.timing.suspectAfter)
        }
    }
}
