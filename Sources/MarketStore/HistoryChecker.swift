import Foundation
import GRDB
import MarketCore

/// What `market check` found: each invariant it checked, on how many things, and every
/// violation in one line each.
public struct CheckReport: Hashable, Codable, Sendable {
    public struct Item: Hashable, Codable, Sendable {
        public var name: String
        /// How many things were checked, and what they were ("trades", "elections", …).
        public var checked: Int
        public var unit: String
        public var violations: [String]

        public var passed: Bool { violations.isEmpty }
    }

    public var runID: Int64
    public var items: [Item]

    public var passed: Bool { items.allSatisfy(\.passed) }
    public var violationCount: Int { items.reduce(0) { $0 + $1.violations.count } }

    /// One line per check, then its violations indented (at most `limit` shown per check).
    public func lines(limit: Int = 20) -> [String] {
        var lines: [String] = []
        for item in items {
            lines.append("\(item.passed ? "ok  " : "FAIL") \(item.name) (\(item.checked) \(item.unit))")
            for violation in item.violations.prefix(limit) {
                lines.append("     - \(violation)")
            }
            if item.violations.count > limit {
                lines.append("     - … and \(item.violations.count - limit) more")
            }
        }
        return lines
    }

    /// "passed: 9 checks" or "FAILED: 3 violations in 2 of 9 checks".
    public var verdict: String {
        if passed { return "passed: \(items.count) checks, no violation" }
        let failing = items.filter { !$0.passed }.count
        return "FAILED: \(violationCount) violation\(violationCount == 1 ? "" : "s") in \(failing) of \(items.count) checks"
    }
}

/// Re-verifies a recorded run from its history alone: the invariants the simulator checks
/// as it goes, on the tables users query.
public struct HistoryChecker: Sendable {
    public let database: MarketDatabase

    public init(database: MarketDatabase) {
        self.database = database
    }

    public func check(runID: Int64) throws(StoreError) -> CheckReport {
        try database.read { db in try Self.check(db, runID: runID) }
    }

    /// Checks inside the caller's read transaction: one snapshot, even of a live run.
    static func check(_ db: Database, runID: Int64) throws -> CheckReport {
        let history = try History(db, runID: runID)
        var report = CheckReport(runID: runID, items: [])
        report.items.append(history.oneTradePerRequest())
        report.items.append(history.outcomesMatchTrades())
        report.items.append(history.goodsConserved())
        report.items.append(history.epochsAndWinners())
        report.items.append(history.tradesNeverGoBack())
        report.items.append(history.bullyWinners())
        report.items.append(history.lamportOrder())
        report.items.append(history.ledgersEqualBooks())
        report.items.append(history.clockCondition())
        return report
    }
}

/// A run's history, loaded once.
struct History {
    struct RequestRow {
        var id: String
        var buyer: Int
        var product: String
        var quantity: Int
        var lamport: Int64
        var status: String
        var epochReceived: Int?
        var epochDecided: Int?
        var decidedSeq: Int?
    }

    struct TradeRow {
        var id: Int
        var request: String
        var buyer: Int
        var seller: Int
        var trader: Int
        var epoch: Int
        var product: String
        var quantity: Int
        var price: Int
        var commission: Int
        var lamport: Int64?
    }

    struct ElectionRow {
        var epoch: Int
        var winner: Int
        var startedAt: String?
        var finishedAt: String?
    }

    struct PeerRow {
        var id: Int
        var downAtStart: Bool
        var bought: Int?
        var sold: Int?
        var cash: Int?
    }

    struct FaultRow {
        var peer: Int
        var kind: String
        var at: String
    }

    let runID: Int64
    var requests: [RequestRow] = []
    var trades: [TradeRow] = []
    var elections: [ElectionRow] = []
    var peers: [PeerRow] = []
    var faults: [FaultRow] = []
    var deposited: [String: Int] = [:]
    var inventory: [String: (stock: Int, deposited: Int)] = [:]
    var leaderEpoch = 0
    var leaderID: Int?
    var messageCount = 0
    var clockViolations: [String] = []
    var runStartedAt = ""

