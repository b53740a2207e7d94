import Foundation
import MarketTestKit
import XCTest

/// `--nemesis-cuts network`: the nemesis cuts the network between namespaced hosts itself, with
/// blackhole routes the supervisor adds over ssh, and removes them all by the end of the run;
/// what cannot be real cuts is refused in one line before anything is recorded.
final class HostsNemesisTests: XCTestCase {
    /// single_pair, one peer per host: the trader's host is cut off from the others by routes on
    /// each side, the buyer and the seller go on under a new trader, the run checks clean, the
    /// actions and heals are in the `nemesis` table, and no route is left on any host.
    func test_isolateTraderAsRealCuts_checksClean_isRecorded_andLeavesNoRoute() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (local, network) = try database(on: server, "hosts_realcuts")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        addTeardownBlock {
            // Whatever happened, no route outlives the test.
            for host in set.hosts { _ = try? set.inNamespace(of: host, ["ip", "route", "flush", "type", "blackhole"]) }
        }
        // An ssh that notes each call before it makes it.
        let calls = directory.path("calls")
        let ssh = directory.path("ssh")
        try """
            #!/bin/sh
            echo "$*" >> '\(calls)'
            exec ssh -F '\(set.sshConfig)' "$@"

            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(ssh, 0o755), 0)

        let run = try supervise(on: set, ["run", "--scenario", "single_pair", "--requests", "300", "--seed", "3",
                                          "--sick-rate", "0", "--hosts", "host1,host2,host3", "--db", network,
                                          "--nemesis", "isolate-trader", "--nemesis-interval", "0.4", "--nemesis-cuts", "network",
                                          "--json", "--time-limit", "60"], ssh: ssh)
        XCTAssertEqual(run.status, 0, "\(run)")
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run)")
        XCTAssertEqual(json["passed"] as? Bool, true, "\(run)")
        XCTAssertEqual(json["decided"] as? Int, 300)
        let runID = try XCTUnwrap(json["run_id"] as? Int)

        let rows = try server.psql(url: local, "SELECT action || '/' || groups || '/' || links FROM nemesis WHERE run_id = \(runID) ORDER BY nemesis_id;")
            .split(separator: "\n").map(String.init)
        let actions = rows.filter { $0.hasPrefix("isolate-trader/") }
        XCTAssertGreaterThanOrEqual(actions.count, 1, "no action recorded: \(rows)")
        XCTAssertGreaterThanOrEqual(rows.filter { $0.hasPrefix("heal/") }.count, 1, "no heal recorded: \(rows)")
        // Each action isolated one peer, alone on its host, from the other two.
        for action in actions {
            XCTAssertNotNil(action.firstMatch(of: #/^isolate-trader/[0-2] \| [0-2] [0-2]/[0-2]>[0-2],/#), action)
        }

        // The cuts were routes on the hosts, told over ssh, and every one added was removed.
        let lines = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n")
        let added = lines.filter { $0.contains("ip route replace blackhole") }
        XCTAssertFalse(added.isEmpty, "no route was added: \(lines.filter { $0.contains("ip route") })")
        XCTAssertTrue(lines.contains { $0.contains("ip route del blackhole") }, "no route was removed")
        for host in set.hosts {
            let routes = try set.inNamespace(of: host, ["ip", "route", "show", "type", "blackhole"])
            XCTAssertTrue(routes.succeeded, "\(routes)")
            XCTAssertEqual(routes.output, "", "a route left on \(host)")
        }
        let check = try supervise(on: set, ["check", "--db", network])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertTrue(check.output.contains("no violation"), check.output)
    }

    /// Ctrl-C while a host blackholes another: the run ends interrupted and takes its routes
    /// with it.
    func test_anInterruptedRun_leavesNoRouteOnAnyHost() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (_, network) = try database(on: server, "hosts_realcuts_interrupted")
        addTeardownBlock {
            for host in set.hosts { _ = try? set.inNamespace(of: host, ["ip", "route", "flush", "type", "blackhole"]) }
        }
        let binary = try EndToEndTests.marketBinary().path
        let run = try StreamedRun(["ip", "netns", "exec", set.controlNamespace, "env", "MARKET_SSH=ssh -F \(set.sshConfig)", binary,
                                   "run", "--scenario", "single_pair", "--requests", "100000", "--sick-rate", "0", "--seed", "4",
                                   "--hosts", "host1,host2,host3", "--db", network, "--nemesis", "isolate-trader",
                                   "--nemesis-interval", "1", "--nemesis-cuts", "network", "--time-limit", "60"])
        addTeardownBlock { run.kill() }
        func routes() throws -> [String] {
            try set.hosts.compactMap { host in
                let shown = try set.inNamespace(of: host, ["ip", "route", "show", "type", "blackhole"])
                return shown.output.isEmpty ? nil : "\(host): \(shown.output)"
            }
        }
        let deadline = Date().addingTimeInterval(30)
        var seen: [String] = []
        while seen.isEmpty, Date() < deadline {
            seen = try routes()
        }
        XCTAssertFalse(seen.isEmpty, "no route appeared within 30 s: \(run.text)")
        run.kill()
        XCTAssertTrue(run.ended(within: 60), "the run did not end: \(run.text)")
        XCTAssertEqual(run.status, 128 + SIGINT, run.text)
        XCTAssertEqual(try routes(), [], "routes left after Ctrl-C (seen during the run: \(seen))")
    }

    /// A host whose routes cannot be changed (its ssh fails) fails the run, in one line naming it.
    func test_aHostThatCannotBeTold_failsTheRun_naming_it() throws {
        let set = try sharedNamespacedHosts()
        let server = try skippingWithoutPostgres { try set.postgres() }
        let (_, network) = try database(on: server, "hosts_realcuts_untold")
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        addTeardownBlock {
            for host in set.hosts { _ = try? set.inNamespace(of: host, ["ip", "route", "flush", "type", "blackhole"]) }
        }
        // An ssh for which every host but host3 changes routes.
        let ssh = directory.path("ssh")
        try """
            #!/bin/sh
            case "$*" in *' host3 '*'ip route'*) echo 'ssh: connect to host host3 port 22: Connection timed out' >&2; exit 255 ;; esac
            exec ssh -F '\(set.sshConfig)' "$@"

            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(ssh, 0o755), 0)
        let run = try supervise(on: set, ["run", "--scenario", "single_pair", "--requests", "100000", "--seed", "3",
                                          "--sick-rate", "0", "--hosts", "host1,host2,host3", "--db", network,
                                          "--nemesis", "partition", "--nemesis-interval", "0.3", "--nemesis-cuts", "network",
                                          "--time-limit", "60"], ssh: ssh)
        XCTAssertEqual(run.status, 1, "\(run)")
        let lines = (run.output + run.errors).split(separator: "\n").filter { $0.contains("cannot change the routes") }
        XCTAssertFalse(lines.isEmpty, "\(run)")
        XCTAssertTrue(lines.allSatisfy { $0.contains("host host3: exit 255: ssh: connect to host host3 port 22: Connection timed out") },
                      "\(lines)")
        // What ended the run, not how long it took: without the failure it runs on to its time limit.
        XCTAssertFalse((run.output + run.errors).contains("time limit of"), "the run went on to its time limit: \(run)")
        for host in set.hosts {
            XCTAssertEqual(try set.inNamespace(of: host, ["ip", "route", "show", "type", "blackhole"]).output, "", "a route left on \(host)")
        }
    }

    /// What cannot be real cuts is refused in one line, before any host is asked.
    func test_whatCannotBeRealCuts_isRefusedInOneLine() throws {
        let store = "postgresql://market@127.0.0.1:1/market"
        let cases: [([String], String)] = [
            (["--nemesis", "partition", "--nemesis-cuts", "network", "--db", "/tmp/never-made-\(getpid()).db"],
             "market run: --nemesis-cuts network needs --hosts"),
            (["--nemesis", "isolate-trader", "--nemesis-cuts", "network", "--hosts", "host1,host2", "--db", store],
             "market run: --nemesis isolate-trader as network cuts needs each peer alone on its host, but host1 runs P0, P2"),
            (["--nemesis", "one-way", "--nemesis-cuts", "network", "--hosts", "host1,host2,host3", "--db", store],
             "market run: --nemesis one-way cannot be a network cut"),
            (["--nemesis-cuts", "network", "--hosts", "host1,host2,host3", "--db", store],
             "market run: --nemesis-cuts network needs --nemesis"),
        ]
        for (arguments, expected) in cases {
            let run = try ChildRun.run(try EndToEndTests.marketBinary(), ["run", "--scenario", "single_pair"] + arguments, deadline: 30)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.errors)")
            XCTAssertEqual(run.errors.filter { $0 == "\n" }.count, 1, run.errors)
            XCTAssertTrue(run.errors.hasPrefix(expected), "\(expected)\n\(run.errors)")
        }
    }

    private func database(on server: PrivatePostgres, _ name: String) throws -> (local: String, network: String) {
        let local = try server.createDatabase(name)
        let database = try XCTUnwrap(local.components(separatedBy: "@/").last?.components(separatedBy: "?").first)
        return (local, try XCTUnwrap(server.networkURL(database: database)))
    }

    /// `market ARGUMENTS` in the control namespace, with the set's ssh config (or `ssh`).
    private func supervise(on set: NamespacedHosts, _ arguments: [String], ssh: String? = nil,
                           deadline: TimeInterval = 90) throws -> FinishedCommand {
        let binary = try EndToEndTests.marketBinary().path
        let run = try set.inControl(["env", "MARKET_SSH=\(ssh ?? "ssh -F \(set.sshConfig)")", binary] + arguments, deadline: deadline)
        if run.timedOut { XCTFail("market \(arguments.joined(separator: " ")) ran longer than \(Int(deadline)) s") }
        return run
    }
}
