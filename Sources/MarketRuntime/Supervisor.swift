#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import MarketCore
import MarketStore
import MarketSupervision
import NIOCore
import NIOPosix

/// The supervisor of `market run`: starts one process per live peer, injects and records
/// faults, restarts crashed peers, shows progress, stops the run when it is done (or the
/// time is up, or it is interrupted), and prints the summary with the check's verdict.
///
/// It wires its parts together on one event loop: the peers' processes (`ProcessTable`),
/// the faults and comebacks (`FaultSchedule`, written by `HistoryWriter`), what the user
/// sees (`ProgressLine`), and the summary (`RunReport`). Each peer's state is a `PeerSlot`.
public final class Supervisor {
    /// Runs to the end and returns the process's exit code: 0 only if the run completed and
    /// its check passed.
    public static func run(_ options: RunOptions) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // Every host answers, with the same market, before anything is recorded.
        if let placement = options.placement,
           let first = RemoteHostCheck.problems(hosts: placement.hosts, ssh: options.ssh,
                                                remoteMarket: options.effectiveRemoteMarket).first {
            DescriptorWriter.standardError.write("market run: \(first)\n")
            return 2
        }
        // Peers on this host beside remote ones listen where the remote ones can dial them.
        var localTCPHost: String?
        if let placement = options.placement, placement.hasLocalPeers {
            do {
                localTCPHost = try placement.hosts.first.map { try OutwardAddress.toward(host: $0, ssh: options.ssh) } ?? "127.0.0.1"
            } catch {
                DescriptorWriter.standardError.write("market run: \(error)\n")
                return 2
            }
        }
        // Before the run is recorded: a run that cannot start leaves nothing behind.
        let thread: LoopThread
        do {
            thread = try LoopThread.start()
        } catch {
            DescriptorWriter.standardError.write("market run: \(error)\n")
            return 2
        }
        let writer: MarketDatabase
        let reader: MarketDatabase
        let runID: Int64
        let directory: RunDirectory
        do {
            // Two connections: one that writes (faults, pids; it may wait on a paused peer's
            // write lock) and one that reads progress, which WAL never makes wait.
            writer = try MarketDatabase.open(path: options.databasePath, durability: options.durability)
            reader = try MarketDatabase.open(path: options.databasePath, durability: options.durability)
            let scenario = options.scenario
            UnrecordedEnd.catchUp(writer, databasePath: options.databasePath)
            runID = try writer.beginRun(scenario: scenario.name, peerCount: scenario.peers.count, seed: scenario.seed,
                                        peers: scenario.peers, inFlight: scenario.inFlight ?? 1)
            // A peer over SSH is recorded by the destination it was started at.
            try writer.recordHosts(runID: runID, Dictionary(uniqueKeysWithValues: scenario.peers.filter { !$0.downAtStart }
                .map { ($0.id, options.placement?.recordedHost(of: $0.id) ?? LocalHost.name) }))
            directory = try RunDirectory.create()
            try JSONEncoder().encode(options.scenario).write(to: URL(fileURLWithPath: directory.scenarioPath))
        } catch {
            DescriptorWriter.standardError.write("market run: \(error)\n")
            thread.shutdown()
            return 2
        }

        let header = "run \(runID): scenario \(options.scenario.name), \(options.scenario.peers.count) peers, "
            + "seed \(options.scenario.seed), database \(options.databasePath)"
        (options.json ? DescriptorWriter.standardError : DescriptorWriter.standardOutput).write(header + "\n")

        let loop = thread.loop
        let done = loop.makePromise(of: Int32.self)
        let started = loop.submit {
            let supervisor = Supervisor(loop: loop, options: options, writer: writer, reader: reader, runID: runID,
                                        directory: directory, done: done, localTCPHost: localTCPHost)
            supervisor.start()
            return NIOLoopBound(supervisor, eventLoop: loop)
        }

