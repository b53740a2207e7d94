import MarketCore

/// `no seller` only when no seller can sell. The simulator sees what no peer can: the store's
/// stock as the batch is asked, and every first deposit on its way. A batch is judged when it
/// is asked (what the trader could know then) and counts when it is written: a zombie's batch
/// that the fence refuses decided nothing.
extension Simulation {
    func noteSent(_ envelope: Envelope) {
        guard case .deposit(let deposit) = envelope.message, Deposit.seq(ofID: deposit.id) == 0 else { return }
        firstDepositsInFlight[envelope.from] = (envelope.to, deposit.id)
    }

    /// Received, or lost with a peer that was down.
    func noteArrived(_ envelope: Envelope) {
        guard case .deposit = envelope.message, firstDepositsInFlight[envelope.from]?.to == envelope.to else { return }
        firstDepositsInFlight[envelope.from] = nil
    }

    /// Each `no seller` of `batch`, asked by `trader` now, against the goods the store holds
    /// less what the batch sold before it, and against the first deposits on their way.
    func checkNoSeller(_ batch: DecisionBatch, by trader: PeerID) {
        var stock = store.stock
        for decision in batch.decisions {
            if let trade = decision.outcome.trade {
                stock[SellerProduct(seller: trade.seller, product: trade.product), default: 0] -= trade.quantity
                continue
            }
            guard decision.outcome == .failed(.noSeller) else { continue }
            if let violation = NoSellerOnlyWhenNone.check(decision.request, stock: stock).first
                ?? firstDepositOnItsWay(to: trader, epoch: batch.epoch).map({
                    NoSellerOnlyWhenNone.inFlight(decision.request.id, seller: $0, trader: trader) }) {
                noSellerWhileSome[batch] = violation
                return
            }
        }
    }

    /// A seller up without a break since the trader's epoch began whose first deposit, not yet
    /// in the store, is on its way to `trader` (a seller that came back later may be unknown
    /// to the trader until that deposit lands). A seller whose link to the trader was cut
    /// since then, or within the suspect time before, went silent to it, and a silent seller
    /// rightly stops counting (`Peer.sellersYetToDeposit`).
    func firstDepositOnItsWay(to trader: PeerID, epoch: Epoch) -> PeerID? {
        let began = elections.last { $0.epoch == epoch }?.finished ?? .zero
        let cuts = allCutSpans
        return firstDepositsInFlight.keys.sorted().first { seller in
            guard let flight = firstDepositsInFlight[seller], flight.to == trader,
                  let since = nodes[seller].upSince, since <= began,
                  !cuts[seller * 1024 + trader, default: []].contains(where: {
                      $0.upperBound >= began - nodes[trader].config.timing.suspectAfter
                  }) else { return false }
            return !store.deposits.contains { $0.id == flight.depositID }
        }
    }
}
