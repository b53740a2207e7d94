#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import MarketCore
import MarketStore
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
                                        peers: scenario.peers)
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
                                        directory: directory, done: done)
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

    enum Phase: Equatable {
        case starting
        case running
        case stopping
        case finished
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

    var phase: Phase = .starting
    let startedAt = NIODeadline.now()
    var runningSince: NIODeadline?
    /// When the end began (`stopAskedAt`), and when the peers were told, once the history has it.
    var stopAskedAt: NIODeadline?
    var stoppingSince: NIODeadline?
    var saidWhatStoppingWaitsFor = false
    var endStatus: RunStatus = .completed
    var problem: String?
    var interruptedBy: Int32?

    init(loop: EventLoop, options: RunOptions, writer: MarketDatabase, reader: MarketDatabase, runID: Int64,
         directory: RunDirectory, done: EventLoopPromise<Int32>) {
        self.loop = loop
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
            failed: { message in loop.execute { link.value.supervisor?.fail(message) } })
        faults = FaultSchedule(loop: loop, recoverAfter: options.scenario.recoverAfter, history: history)
        processes = ProcessTable(loop: loop, executable: options.executable ?? CurrentExecutable.path,
                                 peers: options.scenario.peers.filter { !$0.downAtStart }.map(\.id))
        processes.delegate = self
        link.value.supervisor = self
    }

    func start() {
        for spec in scenario.peers where spec.downAtStart {
            faults.record(.downAtStart, peer: spec.id)
        }
        for spec in scenario.peers where !spec.downAtStart {
            if let slot = processes.slots[spec.id] { spawn(slot, restart: false) }
        }
        poll()
    }

    func spawn(_ slot: PeerSlot, restart: Bool) {
        var peerOptions = PeerOptions(
            directory: directory.path, id: slot.id, runID: runID, databasePath: options.databasePath,
            durability: options.durability, restart: restart, verbose: options.verbose, trace: options.trace)
        peerOptions.incarnation = slot.starts
        do {
            try processes.spawn(slot, arguments: peerOptions.arguments)
        } catch {
            fail("cannot start P\(slot.id): \(error)")
            return
        }
        slot.state = .starting
        slot.killedByUs = false
        slot.startedAt = .now()
        history.recordPID(slot.pid, peer: slot.id)
    }

    var isLive: Bool { phase == .running || phase == .starting }

    /// A process that exits on its own this soon after it started, `maxQuickExits` times in
    /// a row, is failing for a reason a restart does not fix.
    static let quickExit = TimeAmount.seconds(2)
    static let maxQuickExits = 5

    /// Every 100 ms: pauses from outside, the run's progress, and the ends of the phases.
    func poll() {
        guard phase != .finished else { return }
        processes.watchPauses()
        let now = NIODeadline.now()
        switch phase {
        case .starting:
            if now - startedAt > .seconds(20) {
                fail("peers did not start listening within 20 s")
                return
            }
        case .running:
            let progress: RunProgress
            do {
                progress = try reader.progress(runID: runID)
            } catch {
                fail("cannot read the run's progress: \(error)")
                return
            }
            progressLine.show(progress, of: options.totalRequests, since: runningSince ?? startedAt)
            if isDone(progress) {
                beginStopping()
            } else if Duration(now - startedAt) > options.effectiveTimeLimit {
                fail("time limit of \(options.effectiveTimeLimit) reached with \(progress.decided)/\(options.totalRequests) decided, \(progress.pending) pending, \(progress.undelivered) undelivered")
                return
            }
        case .stopping:
            if endStatus == .completed, !saidWhatStoppingWaitsFor, now - (stopAskedAt ?? now) > .seconds(2) {
                saidWhatStoppingWaitsFor = true
                let waiting = processes.all.filter { $0.state == .stopping }.map { "P\($0.id)" }.sorted()
                say(stoppingSince == nil
                    ? "waiting to record that the run is ending (is the database locked?)"
                    : "waiting for the ledgers of \(waiting.joined(separator: ", ")) (is the database locked?)")
            }
            if let since = stoppingSince {
                if endStatus == .completed, now - since > Self.ledgerWait {
                    for slot in processes.all where slot.state == .stopping {
                        ledgerMissing(slot, "did not answer within \(Duration(Self.ledgerWait))")
                        break
                    }
                } else if endStatus != .completed, now - since > .seconds(5) {
                    processes.forceKillAll()
                }
            }
        case .finished:
            return
        }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { [self] in poll() }
    }

    /// The core's rule for a finished run, on what the peers last said of themselves.
    func isDone(_ progress: RunProgress) -> Bool {
        Settlement.isSettled(processes.all.map(\.settledStanding), pending: progress.pending,
                             undelivered: progress.undelivered, storeEpoch: progress.epoch)
    }

    func say(_ text: String) {
        progressLine.say(text)
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
            guard slot.state == .starting else { return }
            slot.state = phase == .stopping ? .stopping : .up
            if phase == .stopping { processes.tell(slot, .stop) }
            if phase == .starting, processes.all.allSatisfy({ $0.state == .up }) {
                phase = .running
                runningSince = .now()
                for slot in processes.all { processes.tell(slot, .begin) }
                if let first = processes.slots[scenario.firstElection] { processes.tell(first, .startElection) }
            }
        case .sick(let mode):
            sick(slot, mode)
        case .stopped:
            slot.state = .stopped
            checkStopped()
        case .state(let standing):
            slot.standing = standing
        case .fatal(let why):
            // A store error a peer cannot get past (disk full, read-only, a damaged schema)
            // would come back after every restart: the run ends now, and says why.
            fail("P\(slot.id) cannot go on: \(why.isEmpty ? "fatal error" : why)")
        case .resumed:
            // A continue is recorded when it is seen: look now, before the peer goes on, or
            // it could win an election before the history says it is up again.
            processes.watchPauses()
            processes.tell(slot, .proceed)
        }
    }

    func sick(_ slot: PeerSlot, _ mode: SickMode) {
        guard isLive else { return }
        slot.state = .sick(mode)
        faults.record(FaultSchedule.kind(of: mode), peer: slot.id)
        switch mode {
        case .silent, .resign:
            let pid = slot.pid
            faults.scheduleRecovery(of: slot, if: { [self] in
                guard slot.pid == pid, case .sick = slot.state, phase == .running else { return false }
                // A peer stopped from outside cannot come back yet: it does when it continues.
                if slot.paused { slot.recoveryDue = true }
                return !slot.paused
            }, comeBack: { [self] in
                comeBack(slot)
            })
        case .crash:
            slot.killedByUs = true
            processes.forceKill(slot)
        }
    }

    func peer(_ slot: PeerSlot, exited status: ExitStatus) {
        switch phase {
        case .stopping, .finished:
            if phase == .stopping, slot.state == .stopping || slot.state == .starting, endStatus == .completed {
                // Told to stop (or about to be) and gone without its ledger: a fault, and the
                // peer is started again to write it (its books are in the store); one that
                // keeps dying fails the run, which cannot be called completed without it.
                say("P\(slot.id) exited while stopping (\(status)); starting it again for its ledger")
                faults.record(.crash, peer: slot.id)
                slot.quickExits += 1
                guard slot.quickExits < Self.maxQuickExits else {
                    slot.state = .stopped
                    ledgerMissing(slot, "exited \(slot.quickExits) times while stopping")
                    return
                }
                faults.record(.recover, peer: slot.id)
                spawn(slot, restart: true)
                return
            }
            slot.state = .stopped
            checkStopped()
        case .starting, .running:
            if status == .exited(PeerProcess.cannotStart) {
                fail("P\(slot.id) could not start (see the message above)")
                return
            }
            var delay: TimeAmount?
            if !slot.killedByUs {
                say("P\(slot.id) exited unexpectedly (\(status)); treating it as a crash")
                faults.record(.crash, peer: slot.id)
                slot.quickExits = NIODeadline.now() - slot.startedAt < Self.quickExit ? slot.quickExits + 1 : 0
                if slot.quickExits >= Self.maxQuickExits {
                    fail("P\(slot.id) exited \(slot.quickExits) times in a row within \(Self.quickExit) of starting; giving up")
                    return
                }
                // Each quick exit in a row doubles the wait before the next start.
                delay = faults.recoverAfter * (1 << slot.quickExits)
            }
            slot.state = .down
            faults.scheduleRecovery(of: slot, after: delay, if: { [self] in slot.state == .down && isLive },
                                    comeBack: { [self] in spawn(slot, restart: true) })
        }
    }

    func peer(_ slot: PeerSlot, unreachable error: any Error) {
        fail("cannot talk to P\(slot.id): \(error)")
    }

    func comeBack(_ slot: PeerSlot) {
        slot.recoveryDue = false
        slot.state = .up
        processes.tell(slot, .recover)
    }

    /// The history holds one `sick` … `recover` span for as long as a peer is sick, stopped
    /// from outside, or both: a pause of a peer already sick adds nothing, and its scheduled
    /// recovery waits until it continues.
    func peerPaused(_ slot: PeerSlot) {
        guard isLive else { return }
        say("P\(slot.id) was stopped from outside; it counts as sick until it continues")
        if case .sick = slot.state { return }
        faults.record(.sick, peer: slot.id)
    }

    func peerContinued(_ slot: PeerSlot, missedStop: Bool) {
        guard isLive else { return }
        if case .sick = slot.state {
            guard slot.recoveryDue else { return }
            faults.record(.recover, peer: slot.id)
            comeBack(slot)
            return
        }
        // A stop and continue between two looks still happened: both go into the history.
        if missedStop { faults.record(.sick, peer: slot.id) }
        faults.record(.recover, peer: slot.id)
    }
}