    init(_ db: Database, runID: Int64) throws {
        self.runID = runID
        guard let run = try Row.fetchOne(db, sql: "SELECT started_at FROM runs WHERE run_id = ?", arguments: [runID]) else {
            throw StoreError.noSuchRun(runID)
        }
        runStartedAt = try run.get("started_at") ?? ""
        let args: StatementArguments = [runID]
        requests = try Row.fetchAll(db, sql: """
            SELECT request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received, epoch_decided, decided_seq
            FROM requests WHERE run_id = ?
            """, arguments: args).map {
            RequestRow(id: try $0.get("request_id"), buyer: try $0.get("buyer_id"), product: try $0.get("product"), quantity: try $0.get("quantity"),
                       lamport: try $0.get("lamport_ts"), status: try $0.get("status"), epochReceived: try $0.get("epoch_received"),
                       epochDecided: try $0.get("epoch_decided"), decidedSeq: try $0.get("decided_seq"))
        }
        trades = try Row.fetchAll(db, sql: "SELECT * FROM trades WHERE run_id = ? ORDER BY trade_id", arguments: args).map {
            TradeRow(id: try $0.get("trade_id"), request: try $0.get("request_id"), buyer: try $0.get("buyer_id"), seller: try $0.get("seller_id"),
                     trader: try $0.get("trader_id"), epoch: try $0.get("epoch"), product: try $0.get("product"), quantity: try $0.get("quantity"),
                     price: try $0.get("price_cents"), commission: try $0.get("commission_cents"), lamport: try $0.get("lamport_ts"))
        }
        elections = try Row.fetchAll(db, sql: "SELECT * FROM elections WHERE run_id = ? ORDER BY epoch", arguments: args).map {
            ElectionRow(epoch: try $0.get("epoch"), winner: try $0.get("winner_id"), startedAt: try $0.get("started_at"), finishedAt: try $0.get("finished_at"))
        }
        peers = try Row.fetchAll(db, sql: "SELECT * FROM peers WHERE run_id = ? ORDER BY peer_id", arguments: args).map {
            PeerRow(id: try $0.get("peer_id"), downAtStart: try $0.get("down_at_start") ?? false, bought: try $0.get("bought"), sold: try $0.get("sold"),
                    cash: try $0.get("cash_cents"))
        }
        faults = try Row.fetchAll(db, sql: "SELECT peer_id, kind, at FROM faults WHERE run_id = ? ORDER BY at, fault_id",
                                  arguments: args).map { FaultRow(peer: try $0.get("peer_id"), kind: try $0.get("kind"), at: try $0.get("at")) }
        for row in try Row.fetchAll(db, sql: """
            SELECT seller_id, product, sum(quantity) AS total FROM deposits WHERE run_id = ? GROUP BY seller_id, product
            """, arguments: args) {
            deposited[Self.key(try row.get("seller_id"), try row.get("product"))] = try row.get("total")
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM inventory WHERE run_id = ?", arguments: args) {
            inventory[Self.key(try row.get("seller_id"), try row.get("product"))] = (try row.get("stock"), try row.get("deposited"))
        }
        if let leader = try Row.fetchOne(db, sql: "SELECT epoch, leader_id FROM leader WHERE run_id = ?", arguments: args) {
            leaderEpoch = try leader.get("epoch")
            leaderID = try leader.get("leader_id")
        }
        messageCount = try Int.fetchOne(
            db, sql: "SELECT count(*) FROM messages WHERE run_id = ? AND recv_clock IS NOT NULL", arguments: args) ?? 0
        clockViolations = try Row.fetchAll(db, sql: """
            SELECT msg_id, kind, from_id, to_id, send_clock, recv_clock FROM messages
            WHERE run_id = ? AND recv_clock IS NOT NULL AND recv_clock <= send_clock ORDER BY msg_id
            """, arguments: args).map { row in
            let kind: String = try row.get("kind")
            let from: Int = try row.get("from_id")
            let to: Int = try row.get("to_id")
            let sent: Int64 = try row.get("send_clock")
            let received: Int64 = try row.get("recv_clock")
            let id: Int64 = try row.get("msg_id")
            return "message \(id) (\(kind) P\(from)→P\(to)) sent at clock \(sent), received at clock \(received)"
        }
    }

