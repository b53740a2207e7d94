#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MarketCore
import NIOCore

/// What the supervisor hears from `ProcessTable`, on the event loop.
protocol ProcessTableDelegate: AnyObject {
    func peer(_ slot: PeerSlot, reported report: PeerReport)
    /// The process ended and is reaped; `slot.pid` is 0 again.
    func peer(_ slot: PeerSlot, exited status: ExitStatus)
    /// Its pipes could not be set up; the process is killed.
    func peer(_ slot: PeerSlot, unreachable error: any Error)
    /// Stopped from outside (SIGSTOP, Ctrl-Z on it).
    func peerPaused(_ slot: PeerSlot)
    /// Continued after a pause; `missedStop`: the stop itself came and went between two looks.
    func peerContinued(_ slot: PeerSlot, missedStop: Bool)
}

/// The supervisor's peer processes: starts each with its two pipes, tells it commands,
/// kills and reaps it, and watches for pauses from outside. Only the event loop's thread
/// touches it.
final class ProcessTable {
    let loop: EventLoop
    let executable: String
    /// One slot per live peer, for the whole run (a restart reuses the slot).
    let slots: [PeerID: PeerSlot]
    weak var delegate: ProcessTableDelegate?
    /// How peers on other hosts are reached, and where `market` is there.
    let remote: RemoteHosts?

    init(loop: EventLoop, executable: String, peers: [PeerID], remote: RemoteHosts? = nil) {
        self.loop = loop
        self.executable = executable
        self.remote = remote
        slots = Dictionary(uniqueKeysWithValues: peers.map { ($0, PeerSlot(id: $0)) })
        for slot in slots.values { slot.destination = remote?.placement.remoteDestination(of: slot.id) }
    }

    var all: Dictionary<PeerID, PeerSlot>.Values { slots.values }

