import MarketCore

/// The simulator's side of the invariant library: every claim and every committed batch the
/// in-memory store took, checked as it lands, in the order it landed.
struct StoreWatch {
    private var checkedClaims = 0
    private var checkedCommits = 0
    private var epochWinners = EpochWinners()
    private var decisionOrder = DecisionOrder()
    private var views = RecordedViews()
    private var decidedOnce = DecidedOnce()

    /// Checks what the store took since the last call.
    mutating func check(_ store: InMemoryStore) -> [Violation] {
        var violations: [Violation] = []
        while checkedClaims < store.claims.count {
            violations += epochWinners.admit(store.claims[checkedClaims]).map { [$0] } ?? []
            checkedClaims += 1
        }
        while checkedCommits < store.commits.count {
            violations += check(store.commits[checkedCommits], of: store)
            checkedCommits += 1
        }
        return violations
    }

    private mutating func check(_ commit: InMemoryStore.Commit, of store: InMemoryStore) -> [Violation] {
        let batch = commit.batch
        var violations = Fencing.check(writer: batch.epoch, store: commit.storeEpoch).map { [$0] } ?? []
        for change in batch.views {
            violations += views.admit(change)
        }
        for decision in batch.decisions {
            violations += decidedOnce.admit(decision.request.id, "epoch \(decision.epoch)").map { [$0] } ?? []
            let (stamp, outside) = views.stamp(DecisionStamp(decision))
            violations += outside.map { [$0] } ?? []
            violations += decisionOrder.admit(stamp)
            guard let trade = decision.outcome.trade else { continue }
            violations += epochWinners.check(trade)
            let goods = SellerProduct(seller: trade.seller, product: trade.product)
            violations += GoodsConservation.check(goods, GoodsCount(
                deposited: store.deposited[goods] ?? 0, sold: store.sold[goods] ?? 0, stock: store.stock[goods] ?? 0))
        }
        return violations
    }
}