    static func key(_ seller: Int, _ product: String) -> String { "P\(seller) \(product)" }

    var winners: [Int: Int] { Dictionary(elections.map { ($0.epoch, $0.winner) }, uniquingKeysWith: { first, _ in first }) }

    /// Decided requests in the order they were decided.
    var decided: [RequestRow] {
        requests.filter { $0.decidedSeq != nil }.sorted { $0.decidedSeq! < $1.decidedSeq! }
    }

    // MARK: Checks

    func oneTradePerRequest() -> CheckReport.Item {
        let byRequest = Dictionary(grouping: trades, by: \.request)
        let violations = byRequest.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { request, trades in
            "request \(request) has \(trades.count) trades (trade ids \(trades.map { String($0.id) }.joined(separator: ", ")))"
        }
        return .init(name: "no request has two trades", checked: trades.count, unit: "trades", violations: violations)
    }

    func outcomesMatchTrades() -> CheckReport.Item {
        var violations: [String] = []
        let byRequest = Dictionary(grouping: trades, by: \.request)
        for request in requests.sorted(by: { $0.id < $1.id }) {
            let found = byRequest[request.id] ?? []
            switch request.status {
            case "bought":
                if found.count != 1 { violations.append("request \(request.id) is bought but has \(found.count) trades") }
            case "failed":
                if !found.isEmpty { violations.append("request \(request.id) failed but has \(found.count) trade(s)") }
            default:
                if !found.isEmpty { violations.append("request \(request.id) is pending but has \(found.count) trade(s)") }
                if request.decidedSeq != nil { violations.append("request \(request.id) is pending but has a decided_seq") }
            }
            if request.status != "pending", request.decidedSeq == nil || request.epochDecided == nil {
                violations.append("request \(request.id) is \(request.status) without decided_seq or epoch_decided")
            }
            if let received = request.epochReceived, let decided = request.epochDecided, decided < received {
                violations.append("request \(request.id) was decided in epoch \(decided), before it was received in epoch \(received)")
            }
            if let trade = found.first, found.count == 1 {
                if trade.id != request.decidedSeq {
                    violations.append("trade \(trade.id) decides \(request.id), whose decided_seq is \(request.decidedSeq.map(String.init) ?? "NULL")")
                }
                if trade.buyer != request.buyer || trade.product != request.product || trade.quantity != request.quantity {
                    violations.append("trade \(trade.id) does not match request \(request.id) (buyer, product or quantity)")
                }
                if trade.epoch != request.epochDecided {
                    violations.append("trade \(trade.id) is of epoch \(trade.epoch), its request was decided in epoch \(request.epochDecided.map(String.init) ?? "NULL")")
                }
            }
        }
        let known = Set(requests.map(\.id))
        for trade in trades where !known.contains(trade.request) {
            violations.append("trade \(trade.id) is for request \(trade.request), which is not in requests")
        }
        return .init(name: "bought ⇔ exactly one trade, failed or pending ⇔ none", checked: requests.count, unit: "requests",
                     violations: violations)
    }

