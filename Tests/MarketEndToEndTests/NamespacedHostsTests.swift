import Foundation
import MarketTestKit
import XCTest

/// The hosts the across-hosts tests run on, made by `tools/hosts.sh` through the test kit's
/// fixture: network namespaces on a bridge of their own, each with its own sshd, reachable
/// from the control namespace and from each other but from nowhere else, a link that can be
/// cut and healed, and nothing left behind however the test ends.
final class NamespacedHostsTests: XCTestCase {
    func testEachHostLetsTheControlNamespaceInAsItselfAndRunsTheBuiltMarket() throws {
        let set = try sharedNamespacedHosts()
        for host in set.hosts {
            let run = try set.ssh(host, "hostname; ip -4 -o addr show dev eth0; getent hosts ctl host3")
            XCTAssertTrue(run.succeeded, "\(host): \(run)")
            XCTAssertEqual(run.output.split(separator: "\n").first.map(String.init), host, "the login landed on \(host)")
            XCTAssertTrue(run.output.contains("inet \(set.address(of: host))/24"), "\(host): \(run.output)")
            // The set's names resolve on every host, as a peer will look up another's host.
            let lines = run.output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
            XCTAssertTrue(lines.contains([NamespacedHosts.controlAddress, "ctl"]), "\(host): \(run.output)")
            XCTAssertTrue(lines.contains([set.address(of: "host3"), "host3"]), "\(host): \(run.output)")
        }
        // The hosts share this machine's files, so the binary the tests start is on every host.
        let binary = try EndToEndTests.marketBinary().path
        let help = try set.ssh("host1", "'\(binary)' --help")
        XCTAssertTrue(help.succeeded, "\(help)")
        XCTAssertTrue(help.output.contains("USAGE: market"), help.output)
    }

