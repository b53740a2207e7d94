import Dispatch

/// Whether a peer's host answers: a short ssh login that runs one command. The same login
/// kills every process of the peer there that is not known dead, so that a peer started
/// anew after its host was cut off never runs beside an old self.
enum HostProbe {
    /// Short: a host that does not let ssh in within this long counts as not answering now,
    /// and is asked again a moment later.
    static let connectTimeout = 2
    static let deadline = 5.0

    /// `answer` runs on a global queue with whether the host let ssh in and ran the command.
    static func ask(_ destination: String, killing remotePIDs: [Int32], ssh: SSHCommand,
                    answer: @escaping @Sendable (Bool) -> Void) {
        let pids = remotePIDs.map(String.init).joined(separator: " ")
        let remote = pids.isEmpty ? ["true"] : ["sh", "-c", "kill -KILL \(pids) 2>/dev/null; exit 0"]
        let argv = ssh.argv(destination: destination, remote: remote, connectTimeout: connectTimeout)
        let executable = ssh.executable
        DispatchQueue.global().async {
            let run = try? FinishedProcess.run(argv, executable: executable, deadline: deadline)
            answer(run.map { !$0.timedOut && $0.status == .exited(0) } ?? false)
        }
    }
}
