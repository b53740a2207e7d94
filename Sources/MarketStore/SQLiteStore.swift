import Foundation
import MarketCore

/// The trading post's store, bound to one run: the core's `TradingPostStore`, on SQLite or
/// PostgreSQL alike (the name stays while other code still says it).
///
/// Every trader write runs in one transaction that first reads the `leader` row (SQLite: in an
/// IMMEDIATE transaction; PostgreSQL: locking the row, `FOR UPDATE`) and refuses with
/// `.deposed(current:)`, writing nothing, unless the caller's epoch is the stored one. A
/// transaction in another process cannot slip between the check and the writes.
public final class SQLiteStore: TradingPostStore, Sendable {
    public let database: MarketDatabase
    public let runID: Int64

    init(database: MarketDatabase, runID: Int64) {
        self.database = database
        self.runID = runID
    }

    // MARK: TradingPostStore

    /// Notes that an election is under way (`leader.election_in_progress = 1`); its start
    /// time becomes the `started_at` of the `elections` row the winner's claim writes.
    /// Not fenced: anyone may start an election; but a note from a peer behind the stored
    /// epoch is late news of an election a claim already ended, and changes nothing.
    public func noteElectionStarted(by peer: PeerID, reason: ElectionReason, knownEpoch: Epoch) throws -> StoreResult {
        try database.write { db in
            // The first note of an election wins: later ones are the same election.
            try db.execute(sql: """
                UPDATE leader SET election_in_progress = 1, election_started_at = coalesce(election_started_at, ?),
                    election_initiator_id = CASE WHEN election_started_at IS NULL THEN ? ELSE election_initiator_id END,
                    election_reason = CASE WHEN election_started_at IS NULL THEN ? ELSE election_reason END,
                    updated_at = ?
                WHERE run_id = ? AND epoch <= ?
                """, arguments: [Timestamp.now(), peer, reason.rawValue, Timestamp.now(), runID, knownEpoch])
            return .noted
        }
    }

    /// Clears the note only when it is `peer`'s own: a peer coalesced into another's note
    /// says nothing about that peer's election. Not fenced, and any epoch: the note is only
    /// ever this peer's latest, since its store requests are performed in the order it asks.
    public func noteElectionAbandoned(by peer: PeerID) throws -> StoreResult {
        try database.write { db in
            try db.execute(sql: """
                UPDATE leader SET election_in_progress = 0, election_started_at = NULL, election_initiator_id = NULL,
                    election_reason = NULL, updated_at = ?
                WHERE run_id = ? AND election_initiator_id = ?
                """, arguments: [Timestamp.now(), runID, peer])
            return .noted
        }
    }

