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

/// One peer process (`market peer`): opens the database (one connection), runs the peer in
/// its `PeerShell`, obeys the supervisor over its stdin and stdout, and exits when told to
/// or when the supervisor is gone. Everything but `run` happens on its one event loop.
public final class PeerProcess {
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
            DescriptorWriter.standardError.write("P\(options.id): cannot read the run's scenario: \(error)\n")
            return cannotStart
        }
        guard scenario.peers.indices.contains(options.id) else {
            DescriptorWriter.standardError.write("P\(options.id): no such peer in the scenario\n")
            return cannotStart
        }
        // Before the database: a peer that cannot start has not touched it.
        let thread: LoopThread
        do {
            thread = try LoopThread.start()
        } catch {
            DescriptorWriter.standardError.write("P\(options.id): cannot start: \(error)\n")
            return cannotStart
        }
        let worker: StoreWorker
        do {
            worker = try StoreWorker.start()
        } catch {
            DescriptorWriter.standardError.write("P\(options.id): cannot start: \(error)\n")
            thread.shutdown()
            return cannotStart
        }
        let database: MarketDatabase
        do {
            // The supervisor created the file: a peer opens it only if it is still there.
            database = try MarketDatabase.open(
                path: options.databasePath, durability: options.durability, busyTimeout: MarketDatabase.peerBusyTimeout,
                mode: .existing, applicationName: "market P\(options.id) run \(options.runID)")
        } catch {
            DescriptorWriter.standardError.write("P\(options.id): cannot open the database: \(error)\n")
            worker.shutdown()
            thread.shutdown()
            return cannotStart
        }

        let loop = thread.loop
        let done = loop.makePromise(of: Int32.self)
        loop.execute {
            PeerProcess(loop: loop, options: options, scenario: scenario, database: database, worker: worker,
                        parent: parent, done: done).start()
        }
        let code = (try? done.futureResult.wait()) ?? 1
        // The store thread first: its last answer may still be on its way to the loop.
        worker.shutdown()
        thread.shutdown()
        return code
    }

    let loop: EventLoop
    let options: PeerOptions
    let directory: RunDirectory
    /// The supervisor's pid: when it changes, the supervisor is gone.
    let parent: pid_t
    let done: EventLoopPromise<Int32>
    let logger: Logger
    let database: MarketDatabase
    let shell: PeerShell
    /// The pipe to the supervisor (stdin and stdout), once it is open.
    var supervisor: Channel?
    /// The supervisor said every peer is listening, and the core started.
    var begun = false
    /// The ledger is written and the supervisor told: the peer only waits to be let go.
    var stopped = false
    var finished = false
    /// The supervisor said `leave` before closing the pipe: it is alive and keeps the directory.
    var toldToLeave = false
    /// The supervisor died: nobody else will remove the run's directory.
    var orphaned = false
    /// A restarted peer's core got `Event.restart`.
    var restarted = false

    init(loop: EventLoop, options: PeerOptions, scenario: Scenario, database: MarketDatabase, worker: StoreWorker,
         parent: pid_t, done: EventLoopPromise<Int32>) {
        self.loop = loop
        self.options = options
        self.directory = RunDirectory(path: options.directory)
        self.parent = parent
        self.done = done
        self.database = database
        logger = PeerLogHandler.logger(for: options.id, file: directory.logPath(for: options.id), verbose: options.verbose)
        shell = PeerShell(
            loop: loop, config: scenario.config(for: options.id), incarnation: options.incarnation,
            database: database, runID: options.runID, worker: worker, directory: directory, tcpHost: options.tcpHost,
            logger: logger, trace: options.trace)
        shell.delegate = self
        if !options.links.isClear {
            // Each peer and each of its starts draws its own delays, all from the run's seed.
            var seeds = SplitMix64.derive(scenario.seed, UInt64(options.id) << 20 | UInt64(options.incarnation))
            shell.transport.shape(options.links, seed: seeds.next())
        }
    }

    func start() {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        shell.listen()
            .flatMap { address in
                LinePipe.open(on: loop, input: 0, output: 1,
                              onLine: { bound.value.command($0) }, onEnd: { bound.value.supervisorGone() })
                    .map { ($0, address) }
            }
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let (channel, address)):
                    supervisor = channel
                    shell.startReportingStanding()
                    watchParent()
                    if options.overSSH {
                        tell(.process(pid: getpid(), log: directory.logPath(for: options.id)))
                        PauseWatch.start(executable: CurrentExecutable.path)
                    }
                    tell(.listening(address))
                    tell(.ready)
                    // Over TCP, neighbours' addresses come from the supervisor: a restarted
                    // peer that spoke before it had them would take everyone for gone.
                    if options.restart, options.tcpHost == nil { restart() }
                case .failure(let error):
                    logger.error("cannot start: \(error)")
                    DescriptorWriter.standardError.write("P\(options.id): cannot start: \(error)\n")
                    finish(PeerProcess.cannotStart)
                }
            }
    }

    /// A restarted peer's core starts (`Event.restart`), once.
    func restart() {
        guard !restarted else { return }
        restarted = true
        shell.log("restarts after a crash")
        shell.handle(.restart)
    }

    /// One report to the supervisor.
    func tell(_ report: PeerReport) {
        supervisor?.writeAndFlush(ByteBuffer(string: report.line + "\n"), promise: nil)
    }

    func command(_ line: String) {
        let command: PeerCommand
        do {
            command = try PeerCommand(line: line)
        } catch {
            shell.log("ignores \(error) from the supervisor")
            return
        }
        switch command {
        case .begin:
            // Only now is every neighbour listening: a peer that started its clock earlier
            // would take the slow start of the others for silence, and their missing sockets
            // for crashes.
            guard !begun, !options.restart else { return }
            begun = true
            shell.log("starts")
            shell.handle(.start)
        case .proceed: shell.proceed()
        case .startElection: shell.handle(.command(.startElection))
        case .recover:
            shell.log("recovers")
            shell.handle(.command(.recover))
        case .stop: stop()
        case .nemesis(let links):
            shell.transport.cut(links)
        case .addresses(let table):
            shell.transport.learn(table)
            if options.restart { restart() }
        case .leave:
            // The run ends without ledgers (a failure, an interrupt): nothing more to do in it.
            toldToLeave = true
            shell.halt()
        }
    }

    /// Writes the ledger and says so, then waits for the supervisor to close the pipe: the
    /// sockets stay open until every peer has stopped, so no peer still running sees another
    /// one's orderly exit as a crash (`Event.peerGone`).
    func stop() {
        guard !finished, !stopped else { return }
        do {
            let (ledger, clock) = try shell.stop()
            stopped = true
            tell(.stopped(ledger, finalClock: clock))
        } catch {
            logger.error("cannot record the ledger: \(error)")
            tell(.fatal("cannot record the ledger: \(error)"))
            finish(3)
        }
    }

    func supervisorGone() {
        guard !finished else { return }
        if stopped {
            // Let go after the ledger: the supervisor keeps or removes the directory.
        } else if toldToLeave {
            shell.log("told to leave; exiting")
        } else if options.overSSH {
            // A session can end with the supervisor alive (a link lost, a kill the host could
            // not be told of): only the supervisor says when the run ends, and this peer leaves.
            shell.log("the session to the supervisor ended; exiting")
            shell.halt()
        } else {
            shell.log("the supervisor is gone; exiting, and removing what the run left behind")
            orphaned = true
            shell.halt()
            noteStopping()
        }
        finish(0)
    }

    /// Nobody will say the run ended, so the first peer to see it does, before it leaves:
    /// whatever its leaving sets off in the others then comes after the run's end.
    func noteStopping() {
        do {
            try shell.persevering(true) { [database, runID = options.runID] in try database.noteStopping(runID: runID) }
        } catch {
            shell.log("could not record that the run is ending: \(error)")
        }
    }

    /// The supervisor closed this peer's stdin (or is gone), whether or not the line saying
    /// so has been read yet.
    var supervisorHungUp: Bool {
        var entry = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return getppid() != parent || (poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLHUP) != 0)
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
        unlink(directory.socketPath(for: options.id))
        if orphaned { directory.removeAfterPeer(options.id) }
        // Over SSH the directory is this host's own: after a run that ended well (the ledger
        // written, then let go) it goes unless the user keeps logs; otherwise the log stays for
        // the user (the next run on this host removes it) and the secret goes with the peer.
        if options.overSSH {
            if stopped, !options.keepLog { directory.remove() } else { unlink(directory.secretPath) }
        }
        shell.close().assumeIsolated().whenComplete { [self] _ in
            done.succeed(code)
        }
    }
}

extension PeerProcess: PeerShellDelegate {
    func shell(reportsSick mode: SickMode) {
        tell(.sick(mode))
    }

    func shell(standsAt standing: PeerStanding) {
        tell(.state(standing))
    }

    func shellResumed() {
        tell(.resumed)
    }

    func shell(failed why: String) {
        logger.error("\(why)")
        tell(.fatal(why))
        finish(3)
    }

    func shellMayGoOn() -> Bool {
        guard !finished, !stopped, !toldToLeave else { return false }
        guard supervisorHungUp else { return true }
        loop.assumeIsolated().execute { [self] in supervisorGone() }
        return false
    }
}
