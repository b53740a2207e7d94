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

/// What `market run` was asked to do.
public struct RunOptions: Sendable {
    public var scenario: Scenario
    public var databasePath: String
    public var durability: Durability
    public var trace: Bool
    public var json: Bool
    public var verbose: Bool
    /// Wall-clock limit of the run; nil: generous, scaled with the number of requests.
    public var timeLimit: Duration?
    /// The binary to start as `market peer`; nil: this one.
    public var executable: String?
    /// Keep the run directory's peer logs at the end (they are kept anyway when a run fails).
    public var keepLogs = false

    public init(scenario: Scenario, databasePath: String, durability: Durability = .normal, trace: Bool = false,
                json: Bool = false, verbose: Bool = false, timeLimit: Duration? = nil, executable: String? = nil) {
        self.scenario = scenario
        self.databasePath = databasePath
        self.durability = durability
        self.trace = trace
        self.json = json
        self.verbose = verbose
        self.timeLimit = timeLimit
        self.executable = executable
    }

    /// Every request the live buyers will make.
    public var totalRequests: Int { scenario.buyers.count * scenario.requestsPerBuyer }

    var effectiveTimeLimit: Duration {
        timeLimit ?? .seconds(30) + .milliseconds(100) * totalRequests
    }
}

/// The supervisor of `market run`: starts one process per live peer, injects and records
/// faults, restarts crashed peers, shows progress, stops the run when it is done (or the
/// time is up, or it is interrupted), and prints the summary with the check's verdict.
public enum Supervisor {
    /// Runs to the end and returns the process's exit code: 0 only if the run completed and
    /// its check passed.
    public static func run(_ options: RunOptions) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
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
            runID = try writer.beginRun(scenario: scenario.name, peerCount: scenario.peers.count, seed: scenario.seed,
                                        peers: scenario.peers)
            directory = try RunDirectory.create()
            let encoder = JSONEncoder()
            try encoder.encode(options.scenario).write(to: URL(fileURLWithPath: directory.scenarioPath))
        } catch {
            FileHandle.standardError.write(Data("market run: \(error)\n".utf8))
            return 2
        }

        let header = "run \(runID): scenario \(options.scenario.name), \(options.scenario.peers.count) peers, "
            + "seed \(options.scenario.seed), database \(options.databasePath)"
        if options.json {
            FileHandle.standardError.write(Data((header + "\n").utf8))
        } else {
            FileHandle.standardOutput.write(Data((header + "\n").utf8))
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let done = loop.makePromise(of: Int32.self)
        let sessionBox = loop.submit {
            let session = SupervisorSession(loop: loop, options: options, writer: writer, reader: reader, runID: runID,
                                            directory: directory, done: done)
            session.start()
            return NIOLoopBound(session, eventLoop: loop)
        }

        // Ctrl-C and SIGTERM: stop every peer, mark the run interrupted.
        var sources: [DispatchSourceSignal] = []
        if let bound = try? sessionBox.wait() {
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    loop.execute { bound.value.interrupt(signal: number) }
                }
                source.resume()
                sources.append(source)
            }
        }
        let code = (try? done.futureResult.wait()) ?? 1
        sources.forEach { $0.cancel() }
        try? group.syncShutdownGracefully()
        return code
    }
}

/// One peer as the supervisor sees it.
final class PeerSlot {
    enum State: Equatable {
        case starting
        case up
        case sick(SickMode)
        /// Its process is gone; it is started again after `recoverAfter`.
        case down
        case stopping
        case stopped
    }

    let id: PeerID
    var pid: pid_t = 0
    var channel: Channel?
    var state: State = .starting
    /// The supervisor killed it (a `crash` sickness), so its exit is no news.
    var killedByUs = false
    var comebackScheduled = false
    /// The peer's own word on where it stands (see `PeerStanding`).
    var standing = PeerStanding(up: false, traderEpoch: nil, finishedBuying: false)
    /// Processes started for this peer so far.
    var starts = 0
    /// Stopped from outside (SIGSTOP) and not continued yet: as good as silently sick.
    var paused = false
    /// The exit status, when the watch for pauses collected it first.
    var collected: ExitStatus?

    init(id: PeerID) {
        self.id = id
    }

    var isAlive: Bool { pid != 0 }
}

final class SupervisorSession {
    enum Phase: Equatable {
        case starting
        case running
        case stopping
        case finished
    }

