/// A seller's side: deposits goods with the trader, one deposit at a time, and restocks a
/// random product when everything it deposited is sold.
public struct SellerState: Hashable, Sendable {
    public internal(set) var nextDepositSeq = 0
    public internal(set) var outstanding: Deposit?
    /// Deposited and not yet paid for, per product, as far as this seller knows.
    public internal(set) var stock: [Product: Int] = [:]
    public internal(set) var deposits = 0
    /// Trades already credited, so a re-sent payout counts once.
    var credited: Set<Int> = []
    var sentInEpoch: Epoch?
}

extension Peer {
    mutating func depositIfReady() {
        guard config.role == .seller, let leader, leader != id, leaderContact else { return }
        if let deposit = seller.outstanding {
            if seller.sentInEpoch != knownEpoch { sendDeposit(deposit) }
            return
        }
        guard seller.stock.values.allSatisfy({ $0 == 0 }) else { return }
        let first = seller.deposits == 0
        let product = first ? config.product : Product.allCases[Int(random.next() % UInt64(Product.allCases.count))]
        let quantity = first ? config.initialStock : config.restock
        guard quantity > 0 else { return }
        let deposit = Deposit(id: Deposit.makeID(seller: id, seq: seller.nextDepositSeq), seller: id,
                              product: product, quantity: quantity)
        seller.nextDepositSeq += 1
        seller.outstanding = deposit
        if !first { log("sold out; restocks \(quantity) \(product.rawValue)") }
        sendDeposit(deposit)
    }

    mutating func sendDeposit(_ deposit: Deposit) {
        guard let leader else { return }
        seller.sentInEpoch = knownEpoch
        send(.deposit(deposit), to: leader)
        effects.append(.setTimer(.deposit, after: config.timing.depositTimeout))
    }

    mutating func depositTimedOut() {
        guard let deposit = seller.outstanding, trader == nil else { return }
        if let leader, leader != id {
            sendDeposit(deposit)
        } else {
            effects.append(.setTimer(.deposit, after: config.timing.depositTimeout))
        }
    }

    mutating func receiveDepositAccepted(_ depositID: Int) {
        sellerDepositAccepted(depositID)
    }

    mutating func sellerDepositAccepted(_ depositID: Int) {
        guard let deposit = seller.outstanding, deposit.id == depositID else { return }
        seller.outstanding = nil
        seller.deposits += 1
        seller.stock[deposit.product, default: 0] += deposit.quantity
        effects.append(.cancelTimer(.deposit))
    }

    mutating func receivePayout(_ requestID: RequestID, _ trade: Trade, from peer: PeerID) {
        applyPayout(trade)
        owesConfirmation(of: requestID, to: peer)
    }

    mutating func applyPayout(_ trade: Trade) {
        guard trade.seller == id, seller.credited.insert(trade.tradeID).inserted else { return }
        ledger.record(selling: trade)
        seller.stock[trade.product, default: 0] -= trade.quantity
    }

    /// Picks up from the store after a crash: ledger, requests and deposits as recorded.
    mutating func restore(from books: PeerBooks) {
        ledger = books.ledger
        seller.credited = books.sellerTradeIDs
        if let last = books.requests.map(\.id.seq).max() {
            buyer.nextSeq = last + 1
        }
        let pending = Set(books.pendingRequests)
        buyer.completed = books.requests.filter { !pending.contains($0.id) }.count
        buyer.inFlight = books.requests.filter { pending.contains($0.id) }
        // With several in flight, a request the store never got may lie below one it did (the
        // trader that held it back fell): it was made, so it is made again, not skipped.
        let recorded = Set(books.requests.map(\.id.seq))
        for seq in 0..<buyer.nextSeq where !recorded.contains(seq) {
            buyer.inFlight.append(BuyRequest(
                id: RequestID(buyer: id, seq: seq), product: config.product, quantity: config.quantity, lamport: 0))
        }
        buyer.inFlight.sort { $0.id.seq < $1.id.seq }
        buyer.sentBefore = Set(buyer.inFlight.map(\.id))
        seller.deposits = books.deposits.count
        seller.nextDepositSeq = (books.deposits.map { Deposit.seq(ofID: $0.id) }.max() ?? -1) + 1
        var stock: [Product: Int] = [:]
        for deposit in books.deposits {
            stock[deposit.product, default: 0] += deposit.quantity
        }
        for product in Product.allCases {
            stock[product] = (stock[product] ?? 0) - (books.soldByProduct[product] ?? 0)
        }
        seller.stock = stock.filter { $0.value != 0 }
        if config.role == .buyer {
            log("restored: \(books.requests.count) requests recorded, \(buyer.completed) done, next \(RequestID(buyer: id, seq: buyer.nextSeq))"
                + (buyer.inFlight.isEmpty ? "" : ", \(buyer.inFlight.map { "\($0.id)" }.joined(separator: ", ")) pending"))
        }
    }
}
