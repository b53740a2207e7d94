import Foundation
import MarketCore

/// The trader's hot writes on PostgreSQL: server functions of migration 0006, each a whole
/// fenced transaction in one statement, where the SQL of the SQLite path would take a round trip
/// a statement. They go through `market_perform`, which takes several in order, so the requests
/// a trader asked while its last call was on its way share one round trip. The functions do what
/// that SQL does; the store contract holds both to the same answers.
extension SQLiteStore: StoreRequestGroups {
    /// On PostgreSQL, the hot writes at the head of `requests`; on SQLite the enqueues at its
    /// head, in one transaction (a statement costs microseconds in the process, a transaction
    /// more: nothing else to save).
    public func together(_ requests: ArraySlice<StoreRequest>) -> Int {
        database.engine == .postgresql ? requests.prefix { ServerJSON.Request($0) != nil }.count : Self.enqueues(requests).count
    }

    private static func enqueues(_ requests: ArraySlice<StoreRequest>) -> [(BuyRequest, Epoch)] {
        var found: [(BuyRequest, Epoch)] = []
        for request in requests {
            guard case .enqueue(let buy, let epoch) = request else { break }
            found.append((buy, epoch))
        }
        return found
    }

    public func performInOrder(_ requests: ArraySlice<StoreRequest>) -> (results: [StoreResult], stoppedBy: (any Error)?) {
        var results: [StoreResult] = []
        var rest = requests
        while let first = rest.first {
            if database.engine != .postgresql, case let enqueues = Self.enqueues(rest), enqueues.count > 1 {
                do {
                    results += try enqueueTogether(enqueues)
                } catch {
                    return (results, error)
                }
                rest = rest.dropFirst(enqueues.count)
                continue
            }
            let together: ArraySlice<StoreRequest> = database.engine == .postgresql ? rest.prefix { ServerJSON.Request($0) != nil } : []
            guard !together.isEmpty else {
                do {
                    results.append(try perform(first))
                } catch {
                    return (results, error)
                }
                rest = rest.dropFirst()
                continue
            }
            let (done, error) = performOnServer(together)
            results += done
            if let error { return (results, error) }
            rest = rest.dropFirst(together.count)
        }
        return (results, nil)
    }

    /// One hot write alone: still one call of `market_perform`, one round trip.
    func performOnServer(_ request: StoreRequest) throws -> StoreResult {
        let (results, error) = performOnServer([request][...])
        if let error { throw error }
        guard let result = results.first else { throw StoreError.sqlite("market_perform answered nothing") }
        return result
    }

    /// Hot writes in one round trip: the results of those done, in order, and what stopped the rest.
    private func performOnServer(_ requests: ArraySlice<StoreRequest>) -> (results: [StoreResult], stoppedBy: (any Error)?) {
        // A batch naming a request twice is refused whole before anything is sent for it.
        let sendable = requests.prefix { Self.namedTwice($0) == nil }
        let refusal = requests.dropFirst(sendable.count).first.flatMap(Self.namedTwice).map { StoreError.refused(.namedTwice($0)) }
        guard !sendable.isEmpty else { return ([], refusal) }
        let rows: [SQLRow]
        do {
            rows = try database.writeStatement(sql: """
                SELECT n, outcome, current_epoch, already_decided, sql_state, message, detail FROM market_perform(?, ?::jsonb, ?)
                """, arguments: [runID, try ServerJSON.text(sendable.compactMap(ServerJSON.Request.init)), Timestamp.now()])
        } catch {
            return ([], error)
        }
        var results: [StoreResult] = []
        for (request, row) in zip(sendable, rows) {
            do {
                if let state: String = try row.optional("sql_state") {
                    return (results, PostgresServerConnection.serverError(
                        state: state, message: try row.optional("message") ?? "server error", detail: try row.optional("detail")))
                }
                results.append(try answer(request, row))
            } catch {
                return (results, error)
            }
        }
        guard results.count == sendable.count else {
            return (results, StoreError.sqlite("market_perform answered \(rows.count) of \(sendable.count) requests"))
        }
        return (results, refusal)
    }

    /// What a function's row means for its request.
    private func answer(_ request: StoreRequest, _ row: SQLRow) throws -> StoreResult {
        let outcome: String = try row.get("outcome")
        let current: Int = try row.optional("current_epoch") ?? 0
        switch (request, outcome) {
        case (.enqueue(let buy, _), "enqueued"): return .enqueued(buy)
        case (.enqueue(let buy, _), "exists"): return try storedRequest(buy)
        case (.recordDeposit(let deposit, _), "recorded"): return .depositRecorded(deposit, duplicate: false)
        case (.recordDeposit(let deposit, _), "duplicate"): return try storedDeposit(deposit)
        case (.commitDecisions(let batch), "committed"):
            let earlier: String? = try row.optional("already_decided")
            return .committed(batch, alreadyDecided: try decisions(of: (earlier ?? "").split(separator: " ").map(String.init)))
        case (.markDelivered(let keys), "marked"): return .markedDelivered(keys)
        case (_, "deposed"): return .deposed(current: current)
        case (_, "no_run"): throw StoreError.noSuchRun(runID)
        default: throw StoreError.sqlite("a store function answered '\(outcome)', which its request does not expect")
        }
    }