    let loop: EventLoop
    let options: RunOptions
    let scenario: Scenario
    /// Writes faults and pids, off the loop (`write`).
    let writer: MarketDatabase
    /// Reads the run's progress and, at the end, its history.
    let reader: MarketDatabase
    let runID: Int64
    let directory: RunDirectory
    let done: EventLoopPromise<Int32>
    let executable: String
    var slots: [PeerID: PeerSlot] = [:]
    var phase: Phase = .starting
    let startedAt = NIODeadline.now()
    var runningSince: NIODeadline?
    var lastPlainLine = NIODeadline.distantPast
    let liveLine: Bool
    var liveLineShown = false
    var endStatus: RunStatus = .completed
    var problem: String?
    var interruptedBy: Int32?
    /// Faults recorded in this run, per kind.
    var faults: [FaultKind: Int] = [:]
    /// The supervisor's writes (faults, pids), in order, off the loop.
    let writes = DispatchQueue(label: "market.supervisor.writes")

    init(loop: EventLoop, options: RunOptions, writer: MarketDatabase, reader: MarketDatabase, runID: Int64,
         directory: RunDirectory, done: EventLoopPromise<Int32>) {
        self.loop = loop
        self.options = options
        self.scenario = options.scenario
        self.writer = writer
        self.reader = reader
        self.runID = runID
        self.directory = directory
        self.done = done
        self.executable = options.executable ?? CurrentExecutable.path
        liveLine = isatty(2) == 1 && !options.verbose
    }

    var livePeers: [PeerID] { scenario.peers.filter { !$0.downAtStart }.map(\.id) }

    func start() {
        for spec in scenario.peers where spec.downAtStart {
            record(fault: .downAtStart, peer: spec.id)
        }
        for id in livePeers {
            let slot = PeerSlot(id: id)
            slots[id] = slot
            spawn(slot, restart: false)
        }
        poll()
    }

    // MARK: Processes

