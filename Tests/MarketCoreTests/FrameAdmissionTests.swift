import MarketTestKit
import XCTest
@testable import MarketCore

/// Frames no honest peer of the run could send are dropped before they touch any state.
final class FrameAdmissionTests: XCTestCase {
    let config = PeerConfig(id: 3, peers: [0, 1, 2, 3], role: .seller, product: .boar, quantity: 1,
                            initialStock: 100, restock: 50, priceCents: 100, commissionPercent: 10)

    func rejection(_ message: Message, from: PeerID = 0, to: PeerID = 3, clock: UInt64 = 10) -> FrameRejection? {
        Envelope(from: from, to: to, clock: clock, message: message).rejection(by: config)
    }

    func trade(quantity: Int = 1, price: Int = 100, commission: Int = 10, seller: PeerID = 3) -> Trade {
        Trade(tradeID: 1, seller: seller, trader: 2, epoch: 1, product: .salt, quantity: quantity,
              priceCents: price, commissionCents: commission)
    }

    func test_honestFramesPass() {
        XCTAssertNil(rejection(.election))
        XCTAssertNil(rejection(.coordinator(epoch: 7), from: 2))
        XCTAssertNil(rejection(.heartbeat(epoch: 2, leader: 2)))
        XCTAssertNil(rejection(.buy(BuyRequest(id: RequestID(buyer: 0, seq: 4), product: .salt, quantity: 1, lamport: 9))))
        XCTAssertNil(rejection(.deposit(Deposit(id: Deposit.makeID(seller: 1, seq: 0), seller: 1, product: .salt, quantity: 100)),
                               from: 1))
        XCTAssertNil(rejection(.deposit(Deposit(id: Deposit.makeID(seller: 1, seq: 1), seller: 1, product: .fish, quantity: 50)),
                               from: 1))
        XCTAssertNil(rejection(.payout(RequestID(buyer: 0, seq: 0), trade()), from: 2))
        XCTAssertNil(rejection(.ack(RequestID(buyer: 1, seq: 3)), from: 1))
    }

    func test_aStrangerIsNotBelieved() {
        XCTAssertEqual(rejection(.coordinator(epoch: 1_000_000_000_000), from: 999), .unknownPeer(999))
        XCTAssertEqual(rejection(.coordinator(epoch: 1_000_000_000_000), from: 2), .epochOutOfRange(1_000_000_000_000))
        XCTAssertEqual(rejection(.heartbeat(epoch: 1, leader: 999)), .unknownPeer(999))
        XCTAssertEqual(rejection(.election, from: 3), .fromItself)
        XCTAssertEqual(rejection(.election, to: 2), .notForThisPeer(2))
    }

    func test_depositsAreTheSellersOwnAndOfTheScenariosSize() {
        func deposit(seller: PeerID, quantity: Int) -> Message {
            .deposit(Deposit(id: Deposit.makeID(seller: seller, seq: 0), seller: seller, product: .salt, quantity: quantity))
        }
        XCTAssertEqual(rejection(deposit(seller: 999, quantity: 100), from: 1), .wrongParty("a deposit for P999 sent by P1"))
        XCTAssertEqual(rejection(deposit(seller: 1, quantity: 1 << 62), from: 1), .numberOutOfRange("deposit of \(1 << 62)"))
        XCTAssertEqual(rejection(deposit(seller: 1, quantity: -500), from: 1), .numberOutOfRange("deposit of -500"))
    }

    func test_aBuyIsTheSendersOwnAndOfTheScenariosQuantity() {
        let forged = BuyRequest(id: RequestID(buyer: 1, seq: 0), product: .salt, quantity: 5000, lamport: 1)
        XCTAssertEqual(rejection(.buy(forged), from: 0), .wrongParty("a buy for P1 sent by P0"))
        let negative = BuyRequest(id: RequestID(buyer: 0, seq: 0), product: .salt, quantity: -50, lamport: 1)
        XCTAssertEqual(rejection(.buy(negative)), .numberOutOfRange("quantity -50"))
        let future = BuyRequest(id: RequestID(buyer: 0, seq: 0), product: .salt, quantity: 1, lamport: 11)
        XCTAssertEqual(rejection(.buy(future), clock: 10), .stampOutOfRange(11))
    }

    func test_tradesCarryTheScenariosPrices() {
        XCTAssertEqual(rejection(.payout(RequestID(buyer: 0, seq: 0), trade(price: 9_000_000_000_000_000_000)), from: 2),
                       .numberOutOfRange("trade of 1 for 9000000000000000000 cents"))
        XCTAssertEqual(rejection(.payout(RequestID(buyer: 0, seq: 0), trade(commission: -5)), from: 2), .numberOutOfRange("trade of 1 for 100 cents"))
        XCTAssertEqual(rejection(.payout(RequestID(buyer: 0, seq: 0), trade(seller: 1)), from: 2), .wrongParty("a payout of P1 sent to P3"))
        XCTAssertEqual(rejection(.buyResult(RequestID(buyer: 1, seq: 0), .bought(trade())), from: 2),
                       .wrongParty("a result of P1's request sent to P3"))
    }

    func test_negativeIdsAndOversizedConfirmations_areRefused() {
        XCTAssertEqual(rejection(.payout(RequestID(buyer: 0, seq: -1), trade()), from: 2), .numberOutOfRange("request number -1"))
        XCTAssertEqual(rejection(.buyResult(RequestID(buyer: 3, seq: -1), .failed(.noSeller)), from: 2), .numberOutOfRange("request number -1"))
        var negativeTrade = trade()
        negativeTrade.tradeID = -7
        XCTAssertEqual(rejection(.payout(RequestID(buyer: 0, seq: 0), negativeTrade), from: 2), .numberOutOfRange("trade -7"))
        let many = (0...WireLimits.maxDeliveredIDs).map { RequestID(buyer: 0, seq: $0) }
        XCTAssertEqual(rejection(.delivered(many), from: 2), .numberOutOfRange("\(many.count) confirmations"))
        XCTAssertNil(rejection(.delivered(Array(many.dropLast())), from: 2))
    }

    func test_aStampNearTheTopOfTheClockIsDropped_andThePeerDoesNotTrap() {
        var peer = Peer(config: config)
        _ = peer.step(.start, now: .zero)
        let before = peer.clock.time
        let effects = peer.step(.receive(Envelope(from: 0, to: 3, clock: .max, message: .election)), now: .zero)
        XCTAssertEqual(peer.rejectedFrames, 1)
        XCTAssertEqual(peer.clock.time, before)
        XCTAssertFalse(effects.contains { if case .send = $0 { true } else { false } })
    }
}
