import Foundation
import MarketPostgresServer
#if canImport(Glibc)
import Glibc
#endif

/// A set of hosts on this machine made by `tools/hosts.sh`: network namespaces host1 … hostN
/// and a control namespace joined by a bridge of their own, each host running its own sshd,
/// and a client key and ssh_config with which the control namespace logs in with no prompt.
///
/// The set is the test process's: its prefix names the process (PID and start time), a
/// watchdog removes it when the process ends however it ends, and a set whose process died
/// with its watchdog is found and removed by the next fixture made (as the private PostgreSQL
/// server's are).
public final class NamespacedHosts: @unchecked Sendable {
    /// Names the set's namespaces (PREFIX-ctl, PREFIX-net, PREFIX-host1 …) and its directory.
    public let prefix: String
    /// Keys, configs, pid files and sshd logs.
    public let directory: String
    /// host1 … hostN.
    public let hosts: [String]

    public var sshConfig: String { directory + "/ssh_config" }
    public var controlNamespace: String { namespace(of: "ctl") }
    public static let controlAddress = "10.77.0.254"

    /// `tools/hosts.sh`, found from this file's place in the repository.
    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/hosts.sh").path

    private let lock = NSLock()
    private var watchdog: Process?
    private var watchdogPipe: Pipe?
    private let watchdogEnded = DispatchSemaphore(value: 0)
    private var removed = false

    static let parent = "/tmp"
    private static let counterLock = NSLock()
    private nonisolated(unsafe) static var made = 0
    private static let sharedLock = NSLock()
    private nonisolated(unsafe) static var sharedResult: Result<NamespacedHosts, any Error>?

    /// Three hosts for the tests that only look (log in, connect, read routes), made on first
    /// use and kept until the process ends, when the watchdog removes them; every later call
    /// throws what the first did. A test that cuts a link or removes a set makes its own.
    public static func shared() throws -> NamespacedHosts {
        try sharedLock.withLock {
            if let sharedResult { return try sharedResult.get() }
            let result = Result { try NamespacedHosts(hosts: 3) }
            sharedResult = result
            return try result.get()
        }
    }

    /// `count` hosts, each answering `ssh true` from the control namespace when this returns.
    /// Throws `NamespacedHostsUnavailable` where hosts cannot be made (not root, no network
    /// namespaces, no sshd after trying to install it). With `ownerPID` another process's set is
    /// made (a test plays a dead owner), and with `watchdog` false only `remove()` or
    /// `removeAbandoned()` takes it away.
    public init(hosts count: Int, ownerPID: Int32 = getpid(), watchdog: Bool = true, loginDeadline: TimeInterval = 30) throws {
        Self.removeAbandoned()
        let number = Self.counterLock.withLock { () -> Int in
            Self.made += 1
            return Self.made
        }
        prefix = "mt-\(ownerPID)-\(ProcessStart.ticks(of: ownerPID) ?? "0")-\(number)"
        directory = Self.directory(of: prefix)
        hosts = (1...max(count, 1)).map { "host\($0)" }
        if watchdog { try startWatchdog() }
        do {
            // A first set may install openssh-server: minutes, not seconds.
            let up = try Self.runScript(["up", "\(count)"], prefix: prefix, deadline: 600)
            if up.status == 3, !up.timedOut {
                throw NamespacedHostsUnavailable(reason: Self.lastLine(up.errors) ?? "tools/hosts.sh cannot make hosts here")
            }
            guard up.succeeded else {
                throw NamespacedHostsFailed(description: "tools/hosts.sh up \(count) failed: \(up)")
            }
            try waitForLogins(deadline: loginDeadline)
        } catch {
            _ = remove()
            throw error
        }
    }

    public func namespace(of member: String) -> String { "\(prefix)-\(member)" }

    /// 10.77.0.K for hostK, `controlAddress` for ctl.
    public func address(of member: String) -> String {
        member == "ctl" ? Self.controlAddress : "10.77.0.\(member.dropFirst("host".count))"
    }