    func testHostsReachEachOtherOverTCPButNothingOutside() throws {
        let set = try sharedNamespacedHosts()
        // host1 calls host3, and host2 calls the control namespace (where PostgreSQL will listen).
        for (caller, callee) in [("host1", "host3"), ("host2", "ctl")] {
            let listener = try Background(listening: set, on: callee)
            addTeardownBlock { listener.stop() }
            let port = try XCTUnwrap(listener.firstLine(within: 10), "the listener on \(callee) never said its port: \(listener.errors)")

            let call = try set.ssh(caller, "exec 3<>/dev/tcp/\(set.address(of: callee))/\(port) && head -n 1 <&3")
            XCTAssertTrue(call.succeeded, "\(caller) → \(callee): \(call)")
            XCTAssertEqual(call.output, "hello from \(callee)\n")
            XCTAssertTrue(listener.waitForOutput(within: 10) { $0.contains("caller \(set.address(of: caller))\n") },
                          "\(callee) saw: \(listener.output)")
        }

        for member in ["ctl", "host1"] {
            let routes = try set.inNamespace(of: member, ["ip", "-4", "route"])
            XCTAssertEqual(routes.output.split(separator: "\n").count, 1, "\(member) has only its subnet's route: \(routes.output)")
            XCTAssertFalse(routes.output.contains("default"), routes.output)
            let started = Date()
            let out = try set.inNamespace(of: member, ["bash", "-c", "exec 3<>/dev/tcp/192.0.2.1/80"], deadline: 10)
            XCTAssertNotEqual(out.status, 0, "\(member) reached an address outside the set")
            XCTAssertTrue(out.errors.contains("Network is unreachable"), "\(member): \(out)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "no route: refused at once, not after a timeout")
        }
        // Nothing of the set in the machine's own namespace.
        let own = try FinishedCommand.run(["ip", "-4", "-o", "addr"], deadline: 10)
        XCTAssertFalse(own.output.contains(" 10.77.0."), "the machine's own namespace got an address of the set: \(own.output)")
    }

    func testACutHostIsUnreachableUntilHealed() throws {
        let set = try namespacedHosts(3)
        let host2 = set.address(of: "host2")
        let sshds = try set.hosts.map { try sshdPID(set, $0) }
        try set.cut("host2")
        // `up` again finds everything made: it starts nothing anew and leaves the cut alone.
        let again = try set.hostsScript(["up", "3"])
        XCTAssertTrue(again.succeeded, "\(again)")
        XCTAssertEqual(try set.hosts.map { try sshdPID(set, $0) }, sshds, "up again restarted an sshd")
        let status = try set.hostsScript(["status"])
        XCTAssertTrue(status.succeeded, "\(status)")
        let host2Line = status.output.split(separator: "\n").first { $0.hasPrefix("host2 ") }.map(String.init) ?? ""
        XCTAssertTrue(host2Line.contains(" cut "), "status: \(status.output)")

        // A cut link drops packets: a connection gets no answer at all (not even a refusal).
        let probe = try set.inControl(["timeout", "0.5", "bash", "-c", "exec 3<>/dev/tcp/\(host2)/22"])
        XCTAssertEqual(probe.status, 124, "a connection to host2 was answered: \(probe)")
        let outward = try set.inNamespace(of: "host2", ["timeout", "0.5", "bash", "-c", "exec 3<>/dev/tcp/\(set.address(of: "host1"))/22"])
        XCTAssertNotEqual(outward.status, 0, "host2 still reaches host1")
        for other in ["host1", "host3"] {
            let banner = try set.inControl(["timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/$0/22 && head -c 7 <&3", set.address(of: other)])
            XCTAssertEqual(banner.output, "SSH-2.0", "\(other) was cut too: \(banner)")
        }

        try set.heal("host2")
        let deadline = Date(timeIntervalSinceNow: 15)
        var back = try set.ssh("host2", "hostname", connectTimeout: 2)
        while !back.succeeded, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)  // between tries: a refusal can come back at once
            back = try set.ssh("host2", "hostname", connectTimeout: 2)
        }
        XCTAssertEqual(back.output, "host2\n", "host2 after healing: \(back)")
    }

    /// The watchdog's pipe closes when the test process dies; closing it here is the same event.
    func testTheWatchdogRemovesTheSetLeavingNothing() throws {
        let set = try namespacedHosts(3)
        let sshds = try set.hosts.map { try sshdPID(set, $0) }
        XCTAssertEqual(try set.namespacesLeft().count, 5, "ctl, the bridge's and three hosts'")
        XCTAssertTrue(sshds.allSatisfy(isRunning))

        XCTAssertEqual(set.closeWatchdog(), 0, "the watchdog's tools/hosts.sh down")

        try assertNothingLeft(of: set, sshds: sshds)
    }

    /// `down` after a set lost pieces (a namespace deleted under its running sshd, the bridge's
    /// namespace gone) still finds and removes the rest.
    func testAHalfMadeSetIsRemovedToo() throws {
        let set = try namespacedHosts(2)
        let sshds = try set.hosts.map { try sshdPID(set, $0) }
        for member in ["host2", "net"] {
            let deleted = try FinishedCommand.run(["ip", "netns", "del", set.namespace(of: member)], deadline: 10)
            XCTAssertTrue(deleted.succeeded, "\(deleted)")
        }
        XCTAssertTrue(isRunning(sshds[1]), "host2's sshd outlives its namespace's name")

        XCTAssertNil(set.remove())

        try assertNothingLeft(of: set, sshds: sshds)
    }

    func testASetWhoseOwnerDiedIsFoundAndRemoved() throws {
        let mine = try sharedNamespacedHosts()
        let orphan = try skippingWithoutHosts { try NamespacedHosts(hosts: 1, ownerPID: try deadProcessID(), watchdog: false) }
        addTeardownBlock { orphan.remove() }
        let sshds = [try sshdPID(orphan, "host1")]

        let removed = NamespacedHosts.removeAbandoned()

        XCTAssertTrue(removed.contains(orphan.prefix), "\(removed)")
        XCTAssertFalse(removed.contains(mine.prefix), "the live owner's set was taken for abandoned")
        try assertNothingLeft(of: orphan, sshds: sshds)
        XCTAssertTrue(try mine.ssh("host1", "true").succeeded, "the live owner's set stays")
    }

    func testTheScriptSaysInOneLineWhyItCannotMakeHosts() throws {
        let usage = try FinishedCommand.run(["bash", NamespacedHosts.script], deadline: 10)
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.errors.hasPrefix("usage: tools/hosts.sh up N"), usage.errors)

        let zero = try FinishedCommand.run(["bash", NamespacedHosts.script, "up", "0"], deadline: 10)
        XCTAssertEqual(zero.status, 1)
        XCTAssertEqual(zero.errors, "hosts.sh: the number of hosts must be 1 to 200, not '0'\n")

        guard getuid() == 0 else { throw XCTSkip("the check as a user other than root needs root to switch to it") }
        // The script's text, not its path: the user may not be allowed into the checkout.
        let text = try String(contentsOfFile: NamespacedHosts.script, encoding: .utf8)
        let user = try FinishedCommand.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                            "bash", "-c", text, "hosts.sh", "up", "1"], deadline: 10)
        XCTAssertEqual(user.status, 3, "3 is the tests' reason to skip: \(user)")
        XCTAssertEqual(user.errors, "hosts.sh: must run as root: making network namespaces needs CAP_SYS_ADMIN\n")
    }

    /// Root of a user namespace of its own is root without the machine's network: the script
    /// cannot make a namespace there and says so with the status the fixture skips on.
    func testWithoutTheRightToMakeNamespacesTheScriptExitsWithTheSkipStatus() throws {
        guard (try? FinishedCommand.run(["unshare", "--user", "--map-root-user", "true"], deadline: 10))?.succeeded == true else {
            throw XCTSkip("user namespaces are not available here to play a root without privileges")
        }
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        let text = try String(contentsOfFile: NamespacedHosts.script, encoding: .utf8)
        let run = try FinishedCommand.run(["unshare", "--user", "--map-root-user", "bash", "-c", text, "hosts.sh", "up", "1"],
                                          environment: ["MARKET_HOSTS_PREFIX": "unprivileged-\(getpid())",
                                                        "MARKET_HOSTS_DIR": directory.path("set")],
                                          deadline: 30)
        XCTAssertEqual(run.status, 3, "\(run)")
        XCTAssertTrue(run.errors.hasPrefix("hosts.sh: cannot make a network namespace here: "), run.errors)
        XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
    }

    // MARK: - Helpers

    private func sshdPID(_ set: NamespacedHosts, _ host: String) throws -> Int32 {
        let text = try String(contentsOfFile: "\(set.directory)/\(host)/sshd.pid", encoding: .utf8)
        return try XCTUnwrap(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "\(host)'s pid file: \(text)")
    }

    private func assertNothingLeft(of set: NamespacedHosts, sshds: [Int32], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try set.namespacesLeft(), [], "namespaces left", file: file, line: line)
        for pid in sshds {
            XCTAssertFalse(isRunning(pid), "sshd \(pid) still runs", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: set.directory), "\(set.directory) is left", file: file, line: line)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/etc/netns")) ?? []
        XCTAssertEqual(entries.filter { $0.hasPrefix(set.prefix + "-") }, [], "/etc/netns entries left", file: file, line: line)
        let mentioning = processesMentioning(set.directory)
        XCTAssertEqual(mentioning, [], "processes still running with the set's directory on their command line", file: file, line: line)
    }

    /// The PID of a process that has ended and been reaped.
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Alive and not a zombie waiting to be reaped.
    private func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    private func processesMentioning(_ text: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.compactMap { pid -> String? in
            guard Int32(pid) != nil, isRunning(Int32(pid)!),
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(text) ? "\(pid): \(line)" : nil
        }
    }
}

