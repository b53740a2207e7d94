#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import MarketCore
import MarketStore
import NIOCore
import NIOPosix

/// One peer process: opens the database (one connection), listens on its socket, drives
/// the core, obeys the supervisor, exits when told to or when the supervisor is gone.
public enum PeerProcess {
    /// The exit code of a peer that could not start at all (no scenario, no database, no
    /// socket): restarting it would not help, so the supervisor fails the run.
    public static let cannotStart: Int32 = 2

    public static func run(_ options: PeerOptions) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let parent = getppid()
        let directory = RunDirectory(path: options.directory)
        let scenario: Scenario
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory.scenarioPath))
            scenario = try JSONDecoder().decode(Scenario.self, from: data)
        } catch {
            FileHandle.standardError.write(Data("P\(options.id): cannot read the run's scenario: \(error)\n".utf8))
            return cannotStart
        }
        guard scenario.peers.indices.contains(options.id) else {
            FileHandle.standardError.write(Data("P\(options.id): no such peer in the scenario\n".utf8))
            return cannotStart
        }
        let database: MarketDatabase
        do {
            database = try MarketDatabase.open(path: options.databasePath, durability: options.durability)
        } catch {
            FileHandle.standardError.write(Data("P\(options.id): cannot open the database: \(error)\n".utf8))
            return cannotStart
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let done = loop.makePromise(of: Int32.self)
        loop.execute {
            let session = PeerSession(loop: loop, options: options, scenario: scenario, database: database,
                                      parent: parent, done: done)
            session.start()
        }
        let code = (try? done.futureResult.wait()) ?? 1
        try? group.syncShutdownGracefully()
        return code
    }
}

/// Moves a value to the peer's event loop once, before anything else touches it.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The peer process's state on its event loop.
final class PeerSession {
    let loop: EventLoop
    let options: PeerOptions
    let scenario: Scenario
    let database: MarketDatabase
    let parent: pid_t
    let done: EventLoopPromise<Int32>
    var driver: PeerDriver!
    var control: Channel?
    var logger: Logger
    var finished = false

    init(loop: EventLoop, options: PeerOptions, scenario: Scenario, database: MarketDatabase, parent: pid_t,
         done: EventLoopPromise<Int32>) {
        self.loop = loop
        self.options = options
        self.scenario = scenario
        self.database = database
        self.parent = parent
        self.done = done
        let directory = RunDirectory(path: options.directory)
        let fileSink = LineSink(appendingTo: directory.logPath(for: options.id))
        let verbose = options.verbose
        let peerID = options.id
        logger = Logger(label: "market.peer") { _ in
            var handlers: [any LogHandler] = []
            if let fileSink { handlers.append(PeerLogHandler(sink: fileSink, withTime: true)) }
            if verbose { handlers.append(PeerLogHandler(sink: LineSink(fd: 2, owned: false), withTime: false)) }
            var handler = MultiplexLogHandler(handlers)
            handler[metadataKey: "peer"] = "\(peerID)"
            return handler
        }
    }

    func start() {
        let directory = RunDirectory(path: options.directory)
        let transport = Transport(loop: loop, me: options.id, directory: directory) { [logger] line in
            logger.warning("\(line)")
        }
        driver = PeerDriver(
            loop: loop, config: scenario.config(for: options.id), incarnation: options.incarnation,
            database: database, runID: options.runID, transport: transport,
            logger: logger, trace: options.trace,
            reportSick: { [unowned self] mode in tell(.sick(mode)) },
            fatal: { [unowned self] why in
                logger.error("\(why)")
                tell(.fatal(why))
                finish(3)
            })
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        transport.listen { envelope in
            let session = bound.value
            session.driver.transport.heard(from: envelope.from)
            session.driver.handle(.receive(envelope))
        }
            .flatMap {
                LinePipe.open(on: loop, input: 0, output: 1,
                              onLine: { bound.value.command($0) }, onEnd: { bound.value.supervisorGone() })
            }
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    control = channel
                    driver.reportState = { [unowned self] standing in tell(.state(standing)) }
                    watchParent()
                    driver.log(options.restart ? "restarts after a crash" : "starts")
                    tell(.ready)
                    driver.handle(options.restart ? .restart : .start)
                case .failure(let error):
                    logger.error("cannot start: \(error)")
                    FileHandle.standardError.write(Data("P\(options.id): cannot start: \(error)\n".utf8))
                    finish(PeerProcess.cannotStart)
                }
            }
    }


    /// One report to the supervisor.
    func tell(_ report: PeerReport) {
        control?.writeAndFlush(ByteBuffer(string: report.line + "\n"), promise: nil)
    }

    func command(_ line: String) {
        let command: PeerCommand
        do {
            command = try PeerCommand(line: line)
        } catch {
            driver.log("ignores \(error) from the supervisor")
            return
        }
        switch command {
        case .startElection: driver.handle(.command(.startElection))
        case .recover:
            driver.log("recovers")
            driver.handle(.command(.recover))
        case .stop: stop()
        }
    }

    func stop() {
        guard !finished else { return }
        do {
            let (ledger, clock) = try driver.stop()
            let line = PeerReport.stopped(ledger, finalClock: clock).line + "\n"
            let written = control?.writeAndFlush(ByteBuffer(string: line)) ?? loop.makeSucceededVoidFuture()
            written.hop(to: loop).assumeIsolated().whenComplete { [self] _ in finish(0) }
        } catch {
            logger.error("cannot record the ledger: \(error)")
            tell(.fatal("cannot record the ledger: \(error)"))
            finish(3)
        }
    }

    func supervisorGone() {
        guard !finished else { return }
        driver.log("the supervisor is gone; exiting")
        finish(0)
    }

    func watchParent() {
        loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) { [self] in
            guard !finished else { return }
            if getppid() != parent {
                supervisorGone()
            } else {
                watchParent()
            }
        }
    }

    func finish(_ code: Int32) {
        guard !finished else { return }
        finished = true
        // The socket goes with the peer (a restarted peer binds it again).
        unlink(RunDirectory(path: options.directory).socketPath(for: options.id))
        driver.transport.close().assumeIsolated().whenComplete { [self] _ in
            done.succeed(code)
        }
    }
}
