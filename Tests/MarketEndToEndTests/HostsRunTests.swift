import Foundation
import MarketTestKit
import XCTest

/// `market run --hosts`: peers on namespaced hosts, started over ssh from the control
/// namespace, talking TCP, sharing a PostgreSQL server that listens in the control namespace;
/// and the hosts that cannot take part refused in one line, naming the host, before anything
/// is recorded.
final class HostsRunTests: XCTestCase {
    func test_case3_acrossThreeHosts_isCheckedClean_andEachPeerRecordedOnItsHost() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_case3")

        let run = try supervise(on: set, ["run", "--scenario", "test_case3", "--requests", "20", "--seed", "3",
                                          "--sick-rate", "0", "--hosts", "host1,host2,host3", "--db", network,
                                          "--json", "--time-limit", "60"])
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        XCTAssertEqual(json["status"] as? String, "completed")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 40)
        let runID = try XCTUnwrap(json["run_id"] as? Int)

        // Round-robin: P0 on host1, P1 on host2, P2 on host3, P3 on host1 …
        let hosts = try server.psql(url: local, "SELECT peer_id || '=' || host FROM peers WHERE run_id = \(runID) ORDER BY peer_id;")
        XCTAssertEqual(hosts.split(separator: "\n"), ["0=host1", "1=host2", "2=host3", "3=host1", "4=host2", "5=host3", "6=host1"])
        // The pid recorded is the peer's own on its host, which is not a child of the supervisor.
        let pids = try server.psql(url: local, "SELECT count(DISTINCT pid) FROM peers WHERE run_id = \(runID) AND pid IS NOT NULL;")
        XCTAssertEqual(pids, "7\n")

        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertTrue(check.output.contains("no violation"), check.output)
    }

    /// A crashing trader on another host is killed there over ssh (`kill -KILL` with the PID the
    /// peer reported, which `peers.pid` holds), restarted there, and the run checks clean.
    func test_crashesOfRemotePeers_areKillsOverSSH_andTheRunIsCheckedClean() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_crash")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        // An ssh that notes each call before it makes it.
        let calls = directory.path("calls")
        let logging = directory.path("ssh")
        try "#!/bin/sh\necho \"$*\" >> '\(calls)'\nexec ssh -F '\(set.sshConfig)' \"$@\"\n".write(toFile: logging, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(logging, 0o755), 0)

        let run = try supervise(on: set, ["run", "--scenario", "test_case2", "--requests", "60", "--sick-mode", "crash",
                                          "--sick-rate", "0.05", "--recover-after", "0.2", "--seed", "11",
                                          "--hosts", "host1,host2,host3", "--db", network, "--json", "--time-limit", "60"],
                                ssh: logging)
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        let crashes = Int(try server.psql(url: local, "SELECT count(*) FROM faults WHERE run_id = \(runID) AND kind = 'crash';")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(crashes, 0, "the trader never crashed")

        let kills = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").filter { $0.contains(" kill -KILL ") }
        XCTAssertEqual(kills.count, crashes, "one kill over ssh per crash: \(kills)")
        // Each kill named a host and a PID some incarnation of a peer there reported.
        for kill in kills {
            let words = kill.split(separator: " ")
            XCTAssertEqual(words.suffix(3).first, "kill", String(kill))
            XCTAssertTrue(["host1", "host2", "host3"].contains(String(words[words.count - 4])), String(kill))
            XCTAssertNotNil(Int32(words.last ?? ""), String(kill))
        }
        // The run's secret (32 hex digits) went over the sessions, on no command line.
        let words = try String(contentsOfFile: calls, encoding: .utf8).split(whereSeparator: \.isWhitespace)
        XCTAssertFalse(words.contains { $0.count == 32 && $0.allSatisfy(\.isHexDigit) }, "a secret on an ssh command line")
        XCTAssertTrue(words.contains("--over-ssh"), "no peer was started over ssh")
        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
    }

    /// Where the host cannot be told to kill the peer, its session is ended instead: the peer
    /// leaves, and is restarted. Its session's end is not the supervisor's death, so the run does
    /// not begin to end there (`runs.stopping_at` comes after the last decision).
    func test_aRemotePeerWhoseSessionEnds_leavesWithoutEndingTheRun() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_session")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        // An ssh through which no kill gets to a host.
        let refusing = directory.path("ssh")
        try "#!/bin/sh\ncase \"$*\" in *' kill -KILL '*) exit 1 ;; esac\nexec ssh -F '\(set.sshConfig)' \"$@\"\n"
            .write(toFile: refusing, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(refusing, 0o755), 0)

        let run = try supervise(on: set, ["run", "--scenario", "test_case2", "--requests", "60", "--sick-mode", "crash",
                                          "--sick-rate", "0.05", "--recover-after", "0.2", "--seed", "11",
                                          "--hosts", "host1,host2,host3", "--db", network, "--json", "--time-limit", "60"],
                                ssh: refusing)
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        XCTAssertGreaterThan(Int(try server.psql(url: local, "SELECT count(*) FROM faults WHERE run_id = \(runID) AND kind = 'crash';")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0, "the trader never crashed")
        let order = try server.psql(url: local, """
            SELECT (SELECT stopping_at FROM runs WHERE run_id = \(runID)) >= (SELECT max(decided_at) FROM requests WHERE run_id = \(runID));
            """)
        XCTAssertEqual(order, "t\n", "the run was marked ending before its last decision")
    }

    func test_hostsThatCannotTakePart_areRefusedInOneLineNamingThem_beforeTheRunStarts() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_refused")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        let base = ["run", "--scenario", "single_pair", "--requests", "3", "--db", network]

        // A name that does not resolve; an address where no host answers.
        try assertRefused(on: set, base + ["--hosts", "host1,nosuchhost"],
                          saying: "market run: host nosuchhost cannot be reached over ssh: ssh: Could not resolve hostname nosuchhost")
        try assertRefused(on: set, base + ["--hosts", "10.77.0.99,host2"], saying: "market run: host 10.77.0.99 cannot be reached over ssh: ")

        // No market at the remote path.
        try assertRefused(on: set, base + ["--hosts", "host2", "--remote-market", directory.path("absent/market")],
                          saying: "market run: host host2 has no market at \(directory.path("absent/market"))")

        // A market of another version.
        let fake = directory.path("market")
        try "#!/bin/sh\necho 0.0.1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(fake, 0o755), 0)
        try assertRefused(on: set, base + ["--hosts", "host3", "--remote-market", fake],
                          saying: "market run: host host3 runs market '0.0.1' at \(fake), but this supervisor is ")

        // A key the hosts do not know.
        let key = directory.path("stranger")
        let made = try FinishedCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], deadline: 30)
        XCTAssertTrue(made.succeeded, "\(made)")
        let config = try String(contentsOfFile: set.sshConfig, encoding: .utf8)
            .replacingOccurrences(of: "IdentityFile \(set.directory)/id_ed25519", with: "IdentityFile \(key)")
        try config.write(toFile: directory.path("ssh_config"), atomically: true, encoding: .utf8)
        try assertRefused(on: set, base + ["--hosts", "host1"], ssh: "ssh -F \(directory.path("ssh_config"))",
                          saying: "market run: host host1 refuses the ssh key (")

        XCTAssertEqual(try server.psql(url: local, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs';"), "0\n",
                       "a refused run touched the database")
    }

    func test_hostsWithAnSQLiteFile_areRefused_namingPostgres() throws {
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        let path = directory.path("market.db")
        let run = try ChildRun.run(try EndToEndTests.marketBinary(),
                                   ["run", "--scenario", "single_pair", "--hosts", "host1,host2", "--db", path], deadline: 30)
        XCTAssertEqual(run.status, 2, run.errors)
        XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
        XCTAssertTrue(run.errors.hasPrefix("market run: peers on several hosts need one store they all reach: an SQLite file"), run.errors)
        XCTAssertTrue(run.errors.contains("--db postgresql://"), run.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the refused run made the database")
    }

    // MARK: - Helpers

    /// A fresh database: its URL over the socket (for this process) and over the set's network.
    private func database(on server: PrivatePostgres, _ name: String) throws -> (local: String, network: String) {
        let local = try server.createDatabase(name)
        let database = try XCTUnwrap(local.components(separatedBy: "@/").last?.components(separatedBy: "?").first)
        return (local, try XCTUnwrap(server.networkURL(database: database)))
    }

    /// `market ARGUMENTS` in the control namespace, with the set's ssh config.
    private func supervise(on set: NamespacedHosts, _ arguments: [String], ssh: String? = nil,
                           deadline: TimeInterval = 120) throws -> FinishedCommand {
        let binary = try EndToEndTests.marketBinary().path
        let run = try set.inControl(["env", "MARKET_SSH=\(ssh ?? "ssh -F \(set.sshConfig)")", binary] + arguments, deadline: deadline)
        if run.timedOut { XCTFail("market \(arguments.joined(separator: " ")) ran longer than \(Int(deadline)) s") }
        return run
    }

    private func assertRefused(on set: NamespacedHosts, _ arguments: [String], ssh: String? = nil, saying expected: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try supervise(on: set, arguments, ssh: ssh, deadline: 60)
        XCTAssertEqual(run.status, 2, "\(run)", file: file, line: line)
        XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, "one line: \(run.errors)", file: file, line: line)
        XCTAssertTrue(run.errors.hasPrefix(expected), "\(run.errors)", file: file, line: line)
        XCTAssertFalse(run.output.contains("run "), "a run started: \(run.output)", file: file, line: line)
    }
}
