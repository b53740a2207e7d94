import MarketCore
import MarketSimulation
import MarketStore
import XCTest

/// An election that ended without a claim leaves nothing behind for the next one.
extension StoreContract {
    /// P0 took the trader of epoch 1 for gone and noted an election; the trader answered and
    /// P0 followed it again (no claim). Later the trader really goes silent, P1 notices and
    /// P6 wins epoch 2 through Bully's cascade. Epoch 2's row must start at P1's note, name P1 and
    /// P1's reason, not P0's older note.
    func anAbandonedElectionLendsNothingToTheNext() throws {
        let store = try trading(epoch: 1)
        XCTAssertEqual(try store.noteElectionStarted(by: 0, reason: .requestTimeout, knownEpoch: 1), .noted)
        XCTAssertEqual(try store.noteElectionAbandoned(by: 0), .noted)
        try expectElectionInProgress(store, false, initiator: nil)

        let before = Timestamp.now()
        XCTAssertEqual(try store.noteElectionStarted(by: 1, reason: .heartbeatTimeout, knownEpoch: 1), .noted)
        // A peer coalesced into P1's note gives up its own election: P1's note stays.
        XCTAssertEqual(try store.noteElectionStarted(by: 2, reason: .heartbeatTimeout, knownEpoch: 1), .noted)
        XCTAssertEqual(try store.noteElectionAbandoned(by: 2), .noted)
        try expectElectionInProgress(store, true, initiator: 1)

        let claim = ElectionClaim(epoch: 2, leader: 6, initiator: 5, reason: .bully)
        XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
        try expectElectionInProgress(store, false, initiator: nil)
        guard let sql = store as? SQLiteStore else { return }
        let row = try XCTUnwrap(try sql.database.inspect(runID: sql.runID).elections.first { $0.epoch == 2 })
        XCTAssertEqual(row.initiator, 1, "P0's abandoned note is not the start of epoch 2's election")
        XCTAssertEqual(row.reason, ElectionReason.heartbeatTimeout.rawValue)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(row.startedAt), before, "started at P1's note, not P0's")
    }

    private func expectElectionInProgress(_ store: any TradingPostStore, _ expected: Bool, initiator: PeerID?,
                                          file: StaticString = #filePath, line: UInt = #line) throws {
        if let memory = store as? InMemoryStore {
            XCTAssertEqual(memory.electionInProgress, expected, file: file, line: line)
            XCTAssertEqual(memory.electionInitiator, initiator, file: file, line: line)
        } else if let sql = store as? SQLiteStore {
            let leader = try sql.database.inspect(runID: sql.runID).leader
            XCTAssertEqual(leader.electionInProgress, expected, file: file, line: line)
            XCTAssertEqual(leader.electionInitiator, initiator, file: file, line: line)
        }
    }
}
