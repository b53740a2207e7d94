import MarketTestKit
import XCTest
@testable import MarketCore

final class LamportClockTests: XCTestCase {
    // MARK: The clock alone

    func testStartsAtZeroOrTheGivenTime() {
        XCTAssertEqual(LamportClock().time, 0)
        XCTAssertEqual(LamportClock(time: 41).time, 41)
    }

    func testSendTicksAndStampsWithTheNewValue() {
        var clock = LamportClock()
        XCTAssertEqual(clock.tick(), 1)
        XCTAssertEqual(clock.tick(), 2)
        XCTAssertEqual(clock.time, 2)
    }

    func testReceiveJumpsToMaxPlusOne() {
        var clock = LamportClock(time: 3)
        clock.witness(10)
        XCTAssertEqual(clock.time, 11, "a stamp ahead of the clock: stamp + 1")
        clock.witness(2)
        XCTAssertEqual(clock.time, 12, "a stamp behind the clock: clock + 1")
        clock.witness(12)
        XCTAssertEqual(clock.time, 13, "an equal stamp: + 1")
    }

    func testAdvancePastAStoredStampWithoutAMessage() {
        var clock = LamportClock(time: 5)
        clock.advance(past: 9)
        XCTAssertEqual(clock.time, 10)
        clock.advance(past: 3)
        XCTAssertEqual(clock.time, 10, "never goes back, and does not tick for an older stamp")
        clock.advance(past: 10)
        XCTAssertEqual(clock.time, 11, "an equal stamp is not past it")
    }

    func testTheArithmeticSaturatesInsteadOfTrapping() {
        var clock = LamportClock(time: .max - 1)
        XCTAssertEqual(clock.tick(), .max)
        XCTAssertEqual(clock.tick(), .max, "no overflow trap")
        var receiver = LamportClock()
        receiver.witness(.max)
        XCTAssertEqual(receiver.time, .max)
        var restored = LamportClock()
        restored.advance(past: .max)
        XCTAssertEqual(restored.time, .max)
        XCTAssertEqual(restored.next, .max)
        XCTAssertTrue(OrderBook.isStable(OrderKey(lamport: .max, buyer: 0), lastSeen: [1: .max], others: [1]),
                      "a peer heard at the top stamp cannot precede a key there with a lower id")
    }

    func testATraderThatTakesOverAStoreAtTheTopStampGoesOn() {
        // The wire refuses such stamps (FrameAdmission); a store is the one way in.
        let t = PeerHarness.trader(takeover: Takeover(epoch: 1, maxLamport: .max))
        XCTAssertEqual(t.peer.clock.time, .max)
        XCTAssertTrue(t.sends.allSatisfy { $0.clock == .max })
        t.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(t.sends.count, 3)
    }

    // MARK: The clock on the wire, through the peer

    func testABroadcastIsOneSendEventWithOneStamp() {
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3])
        p.start()
        XCTAssertEqual(p.sends, [], "a peer that starts has nobody to tell yet")
        p.command(.startElection)
        XCTAssertEqual(p.sends.map(\.to), [3], "the highest peer is asked first")
        XCTAssertEqual(p.peer.clock.time, 1)
        // Silent: the ELECTION goes to every other higher peer, all with stamp 2.
        p.fire(.election, at: p.timing.electionTimeout)
        XCTAssertEqual(p.sends.map(\.to).sorted(), [1, 2])
        XCTAssertEqual(Set(p.sends.map(\.clock)), [2])
        XCTAssertEqual(p.peer.clock.time, 2)
        XCTAssertTrue(p.sends.allSatisfy { $0.from == 0 })
    }

    func testEverySendTicks() {
        // A plain follower answers an ELECTION with OK (one send) and starts its own election
        // (the highest peer asked first): two send events, two consecutive stamps.
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3])
        p.start()
        XCTAssertEqual(p.peer.clock.time, 0)
        p.receive(.election, from: 0, clock: 1)
        // receive: max(1, 1) + 1 = 2; OK stamped 3; ELECTION stamped 4.
        XCTAssertEqual(p.sent(to: 0), [.ok])
        XCTAssertEqual(p.sends.first { $0.message == .ok }?.clock, 3)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(Set(p.sends.filter { $0.message == .election }.map(\.clock)), [4])
        XCTAssertEqual(p.peer.clock.time, 4)
    }

    func testReceiveTakesMaxPlusOneThenTheNextSendIsHigher() {
        let p = PeerHarness(id: 0, peers: [0, 1])
        p.start()
        p.heartbeat(from: 1, clock: 10)
        XCTAssertEqual(p.peer.clock.time, 11)
        p.heartbeat(from: 1, clock: 4)
        XCTAssertEqual(p.peer.clock.time, 12, "an old stamp still counts as an event")
        p.command(.startElection)
        XCTAssertEqual(p.sends.first?.clock, 13)
    }

    func testEveryReceivedStampIsNotedPerSender() {
        let p = PeerHarness(id: 1, peers: [0, 1, 2])
        p.start()
        p.heartbeat(from: 0, clock: 10)
        p.heartbeat(from: 2, clock: 7)
        p.heartbeat(from: 0, clock: 4)
        XCTAssertEqual(p.peer.lastSeen, [0: 10, 2: 7], "the highest stamp seen from each peer")
    }

    func testAnEnvelopeForAnotherPeerIsIgnored() {
        let p = PeerHarness(id: 1, peers: [0, 1, 2])
        p.start()
        let effects = p.step(.receive(Envelope(from: 0, to: 2, clock: 50, message: .election)))
        XCTAssertEqual(effects.filter { if case .log = $0 { false } else { true } }, [])
        XCTAssertEqual(p.peer.rejectedFrames, 1)
        XCTAssertEqual(p.peer.clock.time, 0)
        XCTAssertEqual(p.peer.lastSeen, [:])
    }

    func testABuyRequestCarriesTheStampOfItsMulticast() {
        let p = PeerHarness.follower(id: 0, role: .buyer, requests: 1)
        let envelopes = p.sends.filter { if case .buy = $0.message { true } else { false } }
        XCTAssertEqual(envelopes.map(\.to).sorted(), [1, 2, 3], "multicast to every other peer")
        XCTAssertEqual(Set(envelopes.map(\.clock)).count, 1, "one stamp for the whole multicast")
        let stamp = envelopes[0].clock
        XCTAssertEqual(p.effects.buys.map(\.lamport), [stamp], "the request is stamped with the send's stamp")
        XCTAssertEqual(p.peer.clock.time, stamp)
        // start: heartbeat at 1; COORDINATOR stamped 5: clock 6; the buy ticks to 7.
        XCTAssertEqual(stamp, 7)
    }
}
