import MarketTestKit
import XCTest
@testable import MarketCore

/// Drives one `Peer` through its public `step` API at given (virtual) times and keeps what
/// the last step returned, so tests read like a message sequence chart.
final class PeerHarness {
    var peer: Peer
    /// Effects of the last step only.
    private(set) var effects: [Effect] = []
    /// Virtual time of the last step.
    private(set) var now: Duration = .zero

    init(_ config: PeerConfig) {
        peer = Peer(config: config)
    }

    convenience init(
        id: PeerID, peers: [PeerID], role: Role = .seller, product: Product = .salt, requests: Int = 0,
        quantity: Int = 1, initialStock: Int = 100, restock: Int = 100, priceCents: Int = 100,
        commissionPercent: Int = 10, sickRate: Double = 0, sickMode: SickMode = .silent, seed: UInt64 = 0,
        maxBatch: Int = 256, stabilityRule: OrderBook.StabilityRule = .lamport, buyers: Set<PeerID>? = nil,
        inFlight: Int = 1
    ) {
        var config = PeerConfig(
            id: id, peers: peers, role: role, product: product, requests: requests, quantity: quantity,
            initialStock: initialStock, restock: restock, priceCents: priceCents,
            commissionPercent: commissionPercent, sickRate: sickRate, sickMode: sickMode, timing: Self.timing,
            seed: seed, maxBatch: maxBatch, stabilityRule: stabilityRule, buyers: buyers)
        config.inFlight = inFlight
        self.init(config)
    }

    /// The timeouts these tests are written against, pinned so the defaults may change.
    static let timing = Timing(
        heartbeat: .milliseconds(100), suspectAfter: .milliseconds(800), electionTimeout: .milliseconds(300),
        coordinatorTimeout: .milliseconds(1000), requestTimeout: .milliseconds(1500), depositTimeout: .milliseconds(1000))

    var id: PeerID { peer.id }
    var timing: Timing { peer.config.timing }

    /// The store's leader record, as the peer reads it (`.readLeader`, answered within the
    /// same step). Nil: the record backs whatever the first held frame claims, as an honest
    /// run's store does (every epoch is claimed before it is announced).
    var leaderRecord: (epoch: Epoch, leader: PeerID?)?
    /// How many times the peer read the leader record.
    private(set) var leaderReads = 0
    /// Whether the store finds the trader's lease live when the peer asks (`.readLease`,
    /// answered within the same step from what the peer knows): lapsed unless a test says so,
    /// so a silent trader costs the election it always did.
    var leaseLive = false
    /// The leader record the lease answer carries; nil: the epoch and trader the peer knows.
    var leaseRecord: (epoch: Epoch, leader: PeerID?)?
    /// How many times the peer asked the store for the lease.
    private(set) var leaseReads = 0

    /// Steps one event at `time` (default: the time of the last step).
    @discardableResult
    func step(_ event: Event, at time: Duration? = nil) -> [Effect] {
        if let time { now = time }
        var out = peer.step(event, now: now)
        while let index = out.firstIndex(of: .persist(.readLeader)) {
            out.remove(at: index)
            leaderReads += 1
            let claim = peer.heldFrames.first?.leaderClaim(beyond: peer.knownEpoch, leader: peer.leader)
            let record = leaderRecord ?? (claim?.epoch ?? peer.knownEpoch, claim?.leader ?? peer.leader)
            out += peer.step(.persisted(.leaderRecord(epoch: record.epoch, leader: record.leader)), now: now)
        }
        while let index = out.firstIndex(of: .persist(.readLease)) {
            out.remove(at: index)
            leaseReads += 1
            let record = leaseRecord ?? (peer.knownEpoch, peer.leader)
            out += peer.step(.persisted(.lease(epoch: record.epoch, leader: record.leader, live: leaseLive)), now: now)
        }
        effects = out
        return effects
    }

