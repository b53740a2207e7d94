@testable import MarketCore

/// A small in-memory store with the contract of `TradingPostStore`, for wiring whole peers
/// together in these tests (the real ones live in MarketSimulation and MarketStore).
final class MiniStore: TradingPostStore {
    private(set) var epoch: Epoch = 0
    private(set) var leaderID: PeerID?
    private(set) var pending: [RequestID: BuyRequest] = [:]
    private(set) var requests: [RequestID: BuyRequest] = [:]
    private(set) var decided: [RequestID: Decision] = [:]
    private(set) var decisions: [Decision] = []
    private(set) var deposits: [Deposit] = []
    private(set) var outbox: [DeliveryKey: OutboxItem] = [:]
    private(set) var maxLamport: UInt64 = 0
    /// Problems the store itself saw: a decision written twice, a write of a stale epoch.
    private(set) var violations: [String] = []

    func claimEpoch(_ claim: ElectionClaim) -> StoreResult {
        guard claim.epoch == epoch + 1 else { return .claimRefused(current: epoch) }
        epoch = claim.epoch
        leaderID = claim.leader
        return .claimed(claim)
    }

    func loadTakeover(epoch writer: Epoch) -> StoreResult {
        guard writer >= epoch else { return .deposed(current: epoch) }
        var sold: [SellerProduct: Int] = [:]
        for trade in decisions.compactMap(\.outcome.trade) {
            sold[SellerProduct(seller: trade.seller, product: trade.product), default: 0] += trade.quantity
        }
        return .takeover(Takeover(
            epoch: writer, pending: pending.values.sorted { $0.orderKey < $1.orderKey }, deposits: deposits,
            sold: sold, outbox: outbox.keys.sorted().map { outbox[$0]! }, lastDecisionSeq: decisions.last?.seq ?? 0,
            maxLamport: maxLamport))
    }

    func enqueue(_ request: BuyRequest, epoch writer: Epoch) -> StoreResult {
        guard writer >= epoch else { return .deposed(current: epoch) }
        if let decision = decided[request.id] { return .alreadyDecided(decision) }
        if let stored = pending[request.id] { return .alreadyPending(stored) }
        pending[request.id] = request
        requests[request.id] = request
        maxLamport = max(maxLamport, request.lamport)
        return .enqueued(request)
    }

    func recordDeposit(_ deposit: Deposit, epoch writer: Epoch) -> StoreResult {
        guard writer >= epoch else { return .deposed(current: epoch) }
        let duplicate = deposits.contains { $0.id == deposit.id }
        if !duplicate { deposits.append(deposit) }
        return .depositRecorded(deposit, duplicate: duplicate)
    }

    func commitDecisions(_ batch: DecisionBatch) -> StoreResult {
        guard batch.epoch >= epoch else { return .deposed(current: epoch) }
        for decision in batch.decisions {
            if decided[decision.request.id] != nil { violations.append("\(decision.request.id) decided twice") }
            if pending[decision.request.id] == nil { violations.append("\(decision.request.id) decided but not pending") }
            if decision.seq != (decisions.last?.seq ?? 0) + 1 { violations.append("decision seq \(decision.seq) out of order") }
            decided[decision.request.id] = decision
            pending[decision.request.id] = nil
            decisions.append(decision)
            for item in OutboxItem.items(for: decision) { outbox[item.key] = item }
        }
        for key in batch.delivered { outbox[key] = nil }
        return .committed(batch)
    }

    func markDelivered(_ keys: [DeliveryKey]) -> StoreResult {
        for key in keys { outbox[key] = nil }
        return .markedDelivered(keys)
    }

    func loadBooks(peer: PeerID) -> StoreResult {
        var soldByProduct: [Product: Int] = [:]
        var tradeIDs: Set<Int> = []
        for trade in decisions.compactMap(\.outcome.trade) where trade.seller == peer {
            soldByProduct[trade.product, default: 0] += trade.quantity
            tradeIDs.insert(trade.tradeID)
        }
        let mine = requests.values.filter { $0.buyer == peer }.sorted { $0.id < $1.id }
        return .books(PeerBooks(
            peer: peer, ledger: Ledger.books(of: decisions)[peer] ?? Ledger(), sellerTradeIDs: tradeIDs,
            requests: mine.map { decided[$0.id]?.request ?? $0 },
            pendingRequest: mine.first { pending[$0.id] != nil }?.id,
            deposits: deposits.filter { $0.seller == peer }, soldByProduct: soldByProduct))
    }

