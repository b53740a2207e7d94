#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// How a signal reaches a peer's process: `kill` here, or `ssh DEST kill -SIG PID` on the
/// host of a peer started over SSH. One path for every peer, so a crash, a pause or a
/// continue of a remote peer is the same act as of a local one.
enum PeerSignal {
    /// Sends `signal` to `slot`'s process; `unreachable` runs (on a global queue) when a
    /// remote host could not be told, with what went wrong, and `delivered` with the remote
    /// PID when it was.
    static func send(_ signal: Int32, to slot: PeerSlot, ssh: SSHCommand,
                     delivered: @escaping @Sendable (Int32) -> Void = { _ in },
                     unreachable: @escaping @Sendable (String) -> Void) {
        guard slot.isAlive else { return }
        guard let destination = slot.destination else {
            kill(slot.pid, signal)
            return
        }
        guard let remotePID = slot.remotePID else {
            // Not yet said which process it is: for a kill, ending its session is the only
            // way, and a peer whose supervisor's session ends leaves at once.
            if signal == SIGKILL { kill(slot.pid, SIGKILL) }
            return
        }
        let argv = ssh.argv(destination: destination, remote: ["kill", "-\(name(of: signal))", String(remotePID)])
        let executable = ssh.executable
        DispatchQueue.global().async {
            let run = try? FinishedProcess.run(argv, executable: executable, deadline: 10)
            guard let run, run.status == .exited(0) else {
                unreachable(run.map { $0.timedOut ? "no answer within 10 s" : "\($0.status): \($0.errors.trimmingCharacters(in: .whitespacesAndNewlines))" }
                            ?? "ssh could not start")
                return
            }
            delivered(remotePID)
        }
    }

    /// The name `kill -NAME` takes, the same in every shell.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGKILL: "KILL"
        case SIGSTOP: "STOP"
        case SIGCONT: "CONT"
        case SIGTERM: "TERM"
        default: String(signal)
        }
    }
}
