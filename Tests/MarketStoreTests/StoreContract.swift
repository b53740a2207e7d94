import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// The store contract of `TradingPostStore`, written once and run against every store.
/// `make` returns a fresh store of a fresh run: epoch 0, no leader, nothing recorded.
struct StoreContract {
    let make: () throws -> any TradingPostStore
    /// Moves the store's clock on, for a store whose clock is not the wall's (the in-memory
    /// store, in virtual time); nil: the store reads a real clock, and a test waits on it.
    var passTime: ((any TradingPostStore, Duration) -> Void)? = nil

    // MARK: Fixtures

    static let trader = 6
    static let seller = 1
    static let otherSeller = 2

    static func claim(_ epoch: Epoch, _ leader: PeerID = trader) -> ElectionClaim {
        ElectionClaim(epoch: epoch, leader: leader, initiator: 0, reason: .startup)
    }

    static func bought(_ request: BuyRequest, seq: Int, epoch: Epoch, seller: PeerID = seller, trader: PeerID = trader) -> Decision {
        let price = 100 * request.quantity
        return Decision(request: request, outcome: .bought(Trade(
            tradeID: seq, seller: seller, trader: trader, epoch: epoch, product: request.product,
            quantity: request.quantity, priceCents: price, commissionCents: price / 10)), seq: seq, epoch: epoch)
    }

    static func failed(_ request: BuyRequest, seq: Int, epoch: Epoch) -> Decision {
        Decision(request: request, outcome: .failed(.noSeller), seq: seq, epoch: epoch)
    }

    /// A store whose trader holds `epoch`, with `salt` deposited by the seller.
    func trading(epoch: Epoch = 1, salt: Int = 10) throws -> any TradingPostStore {
        let store = try make()
        for e in 1...epoch {
            XCTAssertEqual(try store.claimEpoch(Self.claim(e)), .claimed(Self.claim(e)))
        }
        if salt > 0 {
            _ = try store.recordDeposit(Deposit(id: Deposit.makeID(seller: Self.seller, seq: 0), seller: Self.seller,
                                                product: .salt, quantity: salt), epoch: epoch)
        }
        return store
    }

    /// Queues buys in epoch 1, the way a trader does before it decides them.
    func enqueue(_ requests: [BuyRequest], in store: any TradingPostStore) throws {
        for request in requests { _ = try store.enqueue(request, epoch: 1) }
    }

    func takeover(_ store: any TradingPostStore, epoch: Epoch, file: StaticString = #filePath, line: UInt = #line) throws -> Takeover {
        guard case .takeover(let takeover) = try store.loadTakeover(epoch: epoch) else {
            XCTFail("no takeover for epoch \(epoch)", file: file, line: line)
            return Takeover(epoch: epoch)
        }
        return takeover
    }

    func books(_ store: any TradingPostStore, _ peer: PeerID) throws -> PeerBooks {
        guard case .books(let books) = try store.loadBooks(peer: peer) else {
            XCTFail("no books for P\(peer)")
            return PeerBooks(peer: peer)
        }
        return books
    }

    // MARK: Claims

