import Dispatch

/// Whether a peer's host answers: a short ssh login that runs one command. The same login
/// kills the peer's last process there, if it still runs, so that a peer started anew after
/// its host was cut off never runs beside its old self.
enum HostProbe {
    /// Short: a host that does not let ssh in within this long counts as not answering now,
    /// and is asked again a moment later.
    static let connectTimeout = 2
    static let deadline = 5.0

    /// `answer` runs on a global queue with whether the host let ssh in and ran the command.
    static func ask(_ destination: String, killing remotePID: Int32?, ssh: SSHCommand,
                    answer: @escaping @Sendable (Bool) -> Void) {
        let remote = remotePID.map { ["sh", "-c", "kill -KILL \($0) 2>/dev/null; exit 0"] } ?? ["true"]
        let argv = ssh.argv(destination: destination, remote: remote, connectTimeout: connectTimeout)
        let executable = ssh.executable
        DispatchQueue.global().async {
            let run = try? FinishedProcess.run(argv, executable: executable, deadline: deadline)
            answer(run.map { !$0.timedOut && $0.status == .exited(0) } ?? false)
        }
    }
}
