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
        let peers = try XCTUnwrap(json["peers"] as? [[String: Any]])
        XCTAssertEqual(peers.map { $0["host"] as? String }, ["host1", "host2", "host3", "host1", "host2", "host3", "host1"],
                       "the summary says where each peer ran")

        // Round-robin: P0 on host1, P1 on host2, P2 on host3, P3 on host1 …
        let hosts = try server.psql(url: local, "SELECT peer_id || '=' || host FROM peers WHERE run_id = \(runID) ORDER BY peer_id;")
        XCTAssertEqual(hosts.split(separator: "\n"), ["0=host1", "1=host2", "2=host3", "3=host1", "4=host2", "5=host3", "6=host1"])
        // The pid recorded is the peer's own on its host, which is not a child of the supervisor.
        let pids = try server.psql(url: local, "SELECT count(DISTINCT pid) FROM peers WHERE run_id = \(runID) AND pid IS NOT NULL;")
        XCTAssertEqual(pids, "7\n")

        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertTrue(check.output.contains("no violation"), check.output)
        // `market inspect` says where each peer ran.
        let inspect = try supervise(on: set, ["inspect", "db", "--db", network])
        XCTAssertEqual(inspect.status, 0, "\(inspect)")
        let p6 = inspect.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("P6 ") } ?? ""
        XCTAssertTrue(p6.hasSuffix(" host1"), inspect.output)
    }

    /// A crashing trader on another host is killed there over ssh (`kill -KILL` with the PID the
    /// peer reported, which `peers.pid` holds) and restarted there. Where the host cannot be told
    /// (here every second kill), the peer's session is ended instead: the peer leaves and is
    /// restarted, and since a session's end is not the supervisor's death, the run does not begin
    /// to end there (`runs.stopping_at` comes after the last decision). The run checks clean.
    func test_crashesOfRemotePeers_areKillsOverSSH_orEndedSessions_andTheRunIsCheckedClean() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_crash")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        // An ssh that notes each call before it makes it, and fails every second kill.
        let calls = directory.path("calls")
        let ssh = directory.path("ssh")
        try """
            #!/bin/sh
            echo "$*" >> '\(calls)'
            case "$*" in *' kill -KILL '*) [ $(($(grep -c ' kill -KILL ' '\(calls)') % 2)) -eq 0 ] && exit 1 ;; esac
            exec ssh -F '\(set.sshConfig)' "$@"

            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(ssh, 0o755), 0)

        let run = try supervise(on: set, ["run", "--scenario", "test_case2", "--requests", "40", "--sick-mode", "crash",
                                          "--sick-rate", "0.08", "--recover-after", "0.2", "--seed", "11",
                                          "--hosts", "host1,host2,host3", "--db", network, "--json", "--time-limit", "60"],
                                ssh: ssh)
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        let crashes = Int(try server.psql(url: local, "SELECT count(*) FROM faults WHERE run_id = \(runID) AND kind = 'crash';")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThanOrEqual(crashes, 2, "a kill that went through and one that did not need two crashes")

        let kills = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").filter { $0.contains(" kill -KILL ") }
        XCTAssertEqual(kills.count, crashes, "one kill over ssh per crash: \(kills)")
        // Each kill named a host and a PID some incarnation of a peer there reported.
        for kill in kills {
            let words = kill.split(separator: " ")
            XCTAssertEqual(words.suffix(3).first, "kill", String(kill))
            XCTAssertTrue(["host1", "host2", "host3"].contains(String(words[words.count - 4])), String(kill))
            XCTAssertNotNil(Int32(words.last ?? ""), String(kill))
        }
        let order = try server.psql(url: local, """
            SELECT (SELECT stopping_at FROM runs WHERE run_id = \(runID)) >= (SELECT max(decided_at) FROM requests WHERE run_id = \(runID));
            """)
        XCTAssertEqual(order, "t\n", "the run was marked ending before its last decision")
        // The run's secret (32 hex digits) went over the sessions, on no command line.
        let words = try String(contentsOfFile: calls, encoding: .utf8).split(whereSeparator: \.isWhitespace)
        XCTAssertFalse(words.contains { $0.count == 32 && $0.allSatisfy(\.isHexDigit) }, "a secret on an ssh command line")
        XCTAssertTrue(words.contains("--over-ssh"), "no peer was started over ssh")
        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
    }

    /// The trader's host cut off mid-run: the others elect a new trader and go on; the supervisor
    /// finds the host gone by its session's keepalive and records the peer unreachable (once:
    /// not a crash, and not restarted while cut off); once healed, it records it reachable, the
    /// peer is started there again, and the run completes checked clean.
    func test_theTradersHostCutMidRun_theMarketGoesOnUnderANewTrader() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_cut")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        // test_case3 with P6, the first trader, alone on host1 and everyone else on host2 and host3;
        // enough requests that the run cannot end between the first progress line and the cut.
        let scenario = directory.path("cut.json")
        try #"""
            {"name": "case3_cut", "base": "test_case3", "requests": 400, "sick_rate": 0, "hosts": ["host2", "host3"],
             "peers": [{"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"}, {"role": "seller", "product": "boar"},
                       {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "fish"}, {"role": "seller", "product": "salt"},
                       {"role": "seller", "product": "boar", "host": "host1"}]}
            """#.write(toFile: scenario, atomically: true, encoding: .utf8)

        let binary = try EndToEndTests.marketBinary().path
        let run = try StreamedRun(["ip", "netns", "exec", set.controlNamespace, "env", "MARKET_SSH=ssh -F \(set.sshConfig)", binary,
                                   "run", "--scenario", scenario, "--seed", "3", "--db", network, "--time-limit", "90"])
        addTeardownBlock { run.kill() }
        let healed = Watched(false)
        addTeardownBlock { if !healed.value { try? set.heal("host1") } }

        XCTAssertTrue(run.errors.wait(seconds: 60) { String(decoding: $0, as: UTF8.self).contains(#/decided [1-9]/#) },
                      "no decision before the cut: \(run.text)")
        try set.cut("host1")
        XCTAssertTrue(run.errors.wait(seconds: 30) { String(decoding: $0, as: UTF8.self).contains("P6's host does not answer") },
                      "the supervisor never found host1 gone: \(run.text)")
        try set.heal("host1")
        healed.update { $0 = true }
        XCTAssertTrue(run.ended(within: 90), "the run did not end: \(run.text)")
        XCTAssertEqual(run.status, 0, run.text)
        let summary = String(decoding: run.output.value, as: UTF8.self)
        XCTAssertTrue(summary.contains("verdict: PASS"), summary)
        let runID = try XCTUnwrap(summary.firstMatch(of: #/run ([0-9]+): scenario case3_cut/#).map { String($0.1) })
        let elections = try server.psql(url: local, "SELECT epoch || ':' || winner_id FROM elections WHERE run_id = \(runID) ORDER BY epoch;")
        XCTAssertEqual(elections.split(separator: "\n").first, "1:6", elections)
        XCTAssertTrue(elections.split(separator: "\n").dropFirst().contains { !$0.hasSuffix(":6") }, "no other trader took over: \(elections)")
        let faults = try server.psql(url: local, "SELECT kind FROM faults WHERE run_id = \(runID) AND peer_id = 6 ORDER BY at, fault_id;")
        XCTAssertEqual(faults.split(separator: "\n"), ["unreachable", "reachable"],
                       "the cut is one unreachable, then reachable, with no crash between: \(faults)")
        XCTAssertFalse(run.text.contains("P6 exited unexpectedly"), run.text)
        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
    }

    /// `local` among the hosts: those peers start here, in the control namespace, as child
    /// processes, listening over TCP on the address this namespace reaches the hosts from
    /// (10.77.0.254), so that the remote sellers reach the trader P6, which is local; the run
    /// checks clean and records the local peers under this machine's name.
    func test_case3_withLocalPeersBesideRemoteOnes_isCheckedClean() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_local")

        let run = try supervise(on: set, ["run", "--scenario", "test_case3", "--requests", "20", "--seed", "3",
                                          "--sick-rate", "0", "--hosts", "local,host1,host2", "--db", network,
                                          "--json", "--time-limit", "60"])
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 40)
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        let here = try set.inControl(["hostname"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let hosts = try server.psql(url: local, "SELECT peer_id || '=' || host FROM peers WHERE run_id = \(runID) ORDER BY peer_id;")
        XCTAssertEqual(hosts.split(separator: "\n").map(String.init),
                       ["0=\(here)", "1=host1", "2=host2", "3=\(here)", "4=host1", "5=host2", "6=\(here)"])
        let trader = try server.psql(url: local, "SELECT winner_id FROM elections WHERE run_id = \(runID) AND epoch = 1;")
        XCTAssertEqual(trader, "6\n", "the local P6 traded for the remote sellers")
        let deposits = try server.psql(url: local, "SELECT count(DISTINCT seller_id) FROM deposits WHERE run_id = \(runID) AND seller_id IN (1, 2);")
        XCTAssertEqual(deposits, "2\n", "sellers on host1 and host2 reached the local trader")
        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertTrue(check.output.contains("no violation"), check.output)
    }

    /// `market bench --hosts` (its hosts plan alone, the smallest one): every figure is a
    /// figure, the round trip is measured to host1 over the set's bridge, and the failover of
    /// a cut host is measured with the set's own cut and heal, the host healed at the end.
    func test_benchHostsPlan_givesEveryFigure_includingTheFailoverOfACutHost() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (_, network) = try database(on: server, "hosts_bench")
        addTeardownBlock { try? set.heal("host1") }

        let bench = try supervise(on: set, ["bench", "--only-hosts", "--smoke", "--json", "--hosts", "host1,host2", "--db", network,
                                            "--cut-host-command", set.hostsCommand("cut"),
                                            "--heal-host-command", set.hostsCommand("heal")], deadline: 180)
        XCTAssertEqual(bench.status, 0, "\(bench)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(bench.output.utf8)) as? [String: Any], "\(bench)")
        let hosts = try XCTUnwrap(json["hosts"] as? [String: Any], "\(json)")
        XCTAssertEqual(hosts["hosts"] as? [String], ["host1", "host2"])
        for key in ["tcp_rtt_us", "sequential_s", "sequential_p50_us", "sequential_p99_us", "throughput_buys_per_s",
                    "failover_cut_ms"] {
            let figure = try XCTUnwrap(hosts[key] as? Double, "\(key) missing: \(hosts)")
            XCTAssertGreaterThan(figure, 0, key)
        }
        XCTAssertGreaterThanOrEqual(hosts["failover_samples"] as? Int ?? 0, 1, "no kill of the trader: \(hosts)")
        XCTAssertNil(hosts["failover_cut_not_measured"], "\(hosts)")
        XCTAssertEqual(hosts["failed_runs"] as? [String], [], "\(hosts)")
        XCTAssertTrue(bench.errors.contains("the sealed TCP round trip to host1"), bench.errors)
        // The cut was healed: host1 answers again.
        XCTAssertTrue(try set.ssh("host1", "true").succeeded, "host1 was left cut off")
    }

    /// The hosts plan needs one store every host reaches, as `market run --hosts` does.
    func test_benchHosts_withAnSQLiteFile_isRefusedNamingPostgres() throws {
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        let run = try ChildRun.run(try EndToEndTests.marketBinary(),
                                   ["bench", "--only-hosts", "--hosts", "host1", "--db", directory.path("market.db")], deadline: 30)
        XCTAssertEqual(run.status, 2, run.errors)
        XCTAssertTrue(run.errors.hasPrefix("market bench: --hosts needs --db postgresql://"), run.errors)
    }

    /// A remote peer stopped from outside on its host (`kill -STOP` there) and continued: the
    /// watch beside it on its host says so over its session, and the history has its `sick`
    /// and `recover`, as for a local peer the supervisor can `waitpid`; the run checks clean.
    func test_aRemotePeerStoppedAndContinuedOnItsHost_isRecordedSickThenRecovered() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_pause")
        let binary = try EndToEndTests.marketBinary().path
        let run = try StreamedRun(["ip", "netns", "exec", set.controlNamespace, "env", "MARKET_SSH=ssh -F \(set.sshConfig)", binary,
                                   "run", "--scenario", "test_case2", "--requests", "1000", "--sick-rate", "0", "--seed", "5",
                                   "--hosts", "host1,host2,host3", "--db", network, "--time-limit", "60"])
        addTeardownBlock { run.kill() }
        XCTAssertTrue(run.errors.wait(seconds: 30) { String(decoding: $0, as: UTF8.self).contains(#/decided [1-9]/#) },
                      "no decision: \(run.text)")
        // P1 is on host2 (round-robin); its pid there is the one it reported.
        let runID = try server.psql(url: local, "SELECT max(run_id) FROM runs;").trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try server.psql(url: local, "SELECT pid FROM peers WHERE run_id = \(runID) AND peer_id = 1;")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(Int32(pid), pid)
        XCTAssertTrue(try set.ssh("host2", "kill -STOP \(pid)").succeeded)
        let seen = run.errors.wait(seconds: 10) { String(decoding: $0, as: UTF8.self).contains("P1 was stopped from outside") }
        XCTAssertTrue(try set.ssh("host2", "kill -CONT \(pid)").succeeded)
        XCTAssertTrue(seen, "the stop was not seen: \(run.text)")
        XCTAssertTrue(run.ended(within: 60), "the run did not end: \(run.text)")
        XCTAssertEqual(run.status, 0, run.text)
        XCTAssertTrue(String(decoding: run.output.value, as: UTF8.self).contains("verdict: PASS"), run.text)
        let faults = try server.psql(url: local, "SELECT kind FROM faults WHERE run_id = \(runID) AND peer_id = 1 ORDER BY at, fault_id;")
        XCTAssertEqual(faults.split(separator: "\n"), ["sick", "recover"], faults)
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

/// A command whose output is watched while it runs; killed at teardown if it still does.
final class StreamedRun: @unchecked Sendable {
    let output = Watched(Data())
    let errors = Watched(Data())
    private let process = Process()
    private let done = DispatchSemaphore(value: 0)

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
        let readers = DispatchGroup()
        process.terminationHandler = { [done] _ in
            readers.wait()
            done.signal()
        }
        for (pipe, sink) in [(out, output), (err, errors)] {
            readers.enter()
            DispatchQueue.global().async {
                let handle = pipe.fileHandleForReading
                while case let chunk = handle.availableData, !chunk.isEmpty {
                    sink.update { $0.append(chunk) }
                }
                readers.leave()
            }
        }
        try process.run()
    }

    var text: String { String(decoding: output.value, as: UTF8.self) + String(decoding: errors.value, as: UTF8.self) }
    var status: Int32 { process.terminationStatus }

    func ended(within seconds: TimeInterval) -> Bool {
        guard done.wait(timeout: .now() + seconds) == .success else { return false }
        done.signal()
        return true
    }

    /// Ctrl-C for the supervisor, which stops its peers; SIGKILL if that takes too long.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGINT)
        if !ended(within: 30) { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