    /// Deposited minus sold, per seller and product.
    var stock: [SellerProduct: Int] {
        var stock: [SellerProduct: Int] = [:]
        for deposit in deposits { stock[SellerProduct(seller: deposit.seller, product: deposit.product), default: 0] += deposit.quantity }
        for trade in decisions.compactMap(\.outcome.trade) {
            stock[SellerProduct(seller: trade.seller, product: trade.product), default: 0] -= trade.quantity
        }
        return stock
    }
}

/// Every peer of a scenario in one loop with virtual time: FIFO links with a fixed delay,
/// the store answering at once, sickness and recovery as the peers report them.
struct MiniMarket {
    struct Pending {
        var time: Duration
        var order: Int
        var peer: PeerID
        var event: Event
    }

    let scenario: Scenario
    let store = MiniStore()
    var peers: [Peer]
    var now: Duration = .zero
    var queue: [Pending] = []
    var timers: [PeerID: [PeerTimer: Duration]] = [:]
    var order = 0
    var steps = 0
    var linkDelay: Duration = .milliseconds(1)
    /// With a stream, links take 1...`jitter` ms (still FIFO) and the store 0...2 ms.
    var random: SplitMix64?
    var jitter = 1
    var linkFree: [Int: Duration] = [:]
    /// With a stream: the chance that a trader pauses (a zombie) right after a store request.
    var pauseChance = 0.0
    var pauseLength: Duration = .milliseconds(1500)
    var pausedUntil: [PeerID: Duration] = [:]
    var pauses = 0
    var storeFree: [PeerID: Duration] = [:]
    /// Sickness each peer fell into, in order.
    var sickness: [(PeerID, SickMode)] = []
    var violations: [String] = []
    var keepLog = false
    var log: [String] = []

    init(_ scenario: Scenario, configure: (inout PeerConfig) -> Void = { _ in }) {
        self.scenario = scenario
        peers = scenario.peers.map { spec in
            var config = scenario.config(for: spec.id)
            configure(&config)
            return Peer(config: config)
        }
        for spec in scenario.peers where !spec.downAtStart {
            schedule(.start, to: spec.id, at: .zero)
        }
        schedule(.command(.startElection), to: scenario.firstElection, at: .zero)
    }

    mutating func schedule(_ event: Event, to peer: PeerID, at time: Duration) {
        queue.append(Pending(time: time, order: order, peer: peer, event: event))
        order += 1
    }

    /// Runs until `done` holds or `limit` of virtual time passes; false on the limit.
    mutating func run(until limit: Duration, done: (MiniMarket) -> Bool) -> Bool {
        while now < limit {
            if done(self) { return true }
            guard step() else { return done(self) }
        }
        return done(self)
    }

    /// One event: the earliest message, store answer, command or timer.
    mutating func step() -> Bool {
        var next: (time: Duration, order: Int, index: Int?, timer: (PeerID, PeerTimer)?)?
        for (index, item) in queue.enumerated() where next == nil || (item.time, item.order) < (next!.time, next!.order) {
            next = (item.time, item.order, index, nil)
        }
        for (peer, armed) in timers.sorted(by: { $0.key < $1.key }) {
            for (timer, deadline) in armed.sorted(by: { "\($0.key)" < "\($1.key)" })
            where next == nil || deadline < next!.time {
                next = (deadline, -1, nil, (peer, timer))
            }
        }
        guard let next else { return false }
        now = max(now, next.time)
        let target = next.index.map { queue[$0].peer } ?? next.timer!.0
        if let until = pausedUntil[target], now < until {
            // Paused: everything for this peer waits, in order, until it resumes.
            if let index = next.index {
                queue[index].time = until
            } else if let (peer, timer) = next.timer {
                timers[peer]?[timer] = until
            }
            return true
        }
        steps += 1
        if let index = next.index {
            let item = queue.remove(at: index)
            deliver(item.event, to: item.peer)
        } else if let (peer, timer) = next.timer {
            timers[peer]?[timer] = nil
            deliver(.timer(timer), to: peer)
        }
        return true
    }

