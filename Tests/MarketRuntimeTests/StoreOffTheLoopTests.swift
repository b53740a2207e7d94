import Foundation
import GRDB
@testable import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketTestKit
import NIOCore
import NIOPosix
import XCTest

/// No store call blocks a peer's event loop: while a commit is slow (held by a test double,
/// or waiting for another connection's write lock), the trader's timers fire, it answers
/// frames and heartbeats its peers; the results come back in the order asked, and what the
/// core asked meanwhile goes to the store together, in the next batch.
final class StoreOffTheLoopTests: XCTestCase {
    /// P0 buys salt, P1 sells it and becomes the trader (the higher id).
    private func pairRun() throws -> (path: String, runID: Int64, directory: RunDirectory) {
        let path = try temporaryDatabasePath()
        let supervisor = try MarketDatabase.open(path: path)
        let runID = try supervisor.beginRun(scenario: "pair", peerCount: 2, seed: 1, peers: [
            PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
        ])
        return (path, runID, try makeRunDirectory())
    }

    private func config(_ id: PeerID, requests: Int = 0) -> PeerConfig {
        PeerConfig(id: id, peers: [0, 1], role: id == 0 ? .buyer : .seller, product: .salt, requests: requests, buyers: [0])
    }

    /// A trader whose every commit waits for the test's word, and a buyer that is the test
    /// itself, on a transport of its own: it sees every frame the trader sends it.
    private final class HeldTrader {
        let node: ShellNode
        let store: HeldStore
        let buyer: TransportNode
        let heard = Watched<[Envelope]>([])
        private var clock: UInt64 = 0

        init(node: ShellNode, store: HeldStore, buyer: TransportNode) {
            self.node = node
            self.store = store
            self.buyer = buyer
        }

        func send(_ message: Message) throws {
            clock = max(clock, heard.value.map(\.clock).max() ?? 0) + 1
            let envelope = Envelope(from: 0, to: 1, clock: clock, message: message)
            try buyer.run { transport in
                transport.send(envelope)
                transport.flush()
            }
        }

        /// A first attempt of P0's request `seq`.
        func buy(_ seq: Int) throws {
            let request = BuyRequest(id: RequestID(buyer: 0, seq: seq), product: .salt, quantity: 1,
                                     lamport: max(clock, heard.value.map(\.clock).max() ?? 0) + 1)
            try send(.buy(request, firstAttempt: true))
        }
    }

    /// The trader in office, its takeover settled, nothing held yet.
    private func heldTrader() throws -> HeldTrader {
        let (path, runID, directory) = try pairRun()
        let held = Watched<HeldStore?>(nil)
        let trader = try makeShellNode(config: config(1), databasePath: path, runID: runID, directory: directory) { store in
            let double = HeldStore(store, loop: MultiThreadedEventLoopGroup.currentEventLoop!, holds: { $0.isCommit })
            held.update { $0 = double }
            return double
        }
        let store = try XCTUnwrap(held.value)
        // Registered after the node's shutdown, so it runs first: nothing is left waiting.
        addTeardownBlock { store.open() }
        let idle = trader.watch(false) { $0.inFlight == nil && $0.persistQueue.isEmpty && $0.peer.isTrader }
        let buyer = try TransportNode(id: 0, peerCount: 2, directory: directory, loop: makeLoops(1)[0])
        let test = HeldTrader(node: trader, store: store, buyer: buyer)
        try buyer.listen { [heard = test.heard] _, envelope in heard.update { $0.append(envelope) } }
        try trader.listen()
        try trader.run { shell in
            shell.handle(.start)
            shell.handle(.command(.startElection))
        }
        XCTAssertTrue(test.heard.wait { $0.contains { $0.message == .coordinator(epoch: 1) } }, "the trader never announced itself")
        XCTAssertTrue(idle.wait { $0 }, "the trader's takeover never settled")
        return test
    }

