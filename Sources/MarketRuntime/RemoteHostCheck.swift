import Dispatch
import Foundation

/// Before a run over `--hosts` records anything: every host is logged into once, all at
/// once, and asked for `market --version` at the remote path. A host that cannot be reached,
/// refuses the key, has no `market` there, or has another version is said in one line that
/// names it, and the run does not start.
public enum RemoteHostCheck {
    /// How long one host may take to answer, login included.
    static let deadline = 20.0

    /// Each host's problem, in the order of `hosts`; empty when every host is fit.
    public static func problems(hosts: [String], ssh: SSHCommand, remoteMarket: String) -> [String] {
        let found = ProblemList(count: hosts.count)
        DispatchQueue.concurrentPerform(iterations: hosts.count) { index in
            found.set(index, problem(host: hosts[index], ssh: ssh, remoteMarket: remoteMarket))
        }
        return found.all
    }

    static func problem(host: String, ssh: SSHCommand, remoteMarket: String) -> String? {
        let run: FinishedProcess
        do {
            run = try FinishedProcess.run(ssh.argv(destination: host, remote: ["exec", remoteMarket, "--version"]),
                                          executable: ssh.executable, deadline: deadline)
        } catch {
            return "host \(host): \(error)"
        }
        if run.timedOut { return "host \(host) did not answer over ssh within \(Int(deadline)) s" }
        let said = lastLine(run.errors)
        switch run.status {
        case .exited(0):
            let version = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
            guard version == MarketVersion.current else {
                return "host \(host) runs market \(version.isEmpty ? "(no version)" : "'\(version)'") at \(remoteMarket), "
                    + "but this supervisor is \(MarketVersion.current): install the same market on every host"
            }
            return nil
        case .exited(255):
            if said.contains("Permission denied") || said.contains("Too many authentication failures") {
                return "host \(host) refuses the ssh key (\(said)): add your public key to its authorized_keys"
            }
            return "host \(host) cannot be reached over ssh: \(said.isEmpty ? "ssh exit 255" : said)"
        case .exited(126), .exited(127):
            return "host \(host) has no market at \(remoteMarket) (\(said.isEmpty ? "exit \(run.status)" : said)): "
                + "install it there or name it with --remote-market"
        default:
            let detail = said.isEmpty ? "\(run.status)" : said
            return "host \(host): '\(remoteMarket) --version' failed (\(detail))"
        }
    }

    private static func lastLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
}

private final class ProblemList: @unchecked Sendable {
    private let lock = NSLock()
    private var problems: [String?]

    init(count: Int) { problems = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ problem: String?) { lock.withLock { problems[index] = problem } }
    var all: [String] { lock.withLock { problems.compactMap { $0 } } }
}
