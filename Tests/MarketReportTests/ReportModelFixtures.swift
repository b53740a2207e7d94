import MarketCore
import MarketReport
@testable import MarketStore

/// Small hand-made runs for the renderer's tests.
enum ReportFixtures {
    static func peer(_ id: PeerID, _ role: Role, _ product: Product, down: Bool = false) -> PeerRecord {
        PeerRecord(peer: id, role: role, product: product, downAtStart: down)
    }

    /// The fixtures' runs start here; a chronicle's times count from it.
    static let start = Timestamp.parse("2026-01-01T00:00:00.000000Z")!

    static func time(_ ms: Double) -> String { Timestamp.format(microseconds: start + Int64((ms * 1000).rounded())) }

    static func inspection(scenario: String = "unit", status: RunStatus = .completed,
                           peers: [PeerRecord], elections: [RunChronicle.Election] = []) -> RunInspection {
        let run = RunRecord(runID: 1, scenario: scenario, peerCount: peers.count, seed: 7, startedAt: "2026-01-01T00:00:00.000Z",
                            finishedAt: status == .running ? nil : "2026-01-01T00:00:10.000Z", status: status, decided: 0,
                            trades: 0, pending: 0, elections: elections.count)
        return RunInspection(
            run: run, leader: .init(epoch: elections.count, leader: elections.last?.winner, electionInProgress: false, updatedAt: nil),
            elections: elections.map(\.record),
            inventory: [.init(seller: 1, product: "salt", stock: 3, deposited: 10)], pendingCount: 0, pendingHead: [], bought: 0,
            failed: 0, undeliveredOutbox: 0, faults: 0, lastTrades: [], peers: peers,
            check: CheckReport(runID: 1, items: [.init(.decidedOnce, checked: 1, unit: "trades", violations: [])]))
    }

    static func election(_ epoch: Epoch, winner: PeerID, from: Double, to: Double, by initiator: PeerID = 0,
                         reason: String = "heartbeat timeout") -> RunChronicle.Election {
        RunChronicle.Election(ElectionRecord(epoch: epoch, initiator: initiator, winner: winner, reason: reason,
                                             startedAt: time(from), finishedAt: time(to)), start: start)
    }

    static func request(_ index: Int, at: Double, wait: Double?, status: RequestStatus = .bought,
                        epochs: (Epoch, Epoch) = (1, 1), buyer: PeerID = 0, reason: String? = nil) -> RunChronicle.Request {
        RunChronicle.Request(RequestRecord(requestID: "P\(buyer)-\(index)", buyer: buyer, product: .salt, lamport: Int64(index),
                                           status: wait == nil ? .pending : status, reason: reason, epochReceived: epochs.0,
                                           epochDecided: wait == nil ? nil : epochs.1, receivedAt: time(at),
                                           decidedAt: wait.map { time(at + $0) }), start: start)
    }

    static func fault(_ peer: PeerID, _ kind: FaultKind, at: Double) -> RunChronicle.Fault {
        RunChronicle.Fault(FaultRecord(faultID: 0, peer: peer, kind: kind, at: time(at)), start: start)
    }

    static func message(_ id: Int64, _ kind: String, _ from: PeerID, _ to: PeerID, clocks: (Int64, Int64), at: Double) -> RunChronicle.Message {
        RunChronicle.Message(MessageRecord(msgID: id, kind: kind, fromID: from, toID: to, sendClock: clocks.0, recvClock: clocks.1,
                                           receivedAt: time(at)), start: start)
    }

    static func input(_ inspection: RunInspection, _ chronicle: RunChronicle) -> ReportInput {
        ReportInput(inspection: inspection, chronicle: chronicle, windowLabel: "election", databasePath: "unit.db",
                                 readAt: "2026-01-01T00:00:11.000Z")
    }
}
