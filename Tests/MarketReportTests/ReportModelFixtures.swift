import MarketCore
import MarketReport
@testable import MarketStore

/// Small hand-made runs for the renderer's tests.
enum ReportFixtures {
    static func peer(_ id: PeerID, _ role: String, _ product: String, down: Bool = false) -> RunInspection.PeerRecord {
        RunInspection.PeerRecord(peer: id, role: role, product: product, downAtStart: down, pid: nil, bought: nil, sold: nil,
                                 cashCents: nil, finalClock: nil)
    }

    static func inspection(scenario: String = "unit", status: String = "completed",
                           peers: [RunInspection.PeerRecord], elections: [RunChronicle.Election] = []) -> RunInspection {
        let run = RunRecord(runID: 1, scenario: scenario, peerCount: peers.count, seed: 7, startedAt: "2026-01-01T00:00:00.000Z",
                            finishedAt: status == "running" ? nil : "2026-01-01T00:00:10.000Z", status: status, decided: 0,
                            trades: 0, pending: 0, elections: elections.count)
        return RunInspection(
            run: run, leader: .init(epoch: elections.count, leader: elections.last?.winner, electionInProgress: false, updatedAt: nil),
            elections: elections.map {
                .init(epoch: $0.epoch, initiator: $0.initiator, winner: $0.winner, reason: $0.reason, startedAt: nil, finishedAt: nil)
            },
            inventory: [.init(seller: 1, product: "salt", stock: 3, deposited: 10)], pendingCount: 0, pendingHead: [], bought: 0,
            failed: 0, undeliveredOutbox: 0, faults: 0, lastTrades: [], peers: peers,
            check: CheckReport(runID: 1, items: [.init(.decidedOnce, checked: 1, unit: "trades", violations: [])]))
    }

    static func election(_ epoch: Epoch, winner: PeerID, from: Double, to: Double, by initiator: PeerID = 0,
                         reason: String = "heartbeat timeout") -> RunChronicle.Election {
        RunChronicle.Election(epoch: epoch, initiator: initiator, winner: winner, reason: reason, startedMs: from, finishedMs: to)
    }

    static func request(_ index: Int, at: Double, wait: Double?, status: String = "bought", epochs: (Epoch, Epoch) = (1, 1)) -> RunChronicle.Request {
        RunChronicle.Request(id: "P0-\(index)", buyer: 0, status: wait == nil ? "pending" : status, epochReceived: epochs.0,
                             epochDecided: wait == nil ? nil : epochs.1, receivedMs: at, decidedMs: wait.map { at + $0 })
    }

    static func input(_ inspection: RunInspection, _ chronicle: RunChronicle) -> ReportInput {
        ReportInput(inspection: inspection, chronicle: chronicle, windowLabel: "election", databasePath: "unit.db",
                                 readAt: "2026-01-01T00:00:11.000Z")
    }
}