        // Ctrl-C, SIGTERM and SIGHUP (the terminal went away): stop every peer, mark the run interrupted.
        var sources: [DispatchSourceSignal] = []
        if let bound = try? started.wait() {
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    loop.execute { bound.value.interrupt(signal: number) }
                }
                source.resume()
                sources.append(source)
            }
            // A child stopped or continued from outside is seen when it happens, not on the
            // next poll. (SIGCHLD keeps its default disposition: ignoring it would reap children.)
            let children = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: .global())
            children.setEventHandler {
                loop.execute { bound.value.processes.watchPauses() }
            }
            children.resume()
            sources.append(children)
        }
        let code = (try? done.futureResult.wait()) ?? 1
        sources.forEach { $0.cancel() }
        thread.shutdown()
        return code
    }

    let loop: EventLoop
    let options: RunOptions
    let scenario: Scenario
    let runID: Int64
    let directory: RunDirectory
    let done: EventLoopPromise<Int32>
    /// Reads the run's progress and, at the end, its history.
    let reader: MarketDatabase
    let history: HistoryWriter
    let processes: ProcessTable
    let faults: FaultSchedule
    let progressLine: ProgressLine

    /// Every decision: this shell feeds it events and performs its effects.
    var machine: Supervision
    /// The machine's time is counted from here.
    let startedAt = NIODeadline.now()
    var runningSince: NIODeadline?
    /// Where each peer listens, as it said (`listening`).
    var addresses: [PeerID: PeerAddress] = [:]
    /// Peers were handed the table of addresses: a peer that listens anew from now on is
    /// handed it at once, and its neighbours its new address.
    var addressesHandedOut = false
    /// Cuts and heals links on the schedule (`--nemesis`); nil: no nemesis.
    var nemesis: NemesisDriver?
    /// Where a peer on this host listens in a run over hosts (`OutwardAddress`); nil: none there.
    let localTCPHost: String?

    init(loop: EventLoop, options: RunOptions, writer: MarketDatabase, reader: MarketDatabase, runID: Int64,
         directory: RunDirectory, done: EventLoopPromise<Int32>, localTCPHost: String? = nil) {
        self.loop = loop
        self.localTCPHost = localTCPHost
        self.options = options
        self.scenario = options.scenario
        self.runID = runID
        self.directory = directory
        self.done = done
        self.reader = reader
        let progressLine = ProgressLine(verbose: options.verbose)
        self.progressLine = progressLine
        let shown = NIOLoopBound(progressLine, eventLoop: loop)
        let link = NIOLoopBound(SupervisorLink(), eventLoop: loop)
        history = HistoryWriter(
            database: writer, runID: runID,
            waiting: { message in loop.execute { shown.value.say(message) } },
            failed: { message in loop.execute { link.value.supervisor?.feed(.historyFailed(.record, message)) } })
        faults = FaultSchedule(history: history)
        let live = options.scenario.peers.filter { !$0.downAtStart }.map(\.id)
        processes = ProcessTable(loop: loop, executable: options.executable ?? CurrentExecutable.path, peers: live,
                                 remote: options.placement.map {
                                     RemoteHosts(placement: $0, ssh: options.ssh, market: options.effectiveRemoteMarket,
                                                 preamble: Self.remotePreamble(directory: directory, scenario: options.scenario))
                                 })
        machine = Supervision(config: SupervisionConfig(
            livePeers: live, downAtStart: options.scenario.peers.filter(\.downAtStart).map(\.id),
            firstElection: options.scenario.firstElection, recoverAfter: options.scenario.recoverAfter,
            totalRequests: options.totalRequests, timeLimit: options.effectiveTimeLimit,
            ledgerWait: Self.ledgerWait))
        processes.delegate = self
        link.value.supervisor = self
    }

    /// How long stopping waits for the ledgers: as long as a peer waits out another
    /// connection's lock to write its own, and a little more.
    static let ledgerWait = HistoryWriter.patience + .seconds(5)

    func start() {
        if let plan = options.nemesis {
            let link = NIOLoopBound(self, eventLoop: loop)
            // Real cuts: a host's address is where its peers listen, as they said.
            let network = options.nemesisCuts == .network ? options.placement.map { placement in
                NemesisDriver.NetworkCuts(
                    hosts: HostCuts(placement: placement), routes: BlackholeRoutes(ssh: options.ssh),
                    address: { host in link.value.address(ofHost: host) },
                    failed: { why in link.value.feed(.nemesisFailed(why)) })
            } : nil
            nemesis = NemesisDriver(
                loop: loop, plan: plan, peers: scenario.peers.map(\.id), seed: scenario.seed, history: history,
                network: network,
                tell: { peer, command in link.value.tellNemesis(peer, command) },
                trader: { try? link.value.reader.progress(runID: link.value.runID).leader })
        }
        feed(.launch)
        poll()
    }

    /// The machine's clock: time since the supervisor started.
    var now: Duration { Duration(NIODeadline.now() - startedAt) }

    /// Steps the machine and performs what it asks, in order. What performing an effect
    /// sets off (a pause seen, a write's answer) is fed at once, before the effects after it.
    func feed(_ event: SupervisionEvent) {
        for effect in machine.step(event, now: now) { perform(effect) }
    }

    func perform(_ effect: SupervisionEffect) {
        switch effect {
        case .spawn(let id, let restart):
            guard let slot = processes.slots[id] else { return }
            spawn(slot, restart: restart)
        case .tell(let id, let order):
            if order == .begin, options.transport == .tcp, let slot = processes.slots[id] {
                addressesHandedOut = true
                processes.tell(slot, .addresses(addresses))
            }
            if let slot = processes.slots[id] { processes.tell(slot, PeerCommand(order)) }
            if order == .begin, runningSince == nil {
                runningSince = .now()
                nemesis?.begin()
            }
        case .kill(let id):
            guard let slot = processes.slots[id] else { return }
            let link = NIOLoopBound(self, eventLoop: loop)
            let loop = loop
            processes.forceKill(slot) { pid in
                loop.execute { link.value.feed(.copyKilled(id, pid: pid)) }
            }
        case .probeHost(let id, let copies):
            guard let slot = processes.slots[id], let destination = slot.destination else {
                // Only a peer over ssh can lose its session; a local one's host is this one.
                feed(.hostProbed(id, answered: true))
                return
            }
            let link = NIOLoopBound(self, eventLoop: loop)
            let loop = loop
            HostProbe.ask(destination, killing: copies, ssh: options.ssh) { answered in
                loop.execute { link.value.feed(.hostProbed(id, answered: answered)) }
            }
        case .killAll:
            processes.forceKillAll()
        case .closePipes:
            processes.closePipes()
        case .lookAtPauses:
            processes.watchPauses()
        case .record(let fault, let id):
            faults.record(FaultKind(fault), peer: id)
        case .noteStopping:
            nemesis?.stop()
            let link = NIOLoopBound(self, eventLoop: loop)
            history.noteStopping(on: loop) { link.value.feed(.historyWritten(.stopping)) }
        case .finishRun(let end):
            progressLine.clear()
            do {
                try history.finishRun(RunStatus(end))  // after every fault and pid
            } catch {
                feed(.historyFailed(.end, "\(error)"))
                return
            }
            feed(.historyWritten(.end))
        case .summarize(let end, let problem, let seconds):
            feed(.summarized(passed: summarize(RunStatus(end), problem: problem, seconds: seconds)))
        case .keepUnrecordedEnd(let end, let why):
            keepUnrecordedEnd(RunStatus(end), why: why)
        case .say(let text):
            say(text)
        case .wake(let after, let timer):
            loop.assumeIsolated().scheduleTask(in: TimeAmount(after)) { [self] in feed(.wake(timer)) }
        case .done(let code):
            nemesis?.stop()  // no route left behind, however the run ended
            done.succeed(code)
        }
    }

    func spawn(_ slot: PeerSlot, restart: Bool) {
        var peerOptions = PeerOptions(
            directory: directory.path, id: slot.id, runID: runID, databasePath: options.databasePath,
            durability: options.durability, restart: restart, verbose: options.verbose, trace: options.trace)
        peerOptions.incarnation = slot.starts
        peerOptions.tcpHost = slot.destination == nil ? localTCPHost ?? options.transport.listenHost : options.transport.listenHost
        peerOptions.overSSH = slot.destination != nil
        peerOptions.keepLog = options.keepLogs
        peerOptions.links = options.links
        do {
            try processes.spawn(slot, arguments: peerOptions.arguments)
        } catch {
            feed(.spawnFailed(slot.id, "\(error)"))
            return
        }
        history.recordPID(slot.pid, peer: slot.id)
    }

    /// Every 100 ms: pauses from outside, the run's progress, and the ends of the phases.
    func poll() {
        guard machine.phase != .finished else { return }
        processes.watchPauses()
        if machine.wantsProgress {
            let progress: RunProgress
            do {
                progress = try reader.progress(runID: runID)
            } catch {
                feed(.progressUnreadable("\(error)"))
                return
            }
            progressLine.show(progress, of: options.totalRequests, since: runningSince ?? startedAt,
                              trader: progress.leader.flatMap { machine.peers[$0] })
            feed(.tick(RunTally(decided: progress.decided, pending: progress.pending,
                                undelivered: progress.undelivered, epoch: progress.epoch)))
        } else {
            feed(.tick(nil))
        }
        guard machine.phase != .finished else { return }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { [self] in poll() }
    }

    func say(_ text: String) {
        progressLine.say(text)
    }

    /// The two lines a peer over SSH reads first: the run's secret and the resolved scenario.
    static func remotePreamble(directory: RunDirectory, scenario: Scenario) -> String {
        let json = (try? JSONEncoder().encode(scenario)) ?? Data()
        return RemotePeerStart.secretLine(directory.proof() ?? PeerProof.random()) + RemotePeerStart.scenarioLine(json)
    }

    /// A peer listens at `address`: a restarted one on a new port, which its neighbours must hear of.
    func listening(_ slot: PeerSlot, at address: PeerAddress) {
        addresses[slot.id] = address
        guard options.transport == .tcp, addressesHandedOut else { return }
        processes.tell(slot, .addresses(addresses))
        for other in processes.all where other.id != slot.id {
            processes.tell(other, .addresses([slot.id: address]))
        }
    }
}