    @discardableResult
    func start(at time: Duration = .zero) -> [Effect] { step(.start, at: time) }

    /// Delivers `message` from `from`, stamped `clock`.
    @discardableResult
    func receive(_ message: Message, from: PeerID, clock: UInt64, at time: Duration? = nil) -> [Effect] {
        step(.receive(Envelope(from: from, to: id, clock: clock, message: message)), at: time)
    }

    @discardableResult
    func fire(_ timer: PeerTimer, at time: Duration? = nil) -> [Effect] { step(.timer(timer), at: time) }

    @discardableResult
    func command(_ command: Command, at time: Duration? = nil) -> [Effect] { step(.command(command), at: time) }

    @discardableResult
    func persisted(_ result: StoreResult, at time: Duration? = nil) -> [Effect] { step(.persisted(result), at: time) }

    /// A heartbeat from `from` carrying what it believes.
    @discardableResult
    func heartbeat(from: PeerID, clock: UInt64, epoch: Epoch = 0, leader: PeerID? = nil, at time: Duration? = nil) -> [Effect] {
        receive(.heartbeat(epoch: epoch, leader: leader), from: from, clock: clock, at: time)
    }

    // MARK: Canned sequences

    /// Starts the highest peer and makes it the trader of `epoch` (its first claim is
    /// refused with `epoch - 1` when `epoch > 1`), loading `takeover`. Every other peer
    /// has been heard at `time`, with a heartbeat stamped `othersClock`.
    static func trader(
        id: PeerID = 3, peers: [PeerID] = [0, 1, 2, 3], epoch: Epoch = 1, takeover: Takeover? = nil,
        othersClock: UInt64 = 1, at time: Duration = .zero, role: Role = .seller, product: Product = .boar,
        quantity: Int = 1, priceCents: Int = 100, commissionPercent: Int = 10, sickRate: Double = 0,
        sickMode: SickMode = .silent, maxBatch: Int = 256, stabilityRule: OrderBook.StabilityRule = .lamport,
        buyers: Set<PeerID>? = nil, inFlight: Int = 1,
        file: StaticString = #filePath, line: UInt = #line
    ) -> PeerHarness {
        precondition(peers.allSatisfy { $0 <= id }, "the trader is the highest peer here")
        let harness = PeerHarness(
            id: id, peers: peers, role: role, product: product, quantity: quantity, priceCents: priceCents,
            commissionPercent: commissionPercent, sickRate: sickRate, sickMode: sickMode, maxBatch: maxBatch,
            stabilityRule: stabilityRule, buyers: buyers, inFlight: inFlight)
        harness.start(at: time)
        for other in peers where other != id {
            harness.heartbeat(from: other, clock: othersClock)
        }
        harness.command(.startElection)
        if epoch > 1 {
            XCTAssertEqual(harness.persists.first?.claim?.epoch, 1, file: file, line: line)
            harness.persisted(.claimRefused(current: epoch - 1))
        }
        guard let claim = harness.persists.first?.claim else {
            XCTFail("no claim after the election", file: file, line: line)
            return harness
        }
        XCTAssertEqual(claim.epoch, epoch, file: file, line: line)
        harness.persisted(.claimed(claim))
        XCTAssertEqual(harness.persists, [.loadTakeover(epoch: epoch)], file: file, line: line)
        harness.persisted(.takeover(takeover ?? Takeover(epoch: epoch)))
        XCTAssertTrue(harness.peer.isTrader, file: file, line: line)
        return harness
    }

