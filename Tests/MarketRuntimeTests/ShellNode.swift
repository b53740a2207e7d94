import Foundation
import Logging
import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketTestKit
import NIOCore
import XCTest

/// One peer's `PeerShell` as `market peer` runs it: on an event loop and a store thread of
/// its own, with its own connection to the database; driven from the test's thread.
final class ShellNode: Sendable {
    let loop: EventLoop
    let database: MarketDatabase
    /// Every line the peer logged, and what it told its delegate.
    let lines = Watched<[String]>([])
    let failures = Watched<[String]>([])
    let resumed = Watched(0)
    let sick = Watched<[SickMode]>([])
    private let thread: LoopThread
    private let worker: StoreWorker
    private let bound: NIOLoopBound<PeerShell>
    private let delegate: Recorder
    private let down = Watched(false)

    /// - Parameter tradingPost: what the store requests go to, made from the run's store; nil: the store itself.
    init(config: PeerConfig, databasePath: String, busyTimeout: TimeInterval = MarketDatabase.peerBusyTimeout,
         runID: Int64, directory: RunDirectory, trace: Bool = false,
         tradingPost: (@Sendable (SQLiteStore) -> any TradingPostStore)? = nil) throws {
        database = try MarketDatabase.open(path: databasePath, busyTimeout: busyTimeout, mode: .existing)
        thread = try LoopThread.start()
        worker = try StoreWorker.start()
        loop = thread.loop
        delegate = Recorder(failures: failures, resumed: resumed, sick: sick)
        let logger = Logger(label: "market.test.P\(config.id)") { [lines] _ in LineCollector(lines: lines) }
        let loop = self.loop, database = self.database, worker = self.worker, delegate = self.delegate
        bound = try TransportNode.wait(for: loop.submit {
            let store = database.store(runID: runID)
            let shell = PeerShell(loop: loop, config: config, incarnation: 0, database: database, runID: runID,
                                  worker: worker, tradingPost: tradingPost?(store), directory: directory,
                                  logger: logger, trace: trace)
            shell.delegate = delegate
            return NIOLoopBound(shell, eventLoop: loop)
        })
    }

    /// Runs `body` on the loop and returns what it returned.
    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (PeerShell) -> T) throws -> T {
        try TransportNode.wait(for: loop.submit { [bound] in body(bound.value) })
    }

    /// The shell itself, on its loop only.
    func onLoop<T>(_ body: (PeerShell) -> T) -> T {
        body(bound.value)
    }

    /// Binds the peer's socket.
    func listen() throws {
        try TransportNode.wait(for: loop.flatSubmit { [bound] in bound.value.listen() })
    }

    /// What `view` sees of the shell, looked at on the loop every few milliseconds: state the
    /// test waits on.
    func watch<V: Sendable>(_ initial: V, _ view: @escaping @Sendable (PeerShell) -> V) -> Watched<V> {
        let watched = Watched(initial)
        loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(2)) { [bound] _ in
            let seen = view(bound.value)
            watched.update { $0 = seen }
        }
        return watched
    }

    /// Halts and closes the peer, ends its store thread and its loop; once.
    func shutdown() {
        guard down.update({ state -> Bool in
            defer { state = true }
            return !state
        }) else { return }
        _ = try? TransportNode.wait(for: loop.flatSubmit { [bound] in bound.value.close() })
        worker.shutdown()
        thread.shutdown()
    }

    private final class Recorder: PeerShellDelegate, Sendable {
        let failures: Watched<[String]>
        let resumed: Watched<Int>
        let sick: Watched<[SickMode]>

        init(failures: Watched<[String]>, resumed: Watched<Int>, sick: Watched<[SickMode]>) {
            self.failures = failures
            self.resumed = resumed
            self.sick = sick
        }

        func shell(reportsSick mode: SickMode) { sick.update { $0.append(mode) } }
        func shell(standsAt standing: PeerStanding) {}
        func shellResumed() { resumed.update { $0 += 1 } }
        func shell(failed why: String) { failures.update { $0.append(why) } }
        func shellMayGoOn() -> Bool { true }
    }
}

/// A peer's log lines, kept for the test to wait on.
private struct LineCollector: LogHandler {
    let lines: Watched<[String]>
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.update { $0.append(event.message.description) }
    }
}

extension XCTestCase {
    /// A `ShellNode`, shut down when the test ends, also when it fails.
    func makeShellNode(config: PeerConfig, databasePath: String, busyTimeout: TimeInterval = MarketDatabase.peerBusyTimeout,
                       runID: Int64, directory: RunDirectory, trace: Bool = false,
                       tradingPost: (@Sendable (SQLiteStore) -> any TradingPostStore)? = nil) throws -> ShellNode {
        let node = try ShellNode(config: config, databasePath: databasePath, busyTimeout: busyTimeout, runID: runID,
                                 directory: directory, trace: trace, tradingPost: tradingPost)
        addTeardownBlock { node.shutdown() }
        return node
    }
}