    func claimOnlyFromThePreviousEpoch() throws {
        let store = try make()
        XCTAssertEqual(try store.claimEpoch(Self.claim(2)), .claimRefused(current: 0), "epoch 2 skips epoch 1")
        XCTAssertEqual(try store.claimEpoch(Self.claim(1, 5)), .claimed(Self.claim(1, 5)))
        XCTAssertEqual(try store.claimEpoch(Self.claim(1, 6)), .claimRefused(current: 1), "epoch 1 is taken")
        XCTAssertEqual(try store.claimEpoch(Self.claim(3, 6)), .claimRefused(current: 1))
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 6)), .claimed(Self.claim(2, 6)))
        XCTAssertEqual(try store.claimEpoch(Self.claim(0, 6)), .claimRefused(current: 2))
    }

    // MARK: Enqueue

    func enqueueIsIdempotentWhilePending() throws {
        let store = try trading()
        let first = request(0, 0, 5)
        XCTAssertEqual(try store.enqueue(first, epoch: 1), .enqueued(first))
        var retry = first
        retry.lamport = 9
        XCTAssertEqual(try store.enqueue(retry, epoch: 1), .alreadyPending(first), "the stored stamp counts")
        XCTAssertEqual(try takeover(store, epoch: 1).pending, [first])
    }

    func enqueueOfADecidedRequestReturnsTheDecision() throws {
        let store = try trading()
        let sold = request(0, 0, 5)
        let refused = request(3, 0, 6, .fish)
        try enqueue([sold, refused], in: store)
        let decisions = [Self.bought(sold, seq: 1, epoch: 1), Self.failed(refused, seq: 2, epoch: 1)]
        XCTAssertEqual(try store.commitDecisions(DecisionBatch(epoch: 1, decisions: decisions)),
                       .committed(DecisionBatch(epoch: 1, decisions: decisions)))
        var retry = sold
        retry.lamport = 40
        XCTAssertEqual(try store.enqueue(retry, epoch: 1), .alreadyDecided(decisions[0]))
        XCTAssertEqual(try store.enqueue(refused, epoch: 1), .alreadyDecided(decisions[1]))
        // A later trader answers the same.
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))
        XCTAssertEqual(try store.enqueue(retry, epoch: 2), .alreadyDecided(decisions[0]))
        XCTAssertEqual(try takeover(store, epoch: 2).pending, [])
    }

    // MARK: Deposits

    func depositsAreIdempotent() throws {
        let store = try trading(salt: 0)
        let deposit = Deposit(id: Deposit.makeID(seller: 2, seq: 0), seller: 2, product: .boar, quantity: 7)
        XCTAssertEqual(try store.recordDeposit(deposit, epoch: 1), .depositRecorded(deposit, duplicate: false))
        XCTAssertEqual(try store.recordDeposit(deposit, epoch: 1), .depositRecorded(deposit, duplicate: true))
        let later = Deposit(id: Deposit.makeID(seller: 1, seq: 0), seller: 1, product: .salt, quantity: 3)
        _ = try store.recordDeposit(later, epoch: 1)
        XCTAssertEqual(try takeover(store, epoch: 1).deposits, [deposit, later], "each once, in acceptance order")
    }

    // MARK: Fencing

    func deposedWritersWriteNothing() throws {
        let store = try trading()
        let early = request(0, 0, 3)
        _ = try store.enqueue(early, epoch: 1)
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))

        let late = request(3, 0, 4)
        XCTAssertEqual(try store.enqueue(late, epoch: 1), .deposed(current: 2))
        let deposit = Deposit(id: Deposit.makeID(seller: 2, seq: 0), seller: 2, product: .boar, quantity: 5)
        XCTAssertEqual(try store.recordDeposit(deposit, epoch: 1), .deposed(current: 2))
        let batch = DecisionBatch(epoch: 1, decisions: [Self.bought(early, seq: 1, epoch: 1)])
        XCTAssertEqual(try store.commitDecisions(batch), .deposed(current: 2))
        XCTAssertEqual(try store.loadTakeover(epoch: 1), .deposed(current: 2))

        let now = try takeover(store, epoch: 2)
        XCTAssertEqual(now.pending, [early], "the deposed trader's decision did not land")
        XCTAssertEqual(now.deposits.map(\.id), [Deposit.makeID(seller: Self.seller, seq: 0)])
        XCTAssertEqual(now.sold, [:])
        XCTAssertEqual(now.outbox, [])
        XCTAssertEqual(now.lastDecisionSeq, 0)
        XCTAssertEqual(try books(store, 0).ledger, Ledger())
        XCTAssertEqual(try books(store, 3).requests, [])
    }

    // MARK: Batches

    func aBatchCommitsWhole() throws {
        let store = try trading()
        let requests = [request(0, 0, 5), request(3, 0, 5), request(0, 1, 8, .boar)]
        try enqueue(requests, in: store)
        let decisions = [
            Self.bought(requests[0], seq: 1, epoch: 1), Self.bought(requests[1], seq: 2, epoch: 1),
            Self.failed(requests[2], seq: 3, epoch: 1),
        ]
        let batch = DecisionBatch(epoch: 1, decisions: decisions)
        XCTAssertEqual(try store.commitDecisions(batch), .committed(batch))
        let after = try takeover(store, epoch: 1)
        XCTAssertEqual(after.pending, [])
        XCTAssertEqual(after.lastDecisionSeq, 3)
        XCTAssertEqual(after.sold, [SellerProduct(seller: Self.seller, product: .salt): 2])
        XCTAssertEqual(Set(after.outbox), Set(decisions.flatMap(OutboxItem.items(for:))))
        XCTAssertEqual(after.outbox.count, 5, "a result per request, a payout per trade")
        XCTAssertEqual(after.maxLamport, 8)
    }

    // MARK: Refusals are whole

    /// Why `body` was refused, whichever store refused it (the SQLite store wraps the refusal
    /// in its own error); nil, with a failure, when it was not refused.
    func refusal(of body: () throws -> StoreResult, file: StaticString = #filePath, line: UInt = #line) -> BatchRefusal? {
        do {
            let result = try body()
            XCTFail("not refused: \(result)", file: file, line: line)
        } catch let refusal as BatchRefusal {
            return refusal
        } catch StoreError.refused(let refusal) {
            return refusal
        } catch {
            XCTFail("refused for another reason: \(error)", file: file, line: line)
        }
        return nil
    }

    func aBatchNamingARequestTwiceIsRefusedWhole() throws {
        let store = try trading()
        let a = request(0, 0, 1)
        let b = request(3, 0, 2)
        try enqueue([a, b], in: store)
        // Twice in one batch, first with a trade: the second must not read the first as an
        // earlier decision.
        let twice = DecisionBatch(epoch: 1, decisions: [
            Self.bought(a, seq: 1, epoch: 1), Self.bought(b, seq: 2, epoch: 1), Self.failed(a, seq: 3, epoch: 1),
        ])
        XCTAssertEqual(refusal { try store.commitDecisions(twice) }, .namedTwice(a.id))
        let after = try takeover(store, epoch: 1)
        XCTAssertEqual(after.pending, [a, b], "nothing of the refused batch landed")
        XCTAssertEqual(after.sold, [:])
        XCTAssertEqual(after.outbox, [])
        XCTAssertEqual(after.lastDecisionSeq, 0)
    }

    func aBatchSellingGoodsNotHeldIsRefusedWhole() throws {
        let store = try trading(salt: 2)
        let requests = [0, 3, 4].map { request($0, 0, UInt64($0 + 1)) }
        try enqueue(requests, in: store)
        let batch = DecisionBatch(epoch: 1, decisions: requests.enumerated().map {
            Self.bought($1, seq: $0 + 1, epoch: 1)
        })
        XCTAssertEqual(refusal { try store.commitDecisions(batch) },
                       .insufficientStock(seller: Self.seller, product: .salt, quantity: 1))
        let after = try takeover(store, epoch: 1)
        XCTAssertEqual(after.pending, requests, "the first two sales, which the stock held, did not land either")
        XCTAssertEqual(after.sold, [:])
        // The stock is untouched: both units still sell.
        let two = DecisionBatch(epoch: 1, decisions: [Self.bought(requests[0], seq: 1, epoch: 1), Self.bought(requests[1], seq: 2, epoch: 1)])
        XCTAssertEqual(try store.commitDecisions(two), .committed(two))
    }

    /// Issue 13, item 3: a new trader's batch names a request an earlier trader decided (a
    /// first copy of a multicast that reached it late). The store answers it with the
    /// recorded decision and writes the rest of the batch in the same transaction.
    func aBatchWithARequestDecidedBeforeIsAnsweredAndTheRestWritten() throws {
        let store = try trading(salt: 2)
        let early = request(0, 0, 1)
        let pending = request(3, 0, 2)
        try enqueue([early, pending], in: store)
        let recorded = Self.bought(early, seq: 1, epoch: 1)
        _ = try store.commitDecisions(DecisionBatch(epoch: 1, decisions: [recorded]))
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))

        // The new trader decides `early` again (a different outcome, stamp and seq), between
        // two requests it may decide: one pending, one first attempt never recorded.
        let fresh = request(4, 0, 9)
        var copy = early
        copy.lamport = 3
        let batch = DecisionBatch(epoch: 2, decisions: [
            Self.bought(pending, seq: 2, epoch: 2, trader: 5), Self.bought(copy, seq: 3, epoch: 2, trader: 5),
            Self.failed(fresh, seq: 4, epoch: 2),
        ], delivered: [DeliveryKey(requestID: early.id, recipient: 0)])
        XCTAssertEqual(try store.commitDecisions(batch), .committed(batch, alreadyDecided: [recorded]))

        let after = try takeover(store, epoch: 2)
        XCTAssertEqual(after.pending, [])
        XCTAssertEqual(after.sold, [SellerProduct(seller: Self.seller, product: .salt): 2],
                       "one unit for the recorded sale, one for the pending request; none for the copy")
        XCTAssertEqual(after.lastDecisionSeq, 4)
        let expectedOutbox = OutboxItem.items(for: recorded).filter { $0.recipient != 0 }
            + OutboxItem.items(for: batch.decisions[0]) + OutboxItem.items(for: batch.decisions[2])
        XCTAssertEqual(Set(after.outbox), Set(expectedOutbox), "the delivery confirmed in the batch is forgotten")
        XCTAssertEqual(try books(store, 0).ledger, Ledger.books(of: [recorded])[0], "the buyer paid once")
        XCTAssertEqual(try store.enqueue(copy, epoch: 2), .alreadyDecided(recorded), "the record is the first decision")

        // A batch whose every request was decided before writes none: the next decision
        // still follows the last one written.
        let again = DecisionBatch(epoch: 2, decisions: [Self.failed(copy, seq: 5, epoch: 2)])
        XCTAssertEqual(try store.commitDecisions(again), .committed(again, alreadyDecided: [recorded]))
        XCTAssertEqual(try takeover(store, epoch: 2).lastDecisionSeq, 4)

        // The fence still holds: a deposed trader's batch naming a decided request writes nothing.
        XCTAssertEqual(try store.claimEpoch(Self.claim(3, 6)), .claimed(Self.claim(3, 6)))
        let late = DecisionBatch(epoch: 2, decisions: [Self.failed(copy, seq: 5, epoch: 2)])
        XCTAssertEqual(try store.commitDecisions(late), .deposed(current: 3))
    }

    // MARK: Takeover

    func takeoverLoadsPendingInLamportOrderAndTheOutbox() throws {
        let store = try trading()
        let a = request(3, 0, 7)
        let b = request(0, 0, 7)
        let c = request(5, 0, 2)
        let d = request(4, 0, 12)
        try enqueue([a, b, c, d], in: store)
        let first = Self.bought(c, seq: 1, epoch: 1)
        _ = try store.commitDecisions(DecisionBatch(epoch: 1, decisions: [first]))
        // The trader falls sick; another takes over.
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))
        let taken = try takeover(store, epoch: 2)
        XCTAssertEqual(taken.epoch, 2)
        XCTAssertEqual(taken.pending, [b, a, d], "(lamport_ts, buyer_id) order")
        XCTAssertEqual(Set(taken.outbox), Set(OutboxItem.items(for: first)))
        XCTAssertEqual(taken.lastDecisionSeq, 1)
        XCTAssertEqual(taken.maxLamport, 12)
        XCTAssertEqual(taken.sold, [SellerProduct(seller: Self.seller, product: .salt): 1])
        XCTAssertEqual(taken.deposits.map(\.quantity), [10])

        // The new trader goes on from there.
        let next = Self.bought(b, seq: 2, epoch: 2, trader: 5)
        XCTAssertEqual(try store.commitDecisions(DecisionBatch(epoch: 2, decisions: [next])),
                       .committed(DecisionBatch(epoch: 2, decisions: [next])))
        let again = try takeover(store, epoch: 2)
        XCTAssertEqual(again.pending, [a, d])
        XCTAssertEqual(again.lastDecisionSeq, 2)
    }

    func markDeliveredForgetsConfirmedItems() throws {
        let store = try trading()
        let a = request(0, 0, 1)
        let b = request(3, 0, 2)
        try enqueue([a, b], in: store)
        let first = Self.bought(a, seq: 1, epoch: 1)
        _ = try store.commitDecisions(DecisionBatch(epoch: 1, decisions: [first]))
        let buyerKey = DeliveryKey(requestID: a.id, recipient: 0)
        let sellerKey = DeliveryKey(requestID: a.id, recipient: Self.seller)
        XCTAssertEqual(try store.markDelivered([buyerKey]), .markedDelivered([buyerKey]))
        XCTAssertEqual(try takeover(store, epoch: 1).outbox.map(\.key), [sellerKey])

        // Confirmations ride along with the next batch.
        let second = Self.failed(b, seq: 2, epoch: 1)
        _ = try store.commitDecisions(DecisionBatch(epoch: 1, decisions: [second], delivered: [sellerKey]))
        XCTAssertEqual(try takeover(store, epoch: 1).outbox.map(\.key), [DeliveryKey(requestID: b.id, recipient: 3)])

        // Not fenced: a confirmation is true whoever reports it.
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))
        let last = DeliveryKey(requestID: b.id, recipient: 3)
        XCTAssertEqual(try store.markDelivered([last]), .markedDelivered([last]))
        XCTAssertEqual(try takeover(store, epoch: 2).outbox, [])
    }
}