/// A command left running while the test goes on; what it writes is watched as it comes.
private final class Background: @unchecked Sendable {
    private let process = Process()
    private let written = Watched(Data())
    private let errorsWritten = Watched(Data())
    private let ended = DispatchSemaphore(value: 0)

    /// A listener on `member`'s address at a port of the system's choosing, which it prints
    /// first; it greets one caller and says who called.
    convenience init(listening set: NamespacedHosts, on member: String) throws {
        try self.init(["ip", "netns", "exec", set.namespace(of: member), "perl", "-MIO::Socket::INET", "-e", """
            my $s = IO::Socket::INET->new(LocalAddr => "\(set.address(of: member))", LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "listen: $!";
            $| = 1;
            print $s->sockport, "\\n";
            my $c = $s->accept or die "accept: $!";
            print $c "hello from \(member)\\n";
            print "caller ", $c->peerhost, "\\n";
            """])
    }

    init(_ argv: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"].map { $0 + ":" } ?? "") + "/usr/sbin:/sbin"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        process.terminationHandler = { [ended] _ in ended.signal() }
        try process.run()
        for (pipe, sink) in [(out, written), (err, errorsWritten)] {
            DispatchQueue.global().async {
                let handle = pipe.fileHandleForReading
                while case let chunk = handle.availableData, !chunk.isEmpty {
                    sink.update { $0.append(chunk) }
                }
                try? handle.close()
            }
        }
    }

    var output: String { String(decoding: written.value, as: UTF8.self) }
    var errors: String { String(decoding: errorsWritten.value, as: UTF8.self) }

    func firstLine(within seconds: TimeInterval) -> String? {
        guard waitForOutput(within: seconds, until: { $0.contains("\n") }) else { return nil }
        return output.split(separator: "\n").first.map(String.init)
    }

    func waitForOutput(within seconds: TimeInterval, until ready: @escaping (String) -> Bool) -> Bool {
        written.wait(seconds: seconds) { ready(String(decoding: $0, as: UTF8.self)) }
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = ended.wait(timeout: .now() + 10)
    }
}
