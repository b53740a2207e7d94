import MarketTestKit
import XCTest
@testable import MarketCore

/// The buyers the trader waits for, as recorded views: view 0 with the epoch's first batch, a
/// new view in the batch decided after a buyer fell silent or was heard from again. P3 trades
/// for P0, P1 and P2 (every other peer may buy here); each is heard at 0 ms; the suspect time
/// is 800 ms.
final class ViewChangeTests: TraderTestCase {
    func testViewZeroGoesWithTheEpochsFirstBatchAndOnlyThat() {
        let t = trader()
        let first = decide(t, request(0, 0, 6))
        XCTAssertEqual(first?.views, [ViewChange(epoch: 1, view: 0, trader: 3, members: [0, 1, 2], firstSeq: 1)])
        t.persisted(.committed(first!))
        let second = decide(t, request(1, 0, 30))
        XCTAssertEqual(second?.views, [], "nobody changed: the view stands")
    }

    func testASilentBuyerIsDroppedAndReadmittedWhenHeardFromAgain() {
        let t = trader()
        // At 900 ms P0 has been silent past the suspect time; P1 and P2 speak.
        let decided = request(1, 0, 20)
        t.receive(.buy(decided), from: 1, clock: 20, at: .ms(900))
        t.heartbeat(from: 2, clock: 25)
        t.persisted(.enqueued(decided))
        let dropped = t.effects.commits.first
        XCTAssertEqual(dropped?.decisions.map(\.request), [decided])
        XCTAssertEqual(dropped?.views, [
            ViewChange(epoch: 1, view: 0, trader: 3, members: [0, 1, 2], firstSeq: 1),
            ViewChange(epoch: 1, view: 1, trader: 3, members: [1, 2], dropped: [0], firstSeq: 1),
        ], "view 0 as it took over, view 1 without P0, written before the decision made in it")
        t.persisted(.committed(dropped!))

        // P0 is back with a request stamped while it was out, below (20, P1): stamped again.
        t.receive(.buy(request(0, 0, 5)), from: 0, clock: 5)
        XCTAssertEqual(t.sends.map(\.message), [.restamp(RequestID(buyer: 0, seq: 0))])
        let again = request(0, 0, 40)
        t.receive(.buy(again), from: 0, clock: 40)
        t.persisted(.enqueued(again))
        everyoneSpeaks(t, clock: 50, except: [0])
        let readmitted = t.effects.commits.first
        XCTAssertEqual(readmitted?.decisions.map(\.request), [again])
        XCTAssertEqual(readmitted?.views, [
            ViewChange(epoch: 1, view: 2, trader: 3, members: [0, 1, 2], readmitted: [0], firstSeq: 2),
        ])
    }

    func testAViewNobodyDecidedInLeavesNoRow() {
        let t = trader()
        // P0 is silent past the suspect time at 900 ms and heard from again at 1000 ms, before
        // anything is decided: no decision was made without it, so the first batch records
        // view 0 alone.
        t.heartbeat(from: 1, clock: 3, at: .ms(900))
        t.heartbeat(from: 2, clock: 3)
        XCTAssertEqual(t.peer.viewMembers, [1, 2])
        t.heartbeat(from: 0, clock: 4, at: .ms(1000))
        let batch = decide(t, request(1, 0, 6))
        XCTAssertEqual(batch?.views, [ViewChange(epoch: 1, view: 0, trader: 3, members: [0, 1, 2], firstSeq: 1)])
    }
}

/// The invariant library's side: views as their rows say, and Lamport order per view.
final class RecordedViewsTests: XCTestCase {
    private func view(_ number: Int, _ members: [PeerID], dropped: [PeerID] = [], readmitted: [PeerID] = [],
                      from seq: Int, epoch: Epoch = 1) -> ViewChange {
        ViewChange(epoch: epoch, view: number, trader: 3, members: members, dropped: dropped, readmitted: readmitted, firstSeq: seq)
    }

    func testViewsThatFollowFromOneAnotherPass() {
        var views = RecordedViews()
        XCTAssertEqual(views.admit(view(0, [0, 1, 2], from: 1)), [])
        XCTAssertEqual(views.admit(view(1, [1, 2], dropped: [0], from: 4)), [])
        XCTAssertEqual(views.admit(view(2, [0, 1], dropped: [2], readmitted: [0], from: 4)), [])
        XCTAssertEqual(views.admit(view(0, [0, 1], from: 9, epoch: 2)), [])
        XCTAssertEqual(views.view(of: 1, seq: 3), 0)
        XCTAssertEqual(views.view(of: 1, seq: 4), 2, "the latest view that began by then")
        XCTAssertEqual(views.view(of: 2, seq: 8), nil)
    }

    func testMembersOtherThanTheRowsSayAreCaught() {
        /// What admitting `next` after a view 0 of P0, P1, P2 finds.
        func after(_ next: ViewChange) -> [String] {
            var views = RecordedViews()
            XCTAssertEqual(views.admit(view(0, [0, 1, 2], from: 1)), [])
            let found = views.admit(next)
            XCTAssertTrue(found.allSatisfy { $0.kind == .views })
            return found.map(\.detail)
        }
        XCTAssertEqual(after(view(1, [1, 2, 3], dropped: [0], from: 2)).count, 2, "its own trader, and P3 from nowhere")
        XCTAssertEqual(after(view(1, [0, 1], dropped: [2, 5], from: 2)), ["epoch 1 view 1 drops P5, not members of view 0"])
        XCTAssertEqual(after(view(1, [0, 1, 2], readmitted: [1], from: 2)), [
            "epoch 1 view 1 readmits P1, members of view 0 already",
        ])
        XCTAssertEqual(after(view(1, [0, 1, 2], from: 2)), ["epoch 1 view 1 changes nothing from view 0"])
        XCTAssertEqual(after(view(2, [0, 1], dropped: [2], from: 2)), ["epoch 1 view 2 follows view 0"])
        XCTAssertEqual(after(view(1, [0, 1], dropped: [2], from: 0)), [
            "epoch 1 view 1 begins at decision 0, before view 0 did (1)",
        ])
        var fresh = RecordedViews()
        XCTAssertEqual(fresh.admit(view(1, [0], from: 1)).map(\.kind), [.views], "an epoch begins with view 0")
    }

    func testOrderIsCheckedWithinAViewAndAcrossItsBoundary() {
        var order = DecisionOrder()
        func stamp(_ seq: Int, buyer: PeerID, lamport: UInt64, view: Int) -> DecisionStamp {
            DecisionStamp(request: RequestID(buyer: buyer, seq: seq), key: OrderKey(lamport: lamport, buyer: buyer),
                          epoch: 1, seq: seq, view: view)
        }
        XCTAssertEqual(order.admit(stamp(1, buyer: 1, lamport: 20, view: 1)), [])
        let within = order.admit(stamp(2, buyer: 2, lamport: 10, view: 1))
        XCTAssertEqual(within.map(\.kind), [.lamportOrder])
        XCTAssertTrue(within.first?.detail.hasPrefix("epoch 1 view 1:") == true, within.first?.detail ?? "")
        let across = order.admit(stamp(3, buyer: 0, lamport: 5, view: 2))
        XCTAssertEqual(across.map(\.kind), [.lamportOrder], "a readmitted buyer's old stamp must be stamped again")
        XCTAssertTrue(across.first?.detail.contains("the first of view 2") == true, across.first?.detail ?? "")
    }
}
