import MarketTestKit
import XCTest
@testable import MarketCore

/// An election that ends without a claim tells the store, so that its note (start, initiator,
/// reason) does not become the start of the next election's `elections` row.
final class AbandonedElectionTests: BullyTestCase {
    /// P1 takes the trader for gone; the trader was only slow and answers with the epoch it
    /// still holds. No claim ends P1's election, so P1 itself says it gave it up.
    func testAPeerThatFollowsTheTraderItTookForGoneGivesUpItsNote() {
        let p = PeerHarness.follower(id: 1)
        p.fire(.heartbeat, at: p.timing.suspectAfter + .milliseconds(1))
        XCTAssertEqual(p.effects.electionNotes, [1])
        XCTAssertNotEqual(p.peer.electionPhase, .idle)

        p.receive(.coordinator(epoch: 1), from: 3, clock: 20)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.effects.abandonedElections, [1], "the note of an election nobody won is withdrawn")
        XCTAssertEqual(p.persists, [])
    }

    func testAPeerThatOnlyJoinedThroughTheCascadeHasNoNoteToGiveUp() {
        let p = PeerHarness.follower(id: 2)
        p.receive(.election, from: 1, clock: 10)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .bully, initiator: 1))
        p.receive(.coordinator(epoch: 1), from: 3, clock: 20)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.effects.abandonedElections, [], "its initiator noted the election, not it")
    }

    func testAPeerThatFellSickMidElectionGivesUpItsNoteBeforeItsRecoveryElection() {
        let p = PeerHarness.follower(id: 1)
        p.fire(.heartbeat, at: p.timing.suspectAfter + .milliseconds(1))
        p.command(.fallSick(.silent))
        p.command(.recover, at: .seconds(5))
        XCTAssertEqual(p.effects.abandonedElections, [1])
        XCTAssertEqual(p.effects.electionNotes, [1], "its recovery election is noted afresh")
        let order = p.effects.compactMap { effect -> String? in
            guard case .persist(let request) = effect else { return nil }
            if request.abandonedElection != nil { return "abandon" }
            return request.electionNote != nil ? "note" : nil
        }
        XCTAssertEqual(order, ["abandon", "note"], "withdrawn first, or the new note would be withdrawn")
    }

    func testAPeerRestartedAfterACrashGivesUpWhateverNoteItLeftBehind() {
        let p = PeerHarness(id: 1, peers: all)
        p.step(.restart)
        p.persisted(.books(PeerBooks(peer: 1)))
        XCTAssertEqual(p.effects.abandonedElections, [1])
        XCTAssertEqual(p.effects.electionNotes, [1])
    }
}