    func spawn(_ slot: PeerSlot, restart: Bool) {
        var peerOptions = PeerOptions(
            directory: directory.path, id: slot.id, runID: runID, databasePath: options.databasePath,
            durability: options.durability, restart: restart, verbose: options.verbose, trace: options.trace)
        peerOptions.incarnation = slot.starts
        slot.starts += 1
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable: executable, arguments: peerOptions.arguments)
        } catch {
            fail("cannot start P\(slot.id): \(error)")
            return
        }
        slot.pid = child.pid
        slot.state = .starting
        slot.killedByUs = false
        slot.paused = false
        slot.collected = nil
        slot.channel = nil
        let peerID = slot.id, childPID = child.pid
        write("record P\(peerID)'s pid") { try $0.recordPID(runID: $1, peer: peerID, pid: childPID) }
        let pid = child.pid
        let id = slot.id
        let bound = NIOLoopBound(self, eventLoop: loop)
        NIOPipeBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(NIOSplitUTF8LinesMessageDecoder(omittingEmptySubsequences: true)))
                    try channel.pipeline.syncOperations.addHandler(LineHandler(
                        onLine: { bound.value.line($0, from: id, pid: pid) },
                        onEnd: { bound.value.ended(id, pid: pid) }))
                }
            }
            .takingOwnershipOfDescriptors(input: child.stdoutRead, output: child.stdinWrite)
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if slot.pid == pid { slot.channel = channel } else { channel.close(promise: nil) }
                case .failure(let error):
                    close(child.stdoutRead)
                    close(child.stdinWrite)
                    kill(pid, SIGKILL)
                    fail("cannot talk to P\(slot.id): \(error)")
                }
            }
    }

    func tell(_ slot: PeerSlot, _ command: PeerCommand) {
        slot.channel?.writeAndFlush(ByteBuffer(string: command.line + "\n"), promise: nil)
    }

    /// A line from a peer's stdout. A line that is not a report is ignored: the peer runs
    /// this same binary, so it can only be a stray write.
    func line(_ text: String, from id: PeerID, pid: pid_t) {
        guard let slot = slots[id], slot.pid == pid, let report = try? PeerReport(line: text) else { return }
        switch report {
        case .ready:
            guard slot.state == .starting else { return }
            slot.state = phase == .stopping ? .stopping : .up
            if phase == .stopping { tell(slot, .stop) }
            if phase == .starting, livePeers.allSatisfy({ slots[$0]?.state == .up }) {
                phase = .running
                runningSince = .now()
                if let first = slots[scenario.firstElection] { tell(first, .startElection) }
            }
        case .sick(let mode):
            sick(slot, mode)
        case .stopped:
            slot.state = .stopped
            checkStopped()
        case .state(let standing):
            slot.standing = standing
        case .fatal(let why):
            say("P\(id): \(why.isEmpty ? "fatal error" : why)")
        }
    }

    func sick(_ slot: PeerSlot, _ mode: SickMode) {
        guard phase == .running || phase == .starting else { return }
        slot.state = .sick(mode)
        switch mode {
        case .silent:
            record(fault: .sick, peer: slot.id)
            scheduleRecovery(slot)
        case .resign:
            record(fault: .resign, peer: slot.id)
            scheduleRecovery(slot)
        case .crash:
            record(fault: .crash, peer: slot.id)
            slot.killedByUs = true
            kill(slot.pid, SIGKILL)
        }
    }

    func scheduleRecovery(_ slot: PeerSlot) {
        slot.comebackScheduled = true
        let pid = slot.pid
        loop.assumeIsolated().scheduleTask(in: TimeAmount(scenario.recoverAfter)) { [self] in
            slot.comebackScheduled = false
            guard slot.pid == pid, case .sick = slot.state, phase == .running else { return }
            record(fault: .recover, peer: slot.id)
            slot.state = .up
            tell(slot, .recover)
        }
    }

    /// A peer's stdout closed: its process ended (or is about to). Reaps it.
    func ended(_ id: PeerID, pid: pid_t) {
        guard let slot = slots[id], slot.pid == pid else { return }
        reap(pid, attempts: 0) { [self] status in
            guard slot.pid == pid else { return }
            slot.pid = 0
            slot.channel = nil
            switch phase {
            case .stopping, .finished:
                if slot.state != .stopped { slot.state = .stopped }
                checkStopped()
            case .starting, .running:
                if status == .exited(PeerProcess.cannotStart) {
                    fail("P\(id) could not start (see the message above)")
                    return
                }
                if !slot.killedByUs {
                    say("P\(id) exited unexpectedly (\(status)); treating it as a crash")
                    record(fault: .crash, peer: id)
                }
                slot.state = .down
                slot.comebackScheduled = true
                loop.assumeIsolated().scheduleTask(in: TimeAmount(scenario.recoverAfter)) { [self] in
                    slot.comebackScheduled = false
                    guard slot.state == .down, phase == .running || phase == .starting else { return }
                    record(fault: .recover, peer: id)
                    spawn(slot, restart: true)
                }
            }
        }
    }

    /// Waits for a process to be a zombie and collects it; SIGKILL after two seconds.
    func reap(_ pid: pid_t, attempts: Int, then: @escaping (ExitStatus) -> Void) {
        if let slot = slots.values.first(where: { $0.pid == pid }), let status = slot.collected {
            then(status)
            return
        }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == pid || (result < 0 && errno == ECHILD) {
            then(ExitStatus(raw: raw))
            return
        }
        if attempts == 400 { kill(pid, SIGKILL) }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(5)) { [self] in
            reap(pid, attempts: attempts + 1, then: then)
        }
    }

    // MARK: Watching

    /// A peer stopped from outside (SIGSTOP, Ctrl-Z on it) is silently sick for as long as
    /// it stays stopped, and the history says so: `sick` when it stops, `recover` when it
    /// continues. Only the supervisor can see this (`waitpid` with WUNTRACED | WCONTINUED).
    func watchPauses() {
        for slot in slots.values where slot.isAlive && slot.collected == nil {
            var raw: Int32 = 0
            let result = waitpid(slot.pid, &raw, WNOHANG | WUNTRACED | WCONTINUED)
            guard result == slot.pid else { continue }
            if raw & 0xff == 0x7f {
                guard !slot.paused else { continue }
                slot.paused = true
                if phase == .running || phase == .starting {
                    say("P\(slot.id) was stopped from outside; it counts as sick until it continues")
                    record(fault: .sick, peer: slot.id)
                }
            } else if raw == 0xffff {
                guard slot.paused else { continue }
                slot.paused = false
                if phase == .running || phase == .starting { record(fault: .recover, peer: slot.id) }
            } else {
                slot.collected = ExitStatus(raw: raw)
            }
        }
    }

    func poll() {
        guard phase != .finished else { return }
        watchPauses()
        let now = NIODeadline.now()
        switch phase {
        case .starting:
            if now - startedAt > .seconds(20) {
                fail("peers did not start listening within 20 s")
                return
            }
        case .running:
            let snapshot: RunProgress
            do {
                snapshot = try reader.progress(runID: runID)
            } catch {
                fail("cannot read the run's progress: \(error)")
                return
            }
            show(snapshot)
            if isDone(snapshot) {
                beginStopping()
            } else if Duration(now - startedAt) > options.effectiveTimeLimit {
                fail("time limit of \(options.effectiveTimeLimit) reached with \(snapshot.decided)/\(options.totalRequests) decided, \(snapshot.pending) pending, \(snapshot.undelivered) undelivered")
                return
            }
        case .stopping:
            if now - (stoppingSince ?? now) > .seconds(5) {
                for slot in slots.values where slot.isAlive { kill(slot.pid, SIGKILL) }
            }
        case .finished:
            return
        }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { [self] in poll() }
    }

    /// The core's rule for a finished run, on what the peers last said of themselves.
    func isDone(_ snapshot: RunProgress) -> Bool {
        let standings = slots.values.map { slot in
            slot.state == .up && !slot.comebackScheduled && !slot.paused ? slot.standing : nil
        }
        return Settlement.isSettled(standings, pending: snapshot.pending, undelivered: snapshot.undelivered,
                                    storeEpoch: snapshot.epoch)
    }

    func show(_ snapshot: RunProgress) {
        let seconds = Duration(NIODeadline.now() - (runningSince ?? startedAt)).seconds
        let rate = seconds > 0 ? Double(snapshot.decided) / seconds : 0
        let trader = snapshot.leader.map { "P\($0)" } ?? "none"
        let text = "buys \(snapshot.decided)/\(options.totalRequests) · \(String(format: "%.0f", rate))/s · "
            + "trader \(trader) epoch \(snapshot.epoch) · elections \(snapshot.elections)"
            + (snapshot.pending > 0 ? " · pending \(snapshot.pending)" : "")
        if liveLine {
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
            liveLineShown = true
        } else if NIODeadline.now() - lastPlainLine > .seconds(3) {
            lastPlainLine = .now()
            FileHandle.standardError.write(Data("progress: \(text)\n".utf8))
        }
    }

    /// A line for the user on stderr, not torn by the live line.
    func say(_ text: String) {
        if liveLineShown {
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            liveLineShown = false
        }
        FileHandle.standardError.write(Data("market run: \(text)\n".utf8))
    }

    // MARK: Ending

    var stoppingSince: NIODeadline?

    func beginStopping() {
        guard phase == .running || phase == .starting else { return }
        phase = .stopping
        stoppingSince = .now()
        for slot in slots.values {
            switch slot.state {
            case .up, .sick:
                slot.state = .stopping
                tell(slot, .stop)
            case .starting:
                break  // told to stop when it is ready
            case .down, .stopping, .stopped:
                break
            }
        }
        checkStopped()
    }

    func checkStopped() {
        guard phase == .stopping else { return }
        guard slots.values.allSatisfy({ !$0.isAlive || $0.state == .stopped || $0.state == .down }) else { return }
        // Every ledger is written (or its peer is gone); wait for the processes to exit.
        if slots.values.contains(where: \.isAlive) { return }
        finish()
    }

    func fail(_ why: String) {
        guard phase != .finished, phase != .stopping || endStatus == .completed else { return }
        say(why)
        problem = why
        endStatus = .failed
        abandon()
    }

    func interrupt(signal number: Int32) {
        guard phase != .finished else { return }
        if interruptedBy != nil {
            // A second Ctrl-C: no more waiting.
            for slot in slots.values where slot.isAlive { kill(slot.pid, SIGKILL) }
            return
        }
        interruptedBy = number
        say("interrupted; stopping every peer")
        problem = "interrupted by signal \(number)"
        endStatus = .interrupted
        abandon()
    }

    /// Ends the run without waiting for ledgers: every peer's stdin closes, so it exits;
    /// whoever is still there after two seconds is killed.
    func abandon() {
        phase = .stopping
        stoppingSince = .now()
        for slot in slots.values {
            slot.state = .stopped
            slot.channel?.close(promise: nil)
        }
        loop.assumeIsolated().scheduleTask(in: .seconds(2)) { [self] in
            for slot in slots.values where slot.isAlive { kill(slot.pid, SIGKILL) }
        }
        checkStopped()
    }

    func finish() {
        guard phase != .finished else { return }
        phase = .finished
        if liveLineShown {
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            liveLineShown = false
        }
        writes.sync {}  // every fault and pid is written before the run is marked
        do {
            try writer.finishRun(runID: runID, status: endStatus)
        } catch {
            say("cannot mark the run \(endStatus.rawValue): \(error)")
        }
        // The history as the store has it, with the check's verdict (`market check`).
        let history: Result<RunInspection, any Error> = Result { try reader.inspect(runID: runID, head: 0, trades: 0) }
        let report = makeReport(history: history)
        if endStatus == .failed || options.keepLogs {
            say("peer logs kept in \(directory.path)")
            directory.removeSockets()
        } else {
            directory.remove()
        }
        if endStatus != .interrupted || options.json {
            FileHandle.standardOutput.write(Data(((options.json ? report.json() : report.text()) + "\n").utf8))
        }
        let code: Int32 = switch endStatus {
        case .completed: report.passed ? 0 : 1
        case .interrupted: 128 + (interruptedBy ?? SIGINT)
        default: 1
        }
        done.succeed(code)
    }

    func makeReport(history read: Result<RunInspection, any Error>) -> RunReport {
        let history = try? read.get()
        var violations: [String] = []
        var verdict: String?
        if endStatus == .completed {
            switch read {
            case .success(let history):
                violations = history.check.items.flatMap { item in item.violations.map { "\(item.name): \($0)" } }
                verdict = history.check.verdict
            case .failure(let error):
                violations = ["the check could not run: \(error)"]
            }
        }
        let seconds = Duration(NIODeadline.now() - (runningSince ?? startedAt)).seconds
        let progress = try? reader.progress(runID: runID)
        let peers = scenario.peers.map { spec in
            let row = history?.peers.first { $0.peer == spec.id }
            return RunReport.PeerLine(
                peer: spec.id, role: spec.role.rawValue, product: spec.product.rawValue, downAtStart: spec.downAtStart,
                tradedEpochs: (history?.elections ?? []).filter { $0.winner == spec.id }.map(\.epoch),
                bought: row?.bought, sold: row?.sold, cashCents: row?.cashCents, finalClock: row?.finalClock.map { Int($0) })
        }
        let decided = progress?.decided ?? 0
        return RunReport(
            runID: runID, scenario: scenario.name, seed: scenario.seed, database: options.databasePath,
            status: endStatus.rawValue, seconds: seconds, requests: options.totalRequests,
            made: decided + (progress?.pending ?? 0), decided: decided,
            bought: progress?.bought ?? 0, failed: progress?.failed ?? 0, takeovers: progress?.takeovers ?? 0,
            decidedPerSecond: seconds > 0 ? Double(decided) / seconds : 0,
            peers: peers,
            elections: (history?.elections ?? []).map {
                RunReport.ElectionLine(epoch: $0.epoch, winner: $0.winner, initiator: $0.initiator ?? -1, reason: $0.reason ?? "")
            },
            faults: faults, violations: violations, problem: problem, check: verdict,
            passed: endStatus == .completed && violations.isEmpty)
    }

    func record(fault: FaultKind, peer: PeerID) {
        faults[fault, default: 0] += 1
        let now = Date()  // when it happened, not when the write gets the lock
        write("record a \(fault.rawValue) of P\(peer)") { try $0.recordFault(runID: $1, peer: peer, kind: fault, at: now) }
    }

    /// Writes the supervisor's records in order, off the event loop: while a paused peer
    /// holds SQLite's write lock, a write waits (up to the store's busy timeout), and the
    /// supervisor must go on watching, showing progress and answering signals meanwhile.
    func write(_ what: String, _ body: @escaping @Sendable (MarketDatabase, Int64) throws -> Void) {
        let writer = writer, runID = runID
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        writes.async {
            do {
                try body(writer, runID)
            } catch {
                let message = "cannot \(what): \(error)"
                loop.execute { bound.value.say(message) }
            }
        }
    }
}