    mutating func deliver(_ event: Event, to id: PeerID) {
        let effects = peers[id].step(event, now: now)
        if keepLog {
            switch event {
            case .receive(let e): if case .heartbeat = e.message {} else { log.append("\(now) P\(id) <- P\(e.from) @\(e.clock) \(e.message) [clock \(peers[id].clock.time)] status \(peers[id].status)") }
            case .persisted(let r): log.append("\(now) P\(id) persisted \(r)")
            case .timer(let t): if t != .heartbeat { log.append("\(now) P\(id) timer \(t)") }
            default: log.append("\(now) P\(id) \(event)")
            }
            for effect in effects {
                if case .persist(let r) = effect { log.append("\(now) P\(id) persist \(r)") }
            }
        }
        if case .receive(let envelope) = event, peers[id].isUp, peers[id].clock.time <= envelope.clock {
            violations.append("P\(id) clock \(peers[id].clock.time) not past stamp \(envelope.clock)")
        }
        for effect in effects {
            switch effect {
            case .send(let envelope):
                var at = now + linkDelay
                if random != nil {
                    let link = envelope.from * 1000 + envelope.to
                    at = max(now + .milliseconds(1 + Int(random!.next() % UInt64(jitter))), linkFree[link] ?? .zero)
                    linkFree[link] = at
                }
                schedule(.receive(envelope), to: envelope.to, at: at)
            case .setTimer(let timer, let after):
                timers[id, default: [:]][timer] = now + after
            case .cancelTimer(let timer):
                timers[id]?[timer] = nil
            case .persist(let request):
                let result = try! store.perform(request)
                if peers[id].isTrader, pauseChance > 0, random!.chance(pauseChance) {
                    pausedUntil[id] = now + pauseLength
                    pauses += 1
                }
                var at = now
                if random != nil {
                    at = max(now + .milliseconds(Int(random!.next() % 3)), storeFree[id] ?? .zero)
                    storeFree[id] = at
                }
                schedule(.persisted(result), to: id, at: at)
            case .fellSick(let mode):
                sickness.append((id, mode))
                timers[id] = nil
                if mode == .crash {
                    peers[id] = Peer(config: peers[id].config)
                    queue.removeAll { $0.peer == id }
                    schedule(.restart, to: id, at: now + scenario.recoverAfter)
                } else {
                    schedule(.command(.recover), to: id, at: now + scenario.recoverAfter)
                }
            case .log(let line):
                if keepLog { log.append("\(now) P\(id) \(line)") }
            }
        }
    }

    /// Every buyer is done, but for one that trades now: a trader stops its own buying.
    var buyersDone: Bool {
        scenario.buyers.allSatisfy { peers[$0.id].finishedBuying || peers[$0.id].isTrader }
    }

    /// The checks of a finished run; empty when all is well.
    func check() -> [String] {
        var problems = violations + store.violations
        // Decisions of one epoch in (lamport_ts, buyer_id) order.
        var last: [Epoch: OrderKey] = [:]
        for decision in store.decisions {
            if let previous = last[decision.epoch], decision.request.orderKey < previous {
                problems.append("epoch \(decision.epoch): \(decision.request.id) \(decision.request.orderKey) after \(previous)")
            }
            last[decision.epoch] = decision.request.orderKey
        }
        // Goods conserved.
        for (key, left) in store.stock where left < 0 {
            problems.append("P\(key.seller) \(key.product.rawValue) oversold by \(-left)")
        }
        // Every buyer's count matches the store's.
        for spec in scenario.buyers {
            let decided = store.decisions.filter { $0.request.buyer == spec.id }.count
            if decided != peers[spec.id].buyer.completed {
                problems.append("P\(spec.id) counts \(peers[spec.id].buyer.completed) results, the store \(decided)")
            }
        }
        return problems
    }

    /// Ledgers of every peer against the books, once the outbox is empty.
    func ledgerProblems() -> [String] {
        let books = Ledger.books(of: store.decisions)
        return peers.indices.compactMap { id in
            let mine = peers[id].ledger, theirs = books[id] ?? Ledger()
            return mine == theirs ? nil : "P\(id) ledger \(mine) but books \(theirs)"
        }
    }
}