    /// Runs `argv` in the control namespace (where a supervisor would run).
    public func inControl(_ argv: [String], deadline: TimeInterval = 30) throws -> FinishedCommand {
        try inNamespace(of: "ctl", argv, deadline: deadline)
    }

    /// Runs `argv` in a member's namespace directly, not over ssh.
    public func inNamespace(of member: String, _ argv: [String], deadline: TimeInterval = 30) throws -> FinishedCommand {
        try FinishedCommand.run(["ip", "netns", "exec", namespace(of: member)] + argv, deadline: deadline)
    }

    /// Runs the shell command `command` on `host` over ssh from the control namespace.
    public func ssh(_ host: String, _ command: String, connectTimeout: Int = 5, deadline: TimeInterval = 30) throws -> FinishedCommand {
        try inControl(["ssh", "-F", sshConfig, "-o", "ConnectTimeout=\(connectTimeout)", host, command], deadline: deadline)
    }

    /// Runs `tools/hosts.sh` with `arguments` on this set (`status`, `up N` again, `exec …`).
    public func hostsScript(_ arguments: [String], deadline: TimeInterval = 60) throws -> FinishedCommand {
        try Self.runScript(arguments, prefix: prefix, deadline: deadline)
    }

    /// Takes the host's link down: nothing reaches it and nothing leaves it.
    public func cut(_ member: String) throws {
        let run = try Self.runScript(["cut", member], prefix: prefix, deadline: 30)
        guard run.succeeded else { throw NamespacedHostsFailed(description: "tools/hosts.sh cut \(member) failed: \(run)") }
    }

    public func heal(_ member: String) throws {
        let run = try Self.runScript(["heal", member], prefix: prefix, deadline: 30)
        guard run.succeeded else { throw NamespacedHostsFailed(description: "tools/hosts.sh heal \(member) failed: \(run)") }
    }

    /// The set's namespaces that exist now.
    public func namespacesLeft() throws -> [String] {
        try Self.namespaces().filter { Self.prefix(ofNamespace: $0) == prefix }
    }

    /// Removes the set now (the watchdog does it; without one, `tools/hosts.sh down`);
    /// nil when it is gone, else what went wrong. Calling it again does nothing.
    @discardableResult
    public func remove() -> String? {
        let first = lock.withLock { () -> Bool in
            defer { removed = true }
            return !removed
        }
        guard first else { return nil }
        if let status = closeWatchdog(), status == 0 { return nil }
        do {
            let down = try Self.runScript(["down"], prefix: prefix, deadline: 60)
            return down.succeeded ? nil : "tools/hosts.sh down failed: \(down)"
        } catch {
            return "\(error)"
        }
    }

    /// Closes the watchdog's pipe, as the end of this process would, and waits for it to finish
    /// removing the set; its exit status (that of `tools/hosts.sh down`), nil without a watchdog.
    @discardableResult
    public func closeWatchdog() -> Int32? {
        let (process, pipe) = lock.withLock { () -> (Process?, Pipe?) in
            defer {
                watchdog = nil
                watchdogPipe = nil
            }
            return (watchdog, watchdogPipe)
        }
        guard let process, let pipe else { return nil }
        try? pipe.fileHandleForWriting.close()
        // Not waitUntilExit: its run loop was seen waiting for ever on a child that had exited.
        guard watchdogEnded.wait(timeout: .now() + 120) == .success else { return nil }
        return process.terminationStatus
    }

