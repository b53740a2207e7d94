import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// What migration 0012 records: a run's requests in flight a buyer, and the envelopes and
/// frames each peer wrote, summed for the run's figures.
final class PipeliningRecordTests: XCTestCase {
    private let peers = [PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
                         PeerSpec(id: 2, role: .buyer, product: .salt)]

    func testARunRecordsItsRequestsInFlight_oneUnlessSaid() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let plain = try database.beginRun(scenario: "plain", peerCount: 3, seed: 1, peers: peers)
        let pipelined = try database.beginRun(scenario: "pipelined", peerCount: 3, seed: 1, peers: peers, inFlight: 8)
        let recorded = try database.read { db in
            try Int.fetchAll(db, sql: "SELECT in_flight FROM runs WHERE run_id IN (?, ?) ORDER BY run_id", arguments: [plain, pipelined])
        }
        XCTAssertEqual(recorded, [1, 8])
    }

    func testWireCountsSumWhatThePeersThatStoppedRecorded() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let run = try database.beginRun(scenario: "wire", peerCount: 3, seed: 1, peers: peers)
        XCTAssertNil(try database.wireCounts(runID: run), "no peer stopped yet")
        try database.recordLedger(runID: run, peer: 0, ledger: Ledger(), finalClock: 9, wrote: (envelopes: 30, frames: 12))
        try database.recordLedger(runID: run, peer: 1, ledger: Ledger(), finalClock: 9, wrote: (envelopes: 5, frames: 5))
        try database.recordLedger(runID: run, peer: 2, ledger: Ledger(), finalClock: 9)
        XCTAssertEqual(try database.wireCounts(runID: run), WireCounts(envelopes: 35, frames: 17, peers: 2))
    }
}
