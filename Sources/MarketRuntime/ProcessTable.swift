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

    init(loop: EventLoop, executable: String, peers: [PeerID]) {
        self.loop = loop
        self.executable = executable
        slots = Dictionary(uniqueKeysWithValues: peers.map { ($0, PeerSlot(id: $0)) })
    }

    var all: Dictionary<PeerID, PeerSlot>.Values { slots.values }

    /// Starts a process for `slot` (`market peer` with `arguments`) and connects its pipes.
    func spawn(_ slot: PeerSlot, arguments: [String]) throws {
        let child = try ChildProcess.spawn(executable: executable, arguments: arguments)
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
                    if slot.pid == pid { slot.channel = channel } else { channel.close(promise: nil) }
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

    /// SIGKILL, no questions asked.
    func forceKill(_ slot: PeerSlot) {
        guard slot.isAlive else { return }
        kill(slot.pid, SIGKILL)
    }

    func forceKillAll() {
        for slot in slots.values { forceKill(slot) }
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
        delegate?.peer(slot, reported: report)
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
