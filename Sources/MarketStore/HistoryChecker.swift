import MarketCore

/// Re-verifies a recorded run from its history alone: the invariants the simulator checks as
/// it goes (the same code, from MarketCore's invariant library), on the tables users query.
public struct HistoryChecker: Sendable {
    public let database: MarketDatabase

    public init(database: MarketDatabase) {
        self.database = database
    }

    public func check(runID: Int64) throws(StoreError) -> CheckReport {
        try database.read { db in try Self.check(db, runID: runID) }
    }

    /// Checks inside the caller's read transaction: one snapshot, even of a live run.
    static func check(_ db: any SQLSession, runID: Int64) throws -> CheckReport {
        let history = try History(db, runID: runID)
        return CheckReport(runID: runID, items: [
            history.decidedOnce(),
            history.outcomesMatchTrades(),
            history.goodsConserved(),
            history.epochWinners(),
            history.epochsOnlyAdvance(),
            history.bullyWinners(),
            history.lamportOrder(),
            history.viewsAsRecorded(),
            history.ledgersEqualBooks(),
            history.clockCondition(),
            history.requestsInSequence(),
        ])
    }
}

extension History {
    /// Every trade sells a request once: a second trade for a request is a second decision.
    func decidedOnce() -> CheckReport.Item {
        var once = DecidedOnce()
        let violations = trades.compactMap { trade in
            RequestID(trade.requestID).flatMap { once.admit($0, "trade \(trade.tradeID)") }
        }
        return .init(.decidedOnce, checked: trades.count, unit: "trades", violations: violations)
    }

    /// What only the history can show: a request's status, sequence and epochs agree with its trades.
    func outcomesMatchTrades() -> CheckReport.Item {
        var details: [String] = []
        let byRequest = Dictionary(grouping: trades, by: \.requestID)
        for request in requests.sorted(by: { $0.requestID < $1.requestID }) {
            let id = request.requestID
            let found = byRequest[id] ?? []
            switch request.status {
            case .bought:
                if found.count != 1 { details.append("request \(id) is bought but has \(found.count) trades") }
            case .failed:
                if !found.isEmpty { details.append("request \(id) failed but has \(found.count) trade(s)") }
            case .pending:
                if !found.isEmpty { details.append("request \(id) is pending but has \(found.count) trade(s)") }
                if request.decidedSeq != nil { details.append("request \(id) is pending but has a decided_seq") }
            }
            if request.status != .pending, request.decidedSeq == nil || request.epochDecided == nil {
                details.append("request \(id) is \(request.status.rawValue) without decided_seq or epoch_decided")
            }
            if let received = request.epochReceived, let decided = request.epochDecided, decided < received {
                details.append("request \(id) was decided in epoch \(decided), before it was received in epoch \(received)")
            }
            guard let trade = found.first, found.count == 1 else { continue }
            if trade.tradeID != request.decidedSeq {
                details.append("trade \(trade.tradeID) decides \(id), whose decided_seq is \(request.decidedSeq.map(String.init) ?? "NULL")")
            }
            if trade.buyer != request.buyer || trade.product != request.product || trade.quantity != request.quantity {
                details.append("trade \(trade.tradeID) does not match request \(id) (buyer, product or quantity)")
            }
            if trade.epoch != request.epochDecided {
                details.append("trade \(trade.tradeID) is of epoch \(trade.epoch), its request was decided in epoch \(request.epochDecided.map(String.init) ?? "NULL")")
            }
        }
        let known = Set(requests.map(\.requestID))
        for trade in trades where !known.contains(trade.requestID) {
            details.append("trade \(trade.tradeID) is for request \(trade.requestID), which is not in requests")
        }
        return .init(.outcomeMatchesTrades, checked: requests.count, unit: "requests",
                     violations: details.map { Violation(.outcomeMatchesTrades, $0) })
    }

    func goodsConserved() -> CheckReport.Item {
        .init(.goodsConserved, checked: goods.count, unit: "seller/product pairs",
              violations: goods.flatMap { GoodsConservation.check($0.key, $0.count) })
    }

    /// The elections' winners, admitted in epoch order.
    func winners() -> (EpochWinners, [Violation]) {
        var winners = EpochWinners()
        let violations = elections.compactMap { winners.admit(epoch: $0.epoch, winner: $0.winner) }
        return (winners, violations)
    }

