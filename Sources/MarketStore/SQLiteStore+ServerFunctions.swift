import Foundation
import MarketCore

/// The trader's hot writes on PostgreSQL: each is one call of a server function of migration
/// 0006, a whole fenced transaction in one round trip, where the SQL of the SQLite path would
/// take a round trip a statement. The functions do what that SQL does; the store contract
/// holds both to the same answers.
extension SQLiteStore {
    func enqueueOnServer(_ request: BuyRequest, epoch: Epoch) throws -> StoreResult {
        let (outcome, current) = try call("""
            SELECT outcome, current_epoch FROM market_enqueue(?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                runID, epoch, request.id.description, request.buyer, request.product.rawValue, request.quantity,
                Int64(clamping: request.lamport), Timestamp.now(),
            ])
        switch outcome {
        case "enqueued": return .enqueued(request)
        case "exists":
            // Stored before: pending, or decided (a decision never changes once written).
            return try database.read { db in
                guard let row = try db.row(
                    sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, request.id.description]) else {
                    throw StoreError.sqlite("request \(request.id) was stored but cannot be read")
                }
                let stored = try row.decode(RequestRecord.self)
                if stored.status == .pending { return .alreadyPending(try Self.request(stored)) }
                return .alreadyDecided(try decision(db, stored))
            }
        default: return try refusal(outcome, current)
        }
    }

    func recordDepositOnServer(_ deposit: Deposit, epoch: Epoch) throws -> StoreResult {
        let (outcome, current) = try call("""
            SELECT outcome, current_epoch FROM market_record_deposit(?, ?, ?, ?, ?, ?, ?)
            """, [runID, epoch, deposit.id, deposit.seller, deposit.product.rawValue, deposit.quantity, Timestamp.now()])
        switch outcome {
        case "recorded": return .depositRecorded(deposit, duplicate: false)
        case "duplicate":
            let stored = try database.read { db in
                try DepositRecord.fetchAllCheckingTypes(db, sql: """
                    SELECT * FROM deposits WHERE run_id = ? AND deposit_id = ?
                    """, arguments: [runID, deposit.id]).first
            }
            guard let stored else { throw StoreError.sqlite("deposit \(deposit.id) was stored but cannot be read") }
            return .depositRecorded(stored.deposit, duplicate: true)
        default: return try refusal(outcome, current)
        }
    }

    func commitDecisionsOnServer(_ batch: DecisionBatch) throws -> StoreResult {
        var named = Set<RequestID>()
        for decision in batch.decisions where !named.insert(decision.request.id).inserted {
            throw StoreError.refused(.namedTwice(decision.request.id))
        }
        let rows = try database.writeStatement(sql: """
            SELECT outcome, current_epoch, array_to_string(already_decided, ' ') AS already_decided
            FROM market_commit_decisions(?, ?, ?::jsonb, ?::jsonb, ?)
            """, arguments: [
                runID, batch.epoch, try ServerJSON.text(batch.decisions.map(ServerJSON.Decision.init)),
                try ServerJSON.text(batch.delivered.map(ServerJSON.Key.init)), Timestamp.now(),
            ])
        let (outcome, current) = try Self.outcome(rows)
        guard outcome == "committed" else { return try refusal(outcome, current) }
        let earlier: String? = try rows.first?.optional("already_decided")
        let ids = (earlier ?? "").split(separator: " ").map(String.init)
        guard !ids.isEmpty else { return .committed(batch, alreadyDecided: []) }
        // Decided by an earlier trader, whose commit landed before this trader's claim: their
        // decisions are the answer (they never change once written, so a read after is exact).
        let alreadyDecided = try database.read { db in
            try ids.map { id in
                guard let row = try db.row(sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, id]) else {
                    throw StoreError.sqlite("request \(id) was decided but cannot be read")
                }
                return try decision(db, try row.decode(RequestRecord.self))
            }
        }
        return .committed(batch, alreadyDecided: alreadyDecided)
    }

    func markDeliveredOnServer(_ keys: [DeliveryKey]) throws -> StoreResult {
        _ = try database.writeStatement(sql: "SELECT market_mark_delivered(?, ?::jsonb, ?) AS marked", arguments: [
            runID, try ServerJSON.text(keys.map(ServerJSON.Key.init)), Timestamp.now(),
        ])
        return .markedDelivered(keys)
    }

    // MARK: Calls

    private func call(_ sql: String, _ arguments: SQLArguments) throws -> (outcome: String, current: Epoch) {
        try Self.outcome(try database.writeStatement(sql: sql, arguments: arguments))
    }

    private static func outcome(_ rows: [SQLRow]) throws -> (outcome: String, current: Epoch) {
        guard let row = rows.first else { throw StoreError.sqlite("a store function returned no row") }
        let current: Int? = try row.optional("current_epoch")
        return (try row.get("outcome"), current ?? 0)
    }

    /// The outcomes every function shares.
    private func refusal(_ outcome: String, _ current: Epoch) throws -> StoreResult {
        switch outcome {
        case "deposed": return .deposed(current: current)
        case "no_run": throw StoreError.noSuchRun(runID)
        default: throw StoreError.sqlite("a store function answered '\(outcome)'")
        }
    }
}

/// The JSON the server functions take: a batch as one argument.
enum ServerJSON {
    static func text<T: Encodable>(_ value: T) throws(StoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw StoreError.sqlite("cannot encode a store call: \(error)")
        }
    }

    struct Key: Encodable {
        var request_id: String
        var recipient_id: Int

        init(_ key: DeliveryKey) {
            request_id = key.requestID.description
            recipient_id = key.recipient
        }
    }

    struct Decision: Encodable {
        var request_id: String
        var buyer_id: Int
        var product: String
        var quantity: Int
        var lamport_ts: Int64
        var status: String
        var reason: String?
        var epoch_decided: Int
        var decided_seq: Int
        var trade: Sale?
        var recipients: [Recipient]

        init(_ decision: MarketCore.Decision) {
            let request = decision.request
            request_id = request.id.description
            buyer_id = request.buyer
            product = request.product.rawValue
            quantity = request.quantity
            lamport_ts = Int64(clamping: request.lamport)
            switch decision.outcome {
            case .bought: (status, reason) = (RequestStatus.bought.rawValue, nil)
            case .failed(let why): (status, reason) = (RequestStatus.failed.rawValue, why.rawValue)
            }
            epoch_decided = decision.epoch
            decided_seq = decision.seq
            trade = decision.outcome.trade.map(Sale.init)
            recipients = OutboxItem.items(for: decision).map { Recipient(recipient_id: $0.recipient, kind: $0.message.kind) }
        }
    }

    struct Sale: Encodable {
        var trade_id: Int
        var seller_id: Int
        var trader_id: Int
        var epoch: Int
        var product: String
        var quantity: Int
        var price_cents: Int
        var commission_cents: Int

        init(_ trade: Trade) {
            trade_id = trade.tradeID
            seller_id = trade.seller
            trader_id = trade.trader
            epoch = trade.epoch
            product = trade.product.rawValue
            quantity = trade.quantity
            price_cents = trade.priceCents
            commission_cents = trade.commissionCents
        }
    }

    struct Message: Encodable {
        var kind: String
        var from_id: Int
        var to_id: Int
        var send_clock: Int64
        var recv_clock: Int64?
        var sent_at: String?
        var received_at: String?

        init(_ message: TracedMessage) {
            kind = message.kind
            from_id = message.from
            to_id = message.to
            send_clock = Int64(clamping: message.sendClock)
            recv_clock = message.recvClock.map { Int64(clamping: $0) }
            sent_at = message.sentAt.map(Timestamp.format)
            received_at = message.receivedAt.map(Timestamp.format)
        }
    }

    struct Recipient: Encodable {
        var recipient_id: Int
        var kind: String
    }
}

/// A sale the stock cannot cover, as `market_commit_decisions` raises it.
enum StockRefusal {
    static let sqlState = "MK001"

    /// The refusal its detail (`seller_id,product,quantity`) names.
    static func refusal(detail: String?) -> StoreError? {
        let parts = (detail ?? "").split(separator: ",").map(String.init)
        guard parts.count == 3, let seller = Int(parts[0]), let product = Product(rawValue: parts[1]), let quantity = Int(parts[2]) else {
            return nil
        }
        return .refused(.insufficientStock(seller: seller, product: product, quantity: quantity))
    }
}