    /// Starts a process for `slot` (`market peer` with `arguments`) and connects its pipes.
    func spawn(_ slot: PeerSlot, arguments: [String]) throws {
        let child: ChildProcess
        var preamble: String?
        if let destination = slot.destination, let remote {
            let argv = remote.ssh.argv(destination: destination, remote: ["exec", remote.market] + arguments, session: true)
            child = try ChildProcess.spawn(executable: remote.ssh.executable, arguments: Array(argv.dropFirst()))
            preamble = remote.preamble
        } else {
            child = try ChildProcess.spawn(executable: executable, arguments: arguments)
        }
        slot.remotePID = nil
        slot.resumeHeld = false
        slot.starts += 1
        slot.pid = child.pid
        slot.paused = false
        slot.collected = nil
        slot.channel = nil
        let pid = child.pid
        let bound = NIOLoopBound(self, eventLoop: loop)
        LinePipe.open(on: loop, input: child.stdoutRead, output: child.stdinWrite,
                      onLine: { bound.value.heard($0, from: slot, pid: pid) },
                      onEnd: { bound.value.ended(slot, pid: pid) })
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard slot.pid == pid else {
                        channel.close(promise: nil)
                        return
                    }
                    // Before any command: a peer over SSH reads these two lines first.
                    if let preamble { channel.writeAndFlush(ByteBuffer(string: preamble), promise: nil) }
                    slot.channel = channel
                case .failure(let error):
                    close(child.stdoutRead)
                    close(child.stdinWrite)
                    kill(pid, SIGKILL)
                    delegate?.peer(slot, unreachable: error)
                }
            }
    }

    func tell(_ slot: PeerSlot, _ command: PeerCommand) {
        slot.channel?.writeAndFlush(ByteBuffer(string: command.line + "\n"), promise: nil)
    }

    /// SIGKILL, no questions asked. `confirmed` hears (on the event loop) the PID of a remote
    /// process the kill over ssh got to.
    func forceKill(_ slot: PeerSlot, confirmed: ((Int32) -> Void)? = nil) {
        signal(slot, SIGKILL, confirmed: confirmed)
    }

    /// Every peer at once: a remote peer's session is ended too, so that nothing waits on a
    /// host that cannot be reached (its peer leaves when the session ends).
    func forceKillAll() {
        for slot in slots.values {
            forceKill(slot)
            if slot.destination != nil, slot.isAlive { kill(slot.pid, SIGKILL) }
        }
    }

    /// Sends `number` to the peer's process, wherever it runs (`PeerSignal`). A remote host
    /// that cannot be told of a kill has the peer's session ended instead.
    func signal(_ slot: PeerSlot, _ number: Int32, confirmed: ((Int32) -> Void)? = nil) {
        let bound = NIOLoopBound(slot, eventLoop: loop)
        let pid = slot.pid
        let loop = self.loop
        let heard = confirmed.map { NIOLoopBound($0, eventLoop: loop) }
        PeerSignal.send(number, to: slot, ssh: remote?.ssh ?? SSHCommand(words: ["ssh"]), delivered: { remotePID in
            loop.execute { heard?.value(remotePID) }
        }) { _ in
            guard number == SIGKILL else { return }
            loop.execute {
                if bound.value.pid == pid { kill(pid, SIGKILL) }
            }
        }
    }

    /// Tells every peer to leave and closes its stdin (and stdout): each exits when it sees the end.
    func closePipes() {
        for slot in slots.values {
            guard let channel = slot.channel else { continue }
            channel.writeAndFlush(ByteBuffer(string: PeerCommand.leave.line + "\n")).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    /// A line from a peer's stdout. A line that is not a report is ignored: the peer runs
    /// this same binary, so it can only be a stray write.
    private func heard(_ line: String, from slot: PeerSlot, pid: pid_t) {
        guard slot.pid == pid, let report = try? PeerReport(line: line) else { return }
        if case .process(let remotePID, let log) = report, slot.destination != nil {
            slot.remotePID = remotePID
            slot.remoteLog = log
        }
        if slot.destination != nil, remotePause(report, of: slot) { return }
        delegate?.peer(slot, reported: report)
    }

    /// What a remote peer's host says of its pauses (`PauseWatch`), as `watchPauses` sees a
    /// local one's; true when the report is dealt with.
    private func remotePause(_ report: PeerReport, of slot: PeerSlot) -> Bool {
        switch report {
        case .paused:
            guard !slot.paused else { return true }
            slot.paused = true
            delegate?.peerPaused(slot)
        case .continued:
            guard slot.paused else { return true }
            slot.paused = false
            delegate?.peerContinued(slot, missedStop: false)
            releaseResume(slot)
        case .resumed where slot.paused:
            slot.resumeHeld = true
            // A watch that never says `continued` (gone with its host's /proc) holds it no longer than this.
            let pid = slot.pid
            loop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
                if slot.pid == pid { releaseResume(slot) }
            }
        default:
            return false
        }
        return true
    }

    private func releaseResume(_ slot: PeerSlot) {
        guard slot.resumeHeld else { return }
        slot.resumeHeld = false
        delegate?.peer(slot, reported: .resumed)
    }

    /// A peer's stdout closed: its process ended (or is about to). Reaps it.
    private func ended(_ slot: PeerSlot, pid: pid_t) {
        guard slot.pid == pid else { return }
        reap(slot, pid: pid, attempts: 0) { [self] status in
            guard slot.pid == pid else { return }
            slot.pid = 0
            slot.channel = nil
            delegate?.peer(slot, exited: status)
        }
    }

    /// Waits for a process to be a zombie and collects it; SIGKILL after two seconds.
    private func reap(_ slot: PeerSlot, pid: pid_t, attempts: Int, then: @escaping (ExitStatus) -> Void) {
        if slot.pid == pid, let status = slot.collected {
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
            reap(slot, pid: pid, attempts: attempts + 1, then: then)
        }
    }

    /// A peer stopped from outside (SIGSTOP, Ctrl-Z on it) is silently sick for as long as
    /// it stays stopped. Only the supervisor can see this (`waitpid` with WUNTRACED |
    /// WCONTINUED); it looks when SIGCHLD says a child changed, and on every poll. An exit
    /// seen here is kept for `reap`.
    func watchPauses() {
        for slot in slots.values where slot.isAlive && slot.collected == nil {
            var raw: Int32 = 0
            let result = waitpid(slot.pid, &raw, WNOHANG | WUNTRACED | WCONTINUED)
            guard result == slot.pid else { continue }
            if raw & 0xff == 0x7f {
                guard !slot.paused else { continue }
                slot.paused = true
                delegate?.peerPaused(slot)
            } else if raw == 0xffff {
                let missedStop = !slot.paused
                slot.paused = false
                delegate?.peerContinued(slot, missedStop: missedStop)
            } else {
                slot.collected = ExitStatus(raw: raw)
            }
        }
    }
}
