import Foundation
import GRDB
import MarketCore

/// Decisions committed per second through `SQLiteStore.commitDecisions`, one decision per
/// transaction against batches, at each durability. Every decision is a sale: the request's
/// row, a trade, the stock, and two outbox rows, as a trader writes them.
public struct StoreBenchmark: Sendable {
    public struct Case: Hashable, Codable, Sendable {
        public var durability: String
        public var batchSize: Int
    }

    public struct Measurement: Hashable, Codable, Sendable {
        public var benchCase: Case
        public var decisions: Int
        /// Decisions per second of each repetition.
        public var rates: [Double]

        public var median: Double { rates.median() ?? 0 }

        /// Median time per transaction, in microseconds.
        public var microsecondsPerCommit: Double {
            median > 0 ? 1_000_000 / median * Double(benchCase.batchSize) : 0
        }
    }

    public var directory: String
    public var decisions: Int
    public var batchSizes: [Int]
    public var durabilities: [Durability]
    public var repeats: Int

    public init(directory: String, decisions: Int = 4096, batchSizes: [Int] = [1, 64, 256],
                durabilities: [Durability] = [.normal, .full], repeats: Int = 3) {
        self.directory = directory
        self.decisions = decisions
        self.batchSizes = batchSizes
        self.durabilities = durabilities
        self.repeats = repeats
    }

    public func run(progress: (Case, Int) -> Void = { _, _ in }) throws(StoreError) -> [Measurement] {
        var results: [Measurement] = []
        for durability in durabilities {
            for batchSize in batchSizes {
                let benchCase = Case(durability: durability.rawValue, batchSize: batchSize)
                var rates: [Double] = []
                for repetition in 0..<repeats {
                    progress(benchCase, repetition)
                    rates.append(try measure(durability: durability, batchSize: batchSize))
                }
                results.append(Measurement(benchCase: benchCase, decisions: decisions, rates: rates))
            }
        }
        return results
    }

    /// One timed pass on a fresh file: returns decisions per second.
    func measure(durability: Durability, batchSize: Int) throws(StoreError) -> Double {
        let path = (directory as NSString).appendingPathComponent("bench-store-\(getpid())-\(UUID().uuidString).db")
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let database = try MarketDatabase.open(path: path, durability: durability)
        let runID = try database.beginRun(scenario: "bench-store", peerCount: 3, seed: 0, peers: [
            PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
            PeerSpec(id: 2, role: .seller, product: .boar),
        ])
        let store = database.store(runID: runID)
        let trader = 2
        do {
            _ = try store.claimEpoch(ElectionClaim(epoch: 1, leader: trader, initiator: 0, reason: .startup))
            _ = try store.recordDeposit(Deposit(id: 1, seller: 1, product: .salt, quantity: decisions), epoch: 1)
        } catch {
            throw StoreError.wrap(error)
        }
        let requests = (0..<decisions).map {
            BuyRequest(id: RequestID(buyer: 0, seq: $0), product: .salt, quantity: 1, lamport: UInt64(2 * $0 + 1))
        }
        // The queue is filled in one transaction: only the decisions are timed.
        try database.write { db in
            let now = Timestamp.now()
            for request in requests {
                try db.execute(sql: """
                    INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
                    """, arguments: [runID, request.id.description, request.buyer, request.product.rawValue,
                                                  request.quantity, Int64(request.lamport), RequestStatus.pending, now])
            }
        }
        let batches = stride(from: 0, to: decisions, by: batchSize).map { start in
            DecisionBatch(epoch: 1, decisions: (start..<min(start + batchSize, decisions)).map { index in
                let request = requests[index]
                return Decision(request: request, outcome: .bought(Trade(
                    tradeID: index + 1, seller: 1, trader: trader, epoch: 1, product: .salt, quantity: 1,
                    priceCents: 100, commissionCents: 10)), seq: index + 1, epoch: 1)
            })
        }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            for batch in batches {
                guard case .committed = try store.commitDecisions(batch) else {
                    throw StoreError.sqlite("a benchmark batch was not committed")
                }
            }
        } catch {
            throw StoreError.wrap(error)
        }
        let elapsed = clock.now - started
        return Double(decisions) / elapsed.seconds
    }
}