    func testTheTraderHeartbeatsAndAnswersWhileACommitIsHeld() throws {
        let test = try heldTrader()
        let trader = test.node, store = test.store, heard = test.heard
        defer { store.open() }
        func send(_ message: Message) throws { try test.send(message) }
        func buy(_ seq: Int) throws { try test.buy(seq) }

        // Stable on arrival: decided at once, and its commit is held.
        try buy(0)
        XCTAssertTrue(store.calls.wait { $0.held?.isCommit == true }, "the first buy was never committed")

        // The trader's heartbeat timer still fires, and its heartbeats still go out.
        let heartbeatsBefore = heard.value.filter(\.isHeartbeat).count
        XCTAssertTrue(heard.wait(seconds: 10) { $0.filter(\.isHeartbeat).count >= heartbeatsBefore + 3 },
                      "no heartbeats while a commit was held: the store call blocked the loop")
        let batchesWhileHeld = try trader.run { $0.storeBatches }

        // Frames are read and answered: two more buys (their enqueues must wait for the next
        // batch), then an ELECTION, which a trader answers with OK and COORDINATOR at once.
        try buy(1)
        try buy(2)
        let answeredBefore = heard.value.count
        try send(.election)
        XCTAssertTrue(heard.wait(seconds: 10) { $0.dropFirst(answeredBefore).contains { $0.message == .ok } },
                      "an ELECTION went unanswered while a commit was held")
        XCTAssertEqual(store.calls.value.asked.last?.isCommit, true, "nothing reached the store behind the held commit")
        XCTAssertEqual(try trader.run { $0.persistQueue.flatMap(\.requestIDs) },
                       [RequestID(buyer: 0, seq: 1), RequestID(buyer: 0, seq: 2)],
                       "the enqueues asked meanwhile wait for the next batch")

        // Let the first commit through: its result first, then both enqueues in one batch,
        // then the commit of both, held again.
        let resultsFrom = heard.value.count
        store.release()
        XCTAssertTrue(store.calls.wait { $0.done.filter(\.isCommit).count == 1 && $0.held?.isCommit == true },
                      "the second commit never came")
        XCTAssertTrue(heard.wait { envelopes in envelopes.dropFirst(resultsFrom).filter(\.isAnswer).count >= 3 })
        let answers = heard.value.dropFirst(resultsFrom).filter(\.isAnswer).prefix(3).map(\.message)
        XCTAssertEqual(answers, [.buyResult(RequestID(buyer: 0, seq: 0), .failed(.noSeller)),
                                 .queued(RequestID(buyer: 0, seq: 1)), .queued(RequestID(buyer: 0, seq: 2))],
                       "the results came back out of the order asked")
        let calls = store.calls.value
        // The core decides as each result comes in, as it always did: P0-1 goes to the store
        // before P0-2 is known to be queued.
        XCTAssertEqual(Array(calls.asked.suffix(3).map(\.requestIDs)),
                       [[RequestID(buyer: 0, seq: 1)], [RequestID(buyer: 0, seq: 2)], [RequestID(buyer: 0, seq: 1)]])
        XCTAssertEqual(try trader.run { $0.storeBatches }, batchesWhileHeld + 2,
                       "the two enqueues asked while the commit was held went in one batch")
        XCTAssertEqual(calls.onLoop, [], "the store was called on the peer's event loop")
        store.open()
        XCTAssertTrue(store.calls.wait { $0.done.filter(\.isCommit).count == 2 })
        XCTAssertEqual(trader.failures.value, [])
    }

    /// A stop while a commit is in flight waits for it: the core hears its result before the
    /// ledger is written, as it did when the commit ran within the turn.
    func testAStopWaitsForTheCommitInFlight() throws {
        let test = try heldTrader()
        try test.buy(0)
        XCTAssertTrue(test.store.calls.wait { $0.held?.isCommit == true }, "the buy was never committed")
        // The peer is stopping: its loop waits for the store, as it did before.
        let stopped = test.node.loop.submit { [node = test.node] in
            node.onLoop { shell -> Int? in
                guard (try? shell.stop()) != nil else { return nil }
                return shell.peer.trader?.unconfirmedCount
            }
        }
        test.store.release()
        let unconfirmed = try TransportNode.wait(for: stopped)
        XCTAssertEqual(unconfirmed, 1, "the committed result never reached the core before the ledger was written")
        XCTAssertEqual(test.store.calls.value.done.filter(\.isCommit).count, 1)
        XCTAssertEqual(test.node.failures.value, [])
    }