    func epochWinners() -> CheckReport.Item {
        var (winners, violations) = self.winners()
        let lastEpoch = elections.last?.epoch ?? 0
        if let leaderRecord, leaderRecord.epoch != lastEpoch {
            violations.append(Violation(.epochWinner, "the leader record holds epoch \(leaderRecord.epoch), the last election is epoch \(lastEpoch)"))
        }
        if let last = elections.last, leaderRecord?.leader != last.winner {
            violations.append(Violation(.epochWinner, "the leader record names P\(leaderRecord?.leader.map(String.init) ?? "-"), epoch \(last.epoch) was won by P\(last.winner)"))
        }
        violations += trades.flatMap { winners.check($0.trade) }
        violations += decided.compactMap { request in request.stamp.flatMap { winners.check(decidedIn: $0.epoch, $0.request) } }
        return .init(.epochWinner, checked: elections.count, unit: "elections", violations: violations)
    }

    func epochsOnlyAdvance() -> CheckReport.Item {
        var decisions = EpochsOnlyAdvance()
        var violations = decided.compactMap { request in
            request.stamp.flatMap { decisions.admit($0.epoch, "decision \($0.seq) (\($0.request))") }
        }
        var sales = EpochsOnlyAdvance()
        violations += trades.compactMap { sales.admit($0.epoch, "trade \($0.tradeID)") }
        return .init(.epochsOnlyAdvance, checked: decided.count, unit: "decisions", violations: violations)
    }

    /// Per view: each decision placed in the view its epoch's rows say it was made in. A run
    /// recorded before migration 0011 has no views, and its order is checked per epoch.
    func lamportOrder() -> CheckReport.Item {
        var order = DecisionOrder()
        let (views, _) = recordedViews()
        let stamps = decided.compactMap(\.stamp).map { views.isEmpty ? $0 : views.stamp($0).0 }
        let violations = stamps.flatMap { order.admit($0) }.filter { $0.kind == .lamportOrder }
        return .init(.lamportOrder, checked: stamps.count, unit: "decisions", violations: violations)
    }

    /// The views as the core's rule admits them, with a violation for each row it cannot read.
    func recordedViews() -> (RecordedViews, [Violation]) {
        var recorded = RecordedViews()
        var violations: [Violation] = []
        for row in views {
            guard let change = row.change else {
                violations.append(Violation(.views, "epoch \(row.epoch) view \(row.view) lists something other than peer ids"))
                continue
            }
            violations += recorded.admit(change)
        }
        return (recorded, violations)
    }

    /// The views' rows agree with one another, and every decision is of one (when the run
    /// recorded any: one from before migration 0011 has none).
    func viewsAsRecorded() -> CheckReport.Item {
        var (recorded, violations) = recordedViews()
        if !views.isEmpty {
            violations += decided.compactMap(\.stamp).compactMap { recorded.stamp($0).1 }
        }
        return .init(.views, checked: views.count, unit: "views", violations: violations)
    }

    /// Every ledger written equals the books; a completed run has one from every peer that
    /// took part (a peer down from the start has none, and a run that gave up on a peer failed).
    func ledgersEqualBooks() -> CheckReport.Item {
        let books = Ledger.books(ofTrades: trades.map { (buyer: $0.buyer, trade: $0.trade) })
        let written = peers.compactMap { peer in peer.ledger.map { (peer.peer, $0) } }
        var violations = written.compactMap { LedgersEqualBooks.check($0.0, ledger: $0.1, books: books) }
        if runStatus == .completed {
            violations += peers.filter { !$0.downAtStart && $0.ledger == nil }.map {
                Violation(.ledgersEqualBooks, "P\($0.peer) took part in a completed run but wrote no ledger")
            }
        }
        return .init(.ledgersEqualBooks, checked: written.count, unit: "ledgers written", violations: violations)
    }

    func clockCondition() -> CheckReport.Item {
        .init(.clockCondition, checked: messages.count, unit: "traced messages", violations: messages.compactMap { message in
            // History reads only received messages, so every one has a receiving clock.
            guard let received = message.recvClock else { return nil }
            return ClockCondition.check("message \(message.msgID) (\(message.kind) P\(message.fromID)→P\(message.toID))",
                                 sent: UInt64(clamping: message.sendClock), received: UInt64(clamping: received))
        })
    }
}

extension History {
    /// No request missing from the middle of a buyer's numbers (`RequestsInSequence`); a
    /// request recorded under another buyer's id is one too.
    func requestsInSequence() -> CheckReport.Item {
        var violations: [Violation] = []
        var ids: [RequestID] = []
        for request in requests {
            guard let id = RequestID(request.requestID) else { continue }
            if id.buyer != request.buyer {
                violations.append(Violation(.requestsInSequence, "request \(id) is recorded for buyer P\(request.buyer)"))
            }
            ids.append(id)
        }
        return .init(.requestsInSequence, checked: requests.count, unit: "requests",
                     violations: violations + RequestsInSequence.check(ids))
    }
}