extension Supervisor {
    /// The address the peers on `host` listen on.
    func address(ofHost host: String) -> String? {
        for (id, address) in addresses where options.placement?.destinations[id] == host {
            if case .tcp(let address, _) = address { return address }
        }
        return nil
    }

    /// A nemesis command to one peer, or to every peer.
    func tellNemesis(_ peer: PeerID?, _ command: PeerCommand) {
        for slot in processes.all where peer == nil || slot.id == peer {
            processes.tell(slot, command)
        }
    }
}

/// Lets what the supervisor owns reach it back, once it exists.
final class SupervisorLink {
    weak var supervisor: Supervisor?
}

extension Supervisor: ProcessTableDelegate {
    func peer(_ slot: PeerSlot, reported report: PeerReport) {
        switch report {
        case .ready:
            nemesis?.ready(slot.id)
            feed(.peerReady(slot.id))
        case .listening(let address): listening(slot, at: address)
        case .sick(let mode): feed(.peerSick(slot.id, mode))
        case .stopped: feed(.peerStopped(slot.id))
        case .state(let standing): feed(.peerStanding(slot.id, standing))
        case .fatal(let why): feed(.peerFatal(slot.id, why))
        case .resumed: feed(.peerResumed(slot.id))
        case .paused, .continued: break  // the table's: `peerPaused`, `peerContinued`
        case .process(let pid, _):
            history.recordPID(pid, peer: slot.id)
            if slot.destination != nil { feed(.peerProcess(slot.id, pid: pid)) }
        }
    }

    func peer(_ slot: PeerSlot, exited status: ExitStatus) {
        feed(.peerExited(slot.id, PeerExit(status.description, couldNotStart: status == .exited(PeerProcess.cannotStart),
                                           sessionLost: slot.destination != nil && status == .exited(255))))
    }

    func peer(_ slot: PeerSlot, unreachable error: any Error) {
        feed(.peerUnreachable(slot.id, "\(error)"))
    }

    func peerPaused(_ slot: PeerSlot) {
        feed(.peerPaused(slot.id))
    }

    func peerContinued(_ slot: PeerSlot, missedStop: Bool) {
        feed(.peerContinued(slot.id, missedStop: missedStop))
    }
}