    public func claimEpoch(_ claim: ElectionClaim) throws -> StoreResult {
        try database.write { db in
            let current = try epoch(db)
            guard current == claim.epoch - 1 else { return .claimRefused(current: current) }
            let now = Timestamp.now()
            let origin = try leader(db)
            let startedAt = origin.electionStartedAt ?? now
            // A winner that joined through Bully's cascade records why the election began.
            var initiator = claim.initiator
            var reason = claim.reason.rawValue
            if claim.reason == .bully || claim.reason == .startup, let first = origin.electionReason {
                reason = first
                initiator = origin.electionInitiator ?? initiator
            }
            try db.execute(sql: """
                UPDATE leader SET epoch = ?, leader_id = ?, election_in_progress = 0, election_started_at = NULL,
                    election_initiator_id = NULL, election_reason = NULL, lease_expires_at = NULL, updated_at = ?
                WHERE run_id = ?
                """, arguments: [claim.epoch, claim.leader, now, runID])
            try db.execute(sql: """
                INSERT INTO elections(run_id, epoch, initiator_id, winner_id, reason, started_at, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, claim.epoch, initiator, claim.leader, reason, startedAt, now])
            return .claimed(claim)
        }
    }

    public func loadTakeover(epoch: Epoch) throws -> StoreResult {
        try database.write { db in
            let current = try self.epoch(db)
            guard current == epoch else { return .deposed(current: current) }
            let pending = try RequestRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM requests WHERE run_id = ? AND status = ? ORDER BY lamport_ts, buyer_id, request_id
                """, arguments: [runID, RequestStatus.pending]).map(Self.request)
            let deposits = try DepositRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM deposits WHERE run_id = ? ORDER BY accept_seq
                """, arguments: [runID]).map(\.deposit)
            var sold: [SellerProduct: Int] = [:]
            for row in try db.rows(sql: """
                SELECT seller_id, product, sum(quantity) AS sold FROM trades WHERE run_id = ? GROUP BY seller_id, product
                """, arguments: [runID]) {
                let count: Int = try row.get("sold")
                sold[SellerProduct(seller: try row.get("seller_id"), product: try row.get("product"))] = count
            }
            let outbox = try db.rows(sql: """
                SELECT o.recipient_id, o.kind, q.* FROM outbox o
                JOIN requests q ON q.run_id = o.run_id AND q.request_id = o.request_id
                WHERE o.run_id = ? AND o.delivered = 0 ORDER BY o.decided_seq, o.kind = 'payout'
                """, arguments: [runID]).map { row in try outboxItem(db, row) }
            let lastSeq = try Int.fetchOne(
                db, sql: "SELECT max(decided_seq) FROM requests WHERE run_id = ?", arguments: [runID]) ?? 0
            let lastTrade = try Int.fetchOne(db, sql: "SELECT max(trade_id) FROM trades WHERE run_id = ?", arguments: [runID]) ?? 0
            let maxLamport = try Int64.fetchOne(
                db, sql: "SELECT max(lamport_ts) FROM requests WHERE run_id = ?", arguments: [runID]) ?? 0
            return .takeover(Takeover(
                epoch: epoch, pending: pending, deposits: deposits, sold: sold, outbox: outbox,
                lastDecisionSeq: max(lastSeq, lastTrade), maxLamport: UInt64(max(0, maxLamport))))
        }
    }

    public func enqueue(_ request: BuyRequest, epoch: Epoch) throws -> StoreResult {
        if database.engine == .postgresql { return try performOnServer(.enqueue(request, epoch: epoch)) }
        return try database.write { db in try enqueue(request, epoch: epoch, in: db) }
    }

    /// Several enqueues in one SQLite transaction, each as `enqueue` alone would do it (each
    /// sees the ones before it): a trader whose buyers pipeline enqueues many requests a turn,
    /// and a transaction each was most of its store time.
    func enqueueTogether(_ requests: [(BuyRequest, Epoch)]) throws -> [StoreResult] {
        try database.write { db in try requests.map { try enqueue($0.0, epoch: $0.1, in: db) } }
    }

    private func enqueue(_ request: BuyRequest, epoch: Epoch, in db: any SQLSession) throws -> StoreResult {
        let current = try self.epoch(db)
        guard current == epoch else { return .deposed(current: current) }
        if let row = try db.row(
            sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, request.id.description]) {
            let stored = try row.decode(RequestRecord.self)
            if stored.status == .pending { return .alreadyPending(try Self.request(stored)) }
            return .alreadyDecided(try decision(db, stored))
        }
        try db.execute(sql: """
            INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                runID, request.id.description, request.buyer, request.product, request.quantity,
                Int64(clamping: request.lamport), RequestStatus.pending, epoch, Timestamp.now(),
            ])
        return .enqueued(request)
    }

    public func recordDeposit(_ deposit: Deposit, epoch: Epoch) throws -> StoreResult {
        if database.engine == .postgresql { return try performOnServer(.recordDeposit(deposit, epoch: epoch)) }
        return try database.write { db in
            let current = try self.epoch(db)
            guard current == epoch else { return .deposed(current: current) }
            if let stored = try DepositRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM deposits WHERE run_id = ? AND deposit_id = ?
                """, arguments: [runID, deposit.id]).first {
                return .depositRecorded(stored.deposit, duplicate: true)
            }
            try db.execute(sql: """
                INSERT INTO deposits(run_id, deposit_id, seller_id, product, quantity, epoch, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, deposit.id, deposit.seller, deposit.product.rawValue, deposit.quantity, epoch, Timestamp.now()])
            // Qualified: PostgreSQL reads a bare `stock` here as either row's.
            try db.execute(sql: """
                INSERT INTO inventory(run_id, seller_id, product, stock, deposited) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(run_id, seller_id, product)
                DO UPDATE SET stock = inventory.stock + excluded.stock, deposited = inventory.deposited + excluded.deposited
                """, arguments: [runID, deposit.seller, deposit.product.rawValue, deposit.quantity, deposit.quantity])
            return .depositRecorded(deposit, duplicate: false)
        }
    }

    public func commitDecisions(_ batch: DecisionBatch) throws -> StoreResult {
        if database.engine == .postgresql { return try performOnServer(.commitDecisions(batch)) }
        return try database.write { db in
            let current = try epoch(db)
            guard current == batch.epoch else { return .deposed(current: current) }
            var named = Set<RequestID>()
            for decision in batch.decisions where !named.insert(decision.request.id).inserted {
                throw BatchRefusal.namedTwice(decision.request.id)
            }
            let now = Timestamp.now()
            // Ahead of the decisions made in them, in the same transaction.
            try recordViews(db, batch.views, at: now)
            var alreadyDecided: [Decision] = []
            let decide = """
                UPDATE requests SET status = ?, reason = ?, epoch_decided = ?, decided_seq = ?, decided_at = ?
                WHERE run_id = ? AND request_id = ? AND status = ?
                """
            let trade = """
                INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                                   price_cents, commission_cents, lamport_ts, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            let take = "UPDATE inventory SET stock = stock - ? WHERE run_id = ? AND seller_id = ? AND product = ? AND stock >= ?"
            let outbox = """
                INSERT INTO outbox(run_id, request_id, recipient_id, kind, created_at, decided_seq) VALUES (?, ?, ?, ?, ?, ?)
                """
            for decision in batch.decisions {
                let request = decision.request
                let requestID = request.id.description
                let status: RequestStatus
                let reason: String?
                switch decision.outcome {
                case .bought: (status, reason) = (.bought, nil)
                case .failed(let why): (status, reason) = (.failed, why.rawValue)
                }
                let decided = try db.execute(
                    sql: decide, arguments: [status, reason, decision.epoch, decision.seq, now, runID, requestID, RequestStatus.pending])
                if decided == 0 {
                    if let row = try db.row(sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, requestID]) {
                        // Not pending, so decided: by an earlier trader, whose commit landed
                        // before this trader's claim (`Peer.committed` says how). Its decision
                        // is the answer; the rest of the batch goes on.
                        alreadyDecided.append(try self.decision(db, try row.decode(RequestRecord.self)))
                        continue
                    }
                    // Decided without an enqueue of its own: recorded as received in this epoch.
                    try db.execute(sql: """
                        INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, reason,
                                             epoch_received, epoch_decided, decided_seq, received_at, decided_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [
                            runID, requestID, request.buyer, request.product.rawValue, request.quantity,
                            Int64(clamping: request.lamport), status, reason, batch.epoch, decision.epoch, decision.seq, now, now,
                        ])
                }
                if let sale = decision.outcome.trade {
                    let taken = try db.execute(
                        sql: take, arguments: [sale.quantity, runID, sale.seller, sale.product.rawValue, sale.quantity])
                    guard taken == 1 else {
                        throw BatchRefusal.insufficientStock(seller: sale.seller, product: sale.product, quantity: sale.quantity)
                    }
                    try db.execute(sql: trade, arguments: [
                        runID, sale.tradeID, requestID, request.buyer, sale.seller, sale.trader, sale.epoch,
                        sale.product.rawValue, sale.quantity, sale.priceCents, sale.commissionCents,
                        Int64(clamping: request.lamport), now,
                    ])
                }
                for item in OutboxItem.items(for: decision) {
                    try db.execute(sql: outbox, arguments: [runID, requestID, item.recipient, item.message.kind, now, decision.seq])
                }
            }
            try markDelivered(db, batch.delivered, at: now)
            return .committed(batch, alreadyDecided: alreadyDecided)
        }
    }

    func recordViews(_ db: any SQLSession, _ views: [ViewChange], at now: String) throws {
        for view in views {
            try db.execute(sql: """
                INSERT INTO views(run_id, epoch, view, trader_id, members, dropped, readmitted, first_seq, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, epoch, view) DO NOTHING
                """, arguments: [
                    runID, view.epoch, view.view, view.trader, ViewChange.text(view.members), ViewChange.text(view.dropped),
                    ViewChange.text(view.readmitted), view.firstSeq, now,
                ])
        }
    }

    public func markDelivered(_ keys: [DeliveryKey]) throws -> StoreResult {
        guard !keys.isEmpty else { return .markedDelivered(keys) }
        if database.engine == .postgresql { return try performOnServer(.markDelivered(keys)) }
        return try database.write { db in
            try markDelivered(db, keys, at: Timestamp.now())
            return .markedDelivered(keys)
        }
    }

    public func readLeader() throws -> StoreResult {
        let record = try leaderRecord()
        return .leaderRecord(epoch: record.epoch, leader: record.leader)
    }

    /// The lease runs by the store's clock: on PostgreSQL the server's (`clock_timestamp()`,
    /// the one clock every host of a shared store agrees on), on SQLite this host's, the only
    /// host a database file can serve. Fenced like every trader write; `updated_at` stays the
    /// time of the last change of office, not of every heartbeat.
    public func renewLease(epoch: Epoch, for term: Duration) throws -> StoreResult {
        let micros = Self.microseconds(term)
        if database.engine == .postgresql {
            // Every heartbeat: one statement, one round trip, not BEGIN, the fence, the write and
            // COMMIT. The UPDATE's own WHERE is the fence (the row is locked and the epoch checked
            // again after any concurrent claim commits); only a refusal takes the long way below,
            // which reads the epoch that deposed the trader.
            let rows = try database.writeStatement(sql: """
                WITH renewed AS (
                    UPDATE leader SET lease_expires_at = \(Self.serverTime("?::bigint")) WHERE run_id = ? AND epoch = ? RETURNING epoch)
                SELECT count(*) AS renewed FROM renewed
                """, arguments: [micros, runID, epoch])
            if let row = rows.first, try row.get("renewed") as Int == 1 { return .leaseRenewed(epoch: epoch) }
        }
        return try database.write { db in
            let current = try self.epoch(db)
            guard current == epoch else { return .deposed(current: current) }
            if db.engine == .postgresql {
                try db.execute(sql: "UPDATE leader SET lease_expires_at = \(Self.serverTime("?::bigint")) WHERE run_id = ?",
                               arguments: [micros, runID])
            } else {
                let until = Timestamp.format(microseconds: Timestamp.microseconds(Date()) + micros)
                try db.execute(sql: "UPDATE leader SET lease_expires_at = ? WHERE run_id = ?", arguments: [until, runID])
            }
            return .leaseRenewed(epoch: epoch)
        }
    }

    /// Live while the store's clock is short of `lease_expires_at` (fixed-width text: text order
    /// is time order).
    public func readLease() throws -> StoreResult {
        try database.read { db in
            let now = db.engine == .postgresql ? Self.serverTime("0") : "?"
            let arguments: SQLArguments = db.engine == .postgresql ? [runID] : [Timestamp.now(), runID]
            guard let row = try db.row(sql: """
                SELECT epoch, leader_id, coalesce(lease_expires_at > \(now), false) AS live FROM leader WHERE run_id = ?
                """, arguments: arguments) else {
                throw StoreError.noSuchRun(runID)
            }
            let live: Bool = try row.get("live")
            return .lease(epoch: try row.get("epoch"), leader: try row.optional("leader_id"), live: live)
        }
    }

    /// The server's clock, `offset` microseconds on, as the history writes times.
    static func serverTime(_ offset: String) -> String {
        """
        to_char((clock_timestamp() + \(offset) * interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        """
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    public func loadBooks(peer: PeerID) throws -> StoreResult {
        try database.read { db in
            var ledger = Ledger()
            var sellerTrades: Set<Int> = []
            var soldByProduct: [Product: Int] = [:]
            let trades = try TradeRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM trades WHERE run_id = ?1 AND (buyer_id = ?2 OR seller_id = ?2 OR trader_id = ?2) ORDER BY trade_id
                """, arguments: [runID, peer])
            for row in trades {
                let trade = row.trade
                ledger.record(trade, buyer: row.buyer, as: peer)
                if trade.seller == peer {
                    sellerTrades.insert(trade.tradeID)
                    soldByProduct[trade.product, default: 0] += trade.quantity
                }
            }
            let records = try RequestRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM requests WHERE run_id = ? AND buyer_id = ?
                """, arguments: [runID, peer])
            var requests: [BuyRequest] = []
            var pending: [RequestID] = []
            for record in records {
                let request = try Self.request(record)
                requests.append(request)
                if record.status == .pending { pending.append(request.id) }
            }
            requests.sort { $0.id < $1.id }
            let deposits = try DepositRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM deposits WHERE run_id = ? AND seller_id = ? ORDER BY accept_seq
                """, arguments: [runID, peer]).map(\.deposit)
            return .books(PeerBooks(
                peer: peer, ledger: ledger, sellerTradeIDs: sellerTrades, requests: requests, pendingRequests: pending,
                deposits: deposits, soldByProduct: soldByProduct))
        }
    }

    // MARK: Beyond the protocol

    /// The epoch and leader the store holds now.
    public func leaderRecord() throws(StoreError) -> (epoch: Epoch, leader: PeerID?) {
        try database.read { db in
            let record = try leader(db)
            return (record.epoch, record.leader)
        }
    }

    // MARK: Rows

    /// The epoch alone, read before every trader write; the rest of the row only where it is
    /// needed. On PostgreSQL the read locks the row (`FOR UPDATE`) until the transaction ends:
    /// no claim of a newer epoch can commit between this check and the writes it guards (on
    /// SQLite the IMMEDIATE transaction's file lock does that).
    func epoch(_ db: any SQLSession) throws -> Epoch {
        let sql = db.engine == .postgresql
            ? "SELECT epoch FROM leader WHERE run_id = ? FOR UPDATE"
            : "SELECT epoch FROM leader WHERE run_id = ?"
        guard let epoch = try Int.fetchOne(db, sql: sql, arguments: [runID]) else {
            throw StoreError.noSuchRun(runID)
        }
        return epoch
    }

    func leader(_ db: any SQLSession) throws -> LeaderRecord {
        guard let record = try LeaderRecord.fetchAllCheckingTypes(
            db, sql: "SELECT * FROM leader WHERE run_id = ?", arguments: [runID]).first else {
            throw StoreError.noSuchRun(runID)
        }
        return record
    }

    func markDelivered(_ db: any SQLSession, _ keys: [DeliveryKey], at now: String) throws {
        for key in keys {
            try db.execute(sql: """
                UPDATE outbox SET delivered = 1, delivered_at = ?
                WHERE run_id = ? AND request_id = ? AND recipient_id = ? AND delivered = 0
                """, arguments: [now, runID, key.requestID.description, key.recipient])
        }
    }

    /// The recorded decision of a decided request.
    func decision(_ db: any SQLSession, _ record: RequestRecord) throws -> Decision {
        let request = try Self.request(record)
        let seq = record.decidedSeq ?? 0
        let epoch = record.epochDecided ?? 0
        if record.status == .bought {
            guard let trade = try TradeRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM trades WHERE run_id = ? AND request_id = ?", arguments: [runID, record.requestID]).first else {
                throw StoreError.sqlite("request \(request.id) is bought but has no trade")
            }
            return Decision(request: request, outcome: .bought(trade.trade), seq: seq, epoch: epoch)
        }
        let reason = FailureReason(rawValue: record.reason ?? "") ?? .noSeller
        return Decision(request: request, outcome: .failed(reason), seq: seq, epoch: epoch)
    }

    static func request(_ record: RequestRecord) throws -> BuyRequest {
        guard let request = record.request else {
            throw StoreError.sqlite("malformed request id '\(record.requestID)' in the database")
        }
        return request
    }

    /// An undelivered outbox row, rebuilt from the decision it carries (joined request row).
    func outboxItem(_ db: any SQLSession, _ row: SQLRow) throws -> OutboxItem {
        let owed = try row.decode(OutboxRecord.self)
        let decided = try decision(db, try row.decode(RequestRecord.self))
        guard let item = OutboxItem.items(for: decided).first(where: { $0.recipient == owed.recipient && $0.message.kind == owed.kind }) else {
            throw StoreError.sqlite("outbox row \(owed.requestID) → P\(owed.recipient) (\(owed.kind)) does not match its decision")
        }
        return item
    }
}
