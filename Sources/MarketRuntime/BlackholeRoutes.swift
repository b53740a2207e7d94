import Dispatch
import Foundation

/// The routes of `--nemesis-cuts network` on the hosts, over ssh: `ip route replace blackhole
/// ADDR/32` on each host toward every address across the cut, removed at the heal and, for
/// whatever is left, at the end of the run (`removeAll`, which the supervisor calls on every
/// way out: done, failed or interrupted). Changes run one after the other on a queue of their
/// own, the hosts of one change at once, so the event loop never waits on ssh during the run.
final class BlackholeRoutes: @unchecked Sendable {
    private let ssh: SSHCommand
    private let queue = DispatchQueue(label: "market.blackhole-routes")
    private let lock = NSLock()
    /// The addresses each host may blackhole now: what was added, and what a change that
    /// failed may have added.
    private var installed: [String: Set<String>] = [:]

    static let deadline = 10.0

    init(ssh: SSHCommand) {
        self.ssh = ssh
    }

    /// Makes each host blackhole exactly `wanted`'s addresses (a host not named: none), then
    /// calls `done` on the queue with nil, or with the one line that says which host could not
    /// be told.
    func apply(_ wanted: [String: Set<String>], done: @escaping @Sendable (String?) -> Void) {
        queue.async { [self] in
            let now = lock.withLock { installed }
            let hosts = Set(now.keys).union(wanted.keys).sorted()
            var scripts: [(host: String, script: String)] = []
            for host in hosts {
                let have = now[host] ?? [], want = wanted[host] ?? []
                let lines = want.subtracting(have).sorted().map { "ip route replace blackhole \($0)/32" }
                    + have.subtracting(want).sorted().map { "ip route del blackhole \($0)/32" }
                if !lines.isEmpty { scripts.append((host, "set -e; " + lines.joined(separator: "; "))) }
                // Until the host says it is done, it may hold both.
                lock.withLock { installed[host] = have.union(want) }
            }
            let failures = run(scripts)
            lock.withLock {
                for (host, _) in scripts where failures[host] == nil { installed[host] = wanted[host] ?? [] }
                installed = installed.filter { !$0.value.isEmpty }
            }
            done(failures.sorted { $0.key < $1.key }.first.map { "the nemesis cannot change the routes of host \($0.key): \($0.value)" })
        }
    }

    /// Removes every route a change may have left, after any change under way; blocks until
    /// each host answered (or did not, within the deadline). Returns one line per host whose
    /// routes could not be removed.
    func removeAll() -> [String] {
        queue.sync { [self] in
            let left = lock.withLock { installed }
            let scripts = left.sorted { $0.key < $1.key }.map { host, addresses in
                // A route a failed change never added is not there: only the ones left count.
                (host, addresses.sorted().map { "ip route del blackhole \($0)/32 2>/dev/null || true" }.joined(separator: "; ")
                    + "; ! ip route show type blackhole | grep -qwE '" + addresses.sorted()
                    .map { $0.replacingOccurrences(of: ".", with: "\\.") }.joined(separator: "|") + "'")
            }
            let failures = run(scripts)
            lock.withLock { installed = installed.filter { failures[$0.key] != nil } }
            return failures.sorted { $0.key < $1.key }.map { host, why in
                "blackhole routes may be left on host \(host) (\(why)): remove them with ip route del blackhole ADDR/32 "
                    + "for \((left[host] ?? []).sorted().joined(separator: ", "))"
            }
        }
    }

    /// Runs each script on its host at once; what went wrong, by host.
    private func run(_ scripts: [(host: String, script: String)]) -> [String: String] {
        let failures = NSLock()
        nonisolated(unsafe) var failed: [String: String] = [:]
        let executable = ssh.executable
        DispatchQueue.concurrentPerform(iterations: scripts.count) { index in
            let (host, script) = scripts[index]
            let argv = ssh.argv(destination: host, remote: ["sh", "-c", script], connectTimeout: 5)
            let result = try? FinishedProcess.run(argv, executable: executable, deadline: Self.deadline)
            let why: String? = switch result {
            case nil: "ssh could not start"
            case let result? where result.timedOut: "no answer within \(Int(Self.deadline)) s"
            case let result? where result.status != .exited(0):
                "\(result.status): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "")"
            default: nil
            }
            if let why { failures.withLock { failed[host] = why } }
        }
        return failed
    }
}