    func goodsConserved() -> CheckReport.Item {
        var violations: [String] = []
        var sold: [String: Int] = [:]
        for trade in trades {
            sold[Self.key(trade.seller, trade.product), default: 0] += trade.quantity
            if trade.seller == trade.trader {
                violations.append("trade \(trade.id): trader P\(trade.trader) sold its own goods")
            }
        }
        let keys = Set(deposited.keys).union(sold.keys).union(inventory.keys).sorted()
        for key in keys {
            let inGoods = deposited[key] ?? 0
            let out = sold[key] ?? 0
            if out > inGoods {
                violations.append("\(key): \(out) sold but only \(inGoods) deposited")
            }
            guard let row = inventory[key] else {
                if inGoods > 0 || out > 0 { violations.append("\(key): deposits or trades but no inventory row") }
                continue
            }
            if row.deposited != inGoods {
                violations.append("\(key): inventory says \(row.deposited) deposited, deposits add up to \(inGoods)")
            }
            if row.stock != inGoods - out {
                violations.append("\(key): stock \(row.stock) is not deposited \(inGoods) − sold \(out) = \(inGoods - out)")
            }
            if row.stock < 0 {
                violations.append("\(key): negative stock \(row.stock)")
            }
        }
        return .init(name: "goods conserved: deposited − sold = stock ≥ 0", checked: keys.count, unit: "seller/product pairs",
                     violations: violations)
    }

    func epochsAndWinners() -> CheckReport.Item {
        var violations: [String] = []
        let epochs = elections.map(\.epoch)
        if epochs != (0..<epochs.count).map({ $0 + 1 }) {
            violations.append("elections hold epochs \(Self.summarize(epochs)), not 1..\(epochs.count)")
        }
        if leaderEpoch != (epochs.last ?? 0) {
            violations.append("the leader record holds epoch \(leaderEpoch), the last election is epoch \(epochs.last ?? 0)")
        }
        if let last = elections.last, leaderID != last.winner {
            violations.append("the leader record names P\(leaderID.map(String.init) ?? "-"), epoch \(last.epoch) was won by P\(last.winner)")
        }
        let winners = self.winners
        for trade in trades {
            guard let winner = winners[trade.epoch] else {
                violations.append("trade \(trade.id) is of epoch \(trade.epoch), which no election gave anyone")
                continue
            }
            if trade.trader != winner {
                violations.append("trade \(trade.id) was made by P\(trade.trader) in epoch \(trade.epoch), won by P\(winner)")
            }
        }
        for request in requests {
            if let epoch = request.epochDecided, winners[epoch] == nil {
                violations.append("request \(request.id) was decided in epoch \(epoch), which no election gave anyone")
            }
        }
        return .init(name: "epochs 1..n, one winner each, trades made by their epoch's winner", checked: elections.count,
                     unit: "elections", violations: violations)
    }

    func tradesNeverGoBack() -> CheckReport.Item {
        var violations: [String] = []
        var newest = 0
        var newestSeq = 0
        for request in decided {
            guard let epoch = request.epochDecided, let seq = request.decidedSeq else { continue }
            if epoch < newest {
                violations.append("decision \(seq) (\(request.id)) is of epoch \(epoch), after decision \(newestSeq) of epoch \(newest)")
            }
            if epoch > newest { (newest, newestSeq) = (epoch, seq) }
        }
        var newestTrade = 0
        var newestTradeID = 0
        for trade in trades {
            if trade.epoch < newestTrade {
                violations.append("trade \(trade.id) is of epoch \(trade.epoch), after trade \(newestTradeID) of epoch \(newestTrade)")
            }
            if trade.epoch > newestTrade { (newestTrade, newestTradeID) = (trade.epoch, trade.id) }
        }
        return .init(name: "decisions never go back to an older epoch", checked: decided.count, unit: "decisions",
                     violations: violations)
    }