    /// A restarted peer is restoring its books while their read is with the store thread; a
    /// frame that reaches it then is dropped unread by the core, so `--trace` must not record
    /// it as received (at clock 0, which `market check` would call a broken clock condition).
    func testAFrameDroppedWhileRestoringIsNotTraced() throws {
        let (path, runID, directory) = try pairRun()
        let held = Watched<HeldStore?>(nil)
        let peer = try makeShellNode(config: config(1), databasePath: path, runID: runID, directory: directory,
                                     trace: true) { store in
            let double = HeldStore(store, loop: MultiThreadedEventLoopGroup.currentEventLoop!) {
                if case .loadBooks = $0 { true } else { false }
            }
            held.update { $0 = double }
            return double
        }
        let store = try XCTUnwrap(held.value)
        defer { store.open() }
        try peer.run { $0.handle(.restart) }
        XCTAssertTrue(store.calls.wait { $0.held != nil }, "the restarted peer never asked for its books")
        let frame = Envelope(from: 0, to: 1, clock: 40, message: .heartbeat(epoch: 0, leader: nil))
        let tracedWhileRestoring = try peer.run { shell -> [TracedMessage] in
            shell.handle(.receive(frame))
            return shell.traced
        }
        XCTAssertEqual(tracedWhileRestoring, [], "a frame the core dropped unread was traced as received")

        store.release()
        let up = peer.watch(false) { $0.peer.isUp }
        XCTAssertTrue(up.wait { $0 }, "the peer never came back up with its books")
        let later = Envelope(from: 0, to: 1, clock: 41, message: .heartbeat(epoch: 0, leader: nil))
        let traced = try peer.run { shell -> [TracedMessage] in
            shell.handle(.receive(later))
            return shell.traced
        }
        XCTAssertEqual(traced.map(\.sendClock), [41], "a frame read once up is traced")
        XCTAssertGreaterThan(traced.first?.recvClock ?? 0, 41)
    }

    /// What a peer's core shows the test, looked at on its loop.
    private struct View: Sendable {
        var now: Duration = .zero
        var leader: PeerID?
        var electing = false
        var asking = false
        var answered = 0
        var heardFromTrader: Duration?
    }

    private func view(of node: ShellNode) -> Watched<View> {
        node.watch(View()) { shell in
            View(now: shell.now, leader: shell.peer.leader, electing: shell.peer.electionPhase != .idle,
                 asking: shell.peer.buyer.outstanding != nil,
                 answered: shell.peer.buyer.completed,
                 heardFromTrader: shell.peer.lastHeard[1])
        }
    }

    /// Real SQLite: another connection holds the write lock while the trader commits, and the
    /// trader's own connection waits for it inside SQLite (a long busy timeout: the store call
    /// itself blocks, as a commit waiting on a server does). Its heartbeats keep the buyer
    /// from suspecting it, so nobody starts an election, and the commit lands once the lock
    /// is let go.
    func testHeartbeatsGoOnWhileTheTradersCommitWaitsForAnotherConnectionsLock() throws {
        let (path, runID, directory) = try pairRun()
        let trader = try makeShellNode(config: config(1), databasePath: path, busyTimeout: 120, runID: runID,
                                       directory: directory)
        let buyer = try makeShellNode(config: config(0, requests: 1), databasePath: path, runID: runID, directory: directory)
        let buyerView = view(of: buyer)
        let traderIdle = trader.watch(false) { $0.inFlight == nil && $0.persistQueue.isEmpty && $0.peer.isTrader }
        try trader.listen()
        try buyer.listen()
        // The trader first, alone: the buyer starts only once the lock is held, so its buy
        // is committed under the lock.
        try trader.run { shell in
            shell.handle(.start)
            shell.handle(.command(.startElection))
        }
        XCTAssertTrue(traderIdle.wait { $0 }, "the trader never took office")

        // Another connection takes the write lock, on a thread of its own, until told to let go.
        let holder = try WriteLockHolder(path: path)

        try buyer.run { $0.handle(.start) }
        XCTAssertTrue(buyerView.wait { $0.asking && $0.leader == 1 }, "the buyer never sent its request to the trader")
        let asked = buyerView.value.now
        // Three times the time after which a silent trader is suspected.
        let span = config(0).timing.suspectAfter * 3
        XCTAssertTrue(buyerView.wait(seconds: 30) { ($0.heardFromTrader ?? .zero) >= asked + span },
                      "the buyer stopped hearing from the trader while its commit waited for the lock")
        let during = buyerView.value
        XCTAssertFalse(during.electing, "the buyer started an election")
        XCTAssertEqual(during.leader, 1)
        XCTAssertEqual(during.answered, 0, "the commit cannot have landed under another connection's lock")

        holder.letGo()
        XCTAssertTrue(buyerView.wait { $0.answered == 1 }, "the commit never landed once the lock was let go")
        XCTAssertFalse(buyerView.value.electing)
        let progress = try MarketDatabase.openReadOnly(path: path).progress(runID: runID)
        XCTAssertEqual(progress.decided, 1)
        XCTAssertEqual(progress.elections, 1, "only the trader's own election was held")
        XCTAssertEqual(trader.failures.value + buyer.failures.value, [])
    }
}

extension Envelope {
    var isHeartbeat: Bool {
        if case .heartbeat = message { true } else { false }
    }

    /// What a trader sends a buyer about its requests.
    var isAnswer: Bool {
        switch message {
        case .buyResult, .queued: true
        default: false
        }
    }
}