    /// Removes every set whose owner process is gone (a test process killed with its watchdog);
    /// returns their prefixes.
    @discardableResult
    public static func removeAbandoned() -> [String] {
        let names = (try? namespaces()) ?? []
        let directories = ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
            .filter { $0.hasPrefix(directoryName) }.map { String($0.dropFirst(directoryName.count)) }
        var removed: [String] = []
        for prefix in Set(names.compactMap(prefix(ofNamespace:)) + directories).sorted() {
            guard let owner = prefix.firstMatch(of: #/^mt-([0-9]+)-([0-9]+)-[0-9]+$/#),
                  let pid = Int32(owner.1), !ProcessStart.isAlive(pid, started: owner.2 == "0" ? nil : String(owner.2)) else { continue }
            if (try? runScript(["down"], prefix: prefix, deadline: 60))?.succeeded == true { removed.append(prefix) }
        }
        return removed
    }

    // MARK: - Inside

    private static let directoryName = "market-hosts-"

    static func directory(of prefix: String) -> String { "\(parent)/\(directoryName)\(prefix)" }

    /// The set a fixture's namespace belongs to: "mt-1-2-3-host4" → "mt-1-2-3".
    static func prefix(ofNamespace name: String) -> String? {
        name.firstMatch(of: #/^(mt-[0-9]+-[0-9]+-[0-9]+)-(ctl|net|host[0-9]+)$/#).map { String($0.1) }
    }

    static func namespaces() throws -> [String] {
        let list = try FinishedCommand.run(["ip", "netns", "list"], deadline: 30)
        guard list.succeeded else { throw NamespacedHostsFailed(description: "ip netns list failed: \(list)") }
        return list.output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    static func runScript(_ arguments: [String], prefix: String, deadline: TimeInterval) throws -> FinishedCommand {
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw NamespacedHostsFailed(description: "\(script) is missing")
        }
        return try FinishedCommand.run(["bash", script] + arguments, environment: environment(prefix), deadline: deadline)
    }

    private static func environment(_ prefix: String) -> [String: String] {
        ["MARKET_HOSTS_PREFIX": prefix, "MARKET_HOSTS_DIR": directory(of: prefix)]
    }

    /// Polls `ssh host true` on every host, all hosts at once (a login is mostly waiting), until
    /// each has let the control namespace in; the first host that did not is the error.
    private func waitForLogins(deadline seconds: TimeInterval) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        let problems = Watched([String: String]())
        let logins = DispatchGroup()
        for host in hosts {
            DispatchQueue.global().async(group: logins) { [self] in
                if let problem = firstLogin(host, before: deadline) { problems.update { $0[host] = problem } }
            }
        }
        logins.wait()
        if let host = hosts.first(where: { problems.value[$0] != nil }), let problem = problems.value[host] {
            throw NamespacedHostsFailed(description: problem)
        }
    }

    /// Nil once `ssh host true` succeeds; what went wrong when it did not by `deadline`.
    private func firstLogin(_ host: String, before deadline: Date) -> String? {
        while true {
            let login: FinishedCommand
            do {
                login = try ssh(host, "true", connectTimeout: 2, deadline: 10)
            } catch {
                return "\(error)"
            }
            if login.succeeded { return nil }
            if Date() >= deadline {
                return "no ssh login on \(host) in time (\(login)); its sshd log is \(directory)/\(host)/sshd.log"
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// A child `sh` that reads its standard input, a pipe only this process writes to, to its
    /// end: when this process ends, however it ends, the kernel closes the pipe and the
    /// watchdog runs `tools/hosts.sh down`. Interrupts sent to the test's process group do not
    /// stop it before it has.
    private func startWatchdog() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", """
            trap '' INT HUP TERM QUIT
            while read -r _; do :; done
            exec bash "$0" down >/dev/null 2>&1
            """, Self.script]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = FinishedCommand.searchPath.joined(separator: ":")
        environment.merge(Self.environment(prefix)) { $1 }
        process.environment = environment
        let pipe = Pipe()
        // Only this process may hold the write end: a child that inherited it (a listener a test
        // left on a host) would keep the watchdog waiting after this process died.
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.terminationHandler = { [watchdogEnded] _ in watchdogEnded.signal() }
        try process.run()
        try? pipe.fileHandleForReading.close()
        lock.withLock {
            watchdog = process
            watchdogPipe = pipe
        }
    }

    private static func lastLine(_ text: String) -> String? {
        text.split(separator: "\n").last.map { String($0.trimmingCharacters(in: .whitespaces)) }
    }
}