    /// The Bully winner is the highest peer that was not down when the election finished.
    /// A peer whose state changed while the election ran (from its recorded start, or the
    /// moment it finished) is not held against the result either way, nor is a peer that
    /// recovered since the previous election: its own election may still be under way.
    func bullyWinners() -> CheckReport.Item {
        var violations: [String] = []
        guard !peers.isEmpty else {
            return .init(name: "Bully: the highest peer not down wins", checked: 0, unit: "elections", violations: [])
        }
        var checked = 0
        var previousFinish = runStartedAt
        for election in elections {
            guard let finished = election.finishedAt else { continue }
            checked += 1
            let started = min(election.startedAt ?? finished, finished)
            var steadyUp: [Int] = []
            var steadyDown: Set<Int> = []
            for peer in peers {
                let atStart = isDown(peer, at: started, inclusive: false)
                let atFinish = isDown(peer, at: finished, inclusive: true)
                let changed = faults.contains { $0.peer == peer.id && $0.at >= started && $0.at <= finished }
                let recovered = faults.contains {
                    $0.peer == peer.id && $0.kind == "recover" && $0.at > previousFinish && $0.at <= finished
                }
                if !atStart, !atFinish, !changed, !recovered { steadyUp.append(peer.id) }
                if atStart, atFinish, !changed { steadyDown.insert(peer.id) }
            }
            if let highest = steadyUp.max(), election.winner < highest {
                violations.append("epoch \(election.epoch) was won by P\(election.winner), but P\(highest) was up")
            }
            if steadyDown.contains(election.winner) {
                violations.append("epoch \(election.epoch) was won by P\(election.winner), which was down")
            }
            previousFinish = max(previousFinish, finished)
        }
        return .init(name: "Bully: the highest peer not down wins", checked: checked, unit: "elections", violations: violations)
    }

    /// Down at `time`: down from the start or last sick/crashed/resigned, without a recovery since.
    func isDown(_ peer: PeerRow, at time: String, inclusive: Bool) -> Bool {
        var down = peer.downAtStart
        for fault in faults where fault.peer == peer.id && (inclusive ? fault.at <= time : fault.at < time) {
            switch fault.kind {
            case "recover": down = false
            default: down = true
            }
        }
        return down
    }

    func lamportOrder() -> CheckReport.Item {
        var violations: [String] = []
        var last: (epoch: Int, key: (Int64, Int), seq: Int, id: String)?
        for request in decided {
            guard let epoch = request.epochDecided, let seq = request.decidedSeq else { continue }
            let key = (request.lamport, request.buyer)
            if let previous = last, previous.epoch == epoch, !(previous.key < key) {
                violations.append("epoch \(epoch): decision \(seq) \(request.id) (\(key.0), P\(key.1)) comes after decision \(previous.seq) \(previous.id) (\(previous.key.0), P\(previous.key.1))")
            }
            last = (epoch, key, seq, request.id)
        }
        return .init(name: "decisions in (lamport_ts, buyer_id) order within each epoch", checked: decided.count,
                     unit: "decisions", violations: violations)
    }

    func ledgersEqualBooks() -> CheckReport.Item {
        var books: [Int: Ledger] = [:]
        for trade in trades {
            books[trade.buyer, default: Ledger()].bought += trade.quantity
            books[trade.buyer, default: Ledger()].cashCents -= trade.price
            books[trade.seller, default: Ledger()].sold += trade.quantity
            books[trade.seller, default: Ledger()].cashCents += trade.price - trade.commission
            books[trade.trader, default: Ledger()].cashCents += trade.commission
        }
        var violations: [String] = []
        var checked = 0
        for peer in peers {
            guard let bought = peer.bought, let sold = peer.sold, let cash = peer.cash else { continue }
            checked += 1
            let expected = books[peer.id] ?? Ledger()
            let recorded = Ledger(bought: bought, sold: sold, cashCents: cash)
            if recorded != expected {
                violations.append("P\(peer.id)'s ledger says bought \(bought), sold \(sold), cash \(cash)¢; the trades say bought \(expected.bought), sold \(expected.sold), cash \(expected.cashCents)¢")
            }
        }
        return .init(name: "ledgers equal the books from trades", checked: checked, unit: "ledgers written", violations: violations)
    }

    func clockCondition() -> CheckReport.Item {
        .init(name: "clock condition: recv_clock > send_clock", checked: messageCount, unit: "traced messages",
              violations: clockViolations)
    }

    static func summarize(_ epochs: [Int]) -> String {
        epochs.count <= 8 ? epochs.map(String.init).joined(separator: ", ") : "\(epochs.prefix(8).map(String.init).joined(separator: ", ")), …"
    }
}