    private static func namedTwice(_ request: StoreRequest) -> RequestID? {
        guard case .commitDecisions(let batch) = request else { return nil }
        var named = Set<RequestID>()
        return batch.decisions.first { !named.insert($0.request.id).inserted }?.request.id
    }

    // MARK: Reads after a call

    /// A request stored before: pending, or decided (a decision never changes once written, so
    /// reading it after the call is exact).
    private func storedRequest(_ request: BuyRequest) throws -> StoreResult {
        try database.read { db in
            guard let row = try db.row(
                sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, request.id.description]) else {
                throw StoreError.sqlite("request \(request.id) was stored but cannot be read")
            }
            let stored = try row.decode(RequestRecord.self)
            if stored.status == .pending { return .alreadyPending(try Self.request(stored)) }
            return .alreadyDecided(try decision(db, stored))
        }
    }

    private func storedDeposit(_ deposit: Deposit) throws -> StoreResult {
        let stored = try database.read { db in
            try DepositRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM deposits WHERE run_id = ? AND deposit_id = ?
                """, arguments: [runID, deposit.id]).first
        }
        guard let stored else { throw StoreError.sqlite("deposit \(deposit.id) was stored but cannot be read") }
        return .depositRecorded(stored.deposit, duplicate: true)
    }

    /// Requests an earlier trader had decided, whose commit landed before this trader's claim:
    /// their decisions are the answer.
    private func decisions(of ids: [String]) throws -> [Decision] {
        guard !ids.isEmpty else { return [] }
        return try database.read { db in
            try ids.map { id in
                guard let row = try db.row(sql: "SELECT * FROM requests WHERE run_id = ? AND request_id = ?", arguments: [runID, id]) else {
                    throw StoreError.sqlite("request \(id) was decided but cannot be read")
                }
                return try decision(db, try row.decode(RequestRecord.self))
            }
        }
    }
}

/// Performs requests in order, in as few round trips as the store can: the results of those
/// done, and the error that stopped the rest (nil when all were done).
public protocol StoreRequestGroups {
    /// How many of `requests`, from the first, would go to the store together (0 or 1: none).
    func together(_ requests: ArraySlice<StoreRequest>) -> Int
    func performInOrder(_ requests: ArraySlice<StoreRequest>) -> (results: [StoreResult], stoppedBy: (any Error)?)
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

    /// One hot write, as `market_perform` takes it; nil for any other request.
    struct Request: Encodable {
        var kind: String
        var epoch: Int?
        var request_id: String?
        var buyer_id: Int?
        var product: String?
        var quantity: Int?
        var lamport_ts: Int64?
        var deposit_id: Int?
        var seller_id: Int?
        var decisions: [Decision]?
        var delivered: [Key]?
        var keys: [Key]?
        var views: [View]?

        init?(_ request: StoreRequest) {
            switch request {
            case .enqueue(let buy, let epoch):
                kind = "enqueue"
                self.epoch = epoch
                request_id = buy.id.description
                buyer_id = buy.buyer
                product = buy.product.rawValue
                quantity = buy.quantity
                lamport_ts = Int64(clamping: buy.lamport)
            case .recordDeposit(let deposit, let epoch):
                kind = "record_deposit"
                self.epoch = epoch
                deposit_id = deposit.id
                seller_id = deposit.seller
                product = deposit.product.rawValue
                quantity = deposit.quantity
            case .commitDecisions(let batch):
                kind = "commit_decisions"
                epoch = batch.epoch
                decisions = batch.decisions.map(Decision.init)
                delivered = batch.delivered.map(Key.init)
                views = batch.views.map(View.init)
            case .markDelivered(let keys):
                kind = "mark_delivered"
                self.keys = keys.map(Key.init)
            default:
                return nil
            }
        }
    }

    struct View: Encodable {
        var epoch: Int
        var view: Int
        var trader_id: Int
        var members: String
        var dropped: String
        var readmitted: String
        var first_seq: Int

        init(_ change: ViewChange) {
            epoch = change.epoch
            view = change.view
            trader_id = change.trader
            members = ViewChange.text(change.members)
            dropped = ViewChange.text(change.dropped)
            readmitted = ViewChange.text(change.readmitted)
            first_seq = change.firstSeq
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