    /// A follower of `leader` in `epoch`, learnt from the leader's COORDINATOR at `time`.
    static func follower(
        id: PeerID, peers: [PeerID] = [0, 1, 2, 3], leader: PeerID = 3, epoch: Epoch = 1, leaderClock: UInt64 = 5,
        role: Role = .seller, product: Product = .salt, requests: Int = 0, initialStock: Int = 100, restock: Int = 100,
        seed: UInt64 = 0, inFlight: Int = 1, at time: Duration = .zero
    ) -> PeerHarness {
        let harness = PeerHarness(
            id: id, peers: peers, role: role, product: product, requests: requests, initialStock: initialStock,
            restock: restock, seed: seed, inFlight: inFlight)
        harness.start(at: time)
        harness.receive(.coordinator(epoch: epoch), from: leader, clock: leaderClock)
        return harness
    }
}

// MARK: Reading effects

extension Array where Element == Effect {
    var sends: [Envelope] {
        compactMap { if case .send(let envelope) = $0 { envelope } else { nil } }
    }

    /// Messages sent to `peer`, in order.
    func sent(to peer: PeerID) -> [Message] {
        sends.filter { $0.to == peer }.map(\.message)
    }

    /// Distinct messages sent, in order (a broadcast counts once).
    var messages: [Message] {
        var seen: [Message] = []
        for envelope in sends where !seen.contains(envelope.message) {
            seen.append(envelope.message)
        }
        return seen
    }

    /// Recipients of `message`, sorted.
    func recipients(of message: Message) -> [PeerID] {
        sends.filter { $0.message == message }.map(\.to).sorted()
    }

    /// Store requests, less the election notes and lease renewals (bookkeeping for the leader
    /// record; see `electionNotes`, `leaseRenewals`).
    var persists: [StoreRequest] {
        compactMap {
            if case .persist(let request) = $0, request.electionNote == nil, request.abandonedElection == nil,
               request.leaseRenewal == nil { request } else { nil }
        }
    }

    /// The epochs whose lease the trader renewed, with the term asked.
    var leaseRenewals: [(epoch: Epoch, term: Duration)] {
        compactMap { if case .persist(let request) = $0 { request.leaseRenewal } else { nil } }
    }

    var abandonedElections: [PeerID] {
        compactMap { if case .persist(let request) = $0 { request.abandonedElection } else { nil } }
    }

    var electionNotes: [PeerID] {
        compactMap { if case .persist(let request) = $0 { request.electionNote } else { nil } }
    }

    var timersSet: [PeerTimer: Duration] {
        var timers: [PeerTimer: Duration] = [:]
        for case .setTimer(let timer, let after) in self { timers[timer] = after }
        return timers
    }

    var timersCancelled: [PeerTimer] {
        compactMap { if case .cancelTimer(let timer) = $0 { timer } else { nil } }
    }

    var sickness: [SickMode] {
        compactMap { if case .fellSick(let mode) = $0 { mode } else { nil } }
    }

    var buys: [BuyRequest] {
        var requests: [BuyRequest] = []
        for envelope in sends {
            if case .buy(let request, _) = envelope.message, !requests.contains(request) { requests.append(request) }
        }
        return requests
    }

    var commits: [DecisionBatch] {
        persists.compactMap { if case .commitDecisions(let batch) = $0 { batch } else { nil } }
    }

    var logs: [String] {
        compactMap { if case .log(let line) = $0 { line } else { nil } }
    }

    var enqueues: [BuyRequest] {
        persists.compactMap { if case .enqueue(let request, _) = $0 { request } else { nil } }
    }
}

extension PeerHarness {
    var sends: [Envelope] { effects.sends }
    var persists: [StoreRequest] { effects.persists }
    func sent(to peer: PeerID) -> [Message] { effects.sent(to: peer) }
}

extension StoreRequest {
    var electionNote: PeerID? {
        if case .noteElectionStarted(let peer, _, _) = self { return peer }
        return nil
    }

    var abandonedElection: PeerID? {
        if case .noteElectionAbandoned(let peer) = self { return peer }
        return nil
    }

    var claim: ElectionClaim? {
        if case .claimEpoch(let claim) = self { return claim }
        return nil
    }
}

extension Duration {
    static func ms(_ value: Int) -> Duration { .milliseconds(value) }
}
