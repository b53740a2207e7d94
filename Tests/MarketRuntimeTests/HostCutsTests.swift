import Foundation
import MarketCore
@testable import MarketRuntime
import XCTest

/// `--nemesis-cuts network`: which nemeses can be real cuts with a placement, sides drawn over
/// hosts and widened to their peers, the routes each host needs, and no route left at the end.
final class HostCutsTests: XCTestCase {
    private let oneEach = HostPlacement(destinations: [0: "h1", 1: "h2", 2: "h3"])
    private let shared = HostPlacement(destinations: [0: "h1", 1: "h2", 2: "h1", 3: "h3"])

    func testRefusals_nameWhatIsWrong_inOneLine() {
        let partition = NemesisPlan(kinds: [.partition])
        XCTAssertNil(HostCuts.refusal(partition, placement: oneEach))
        XCTAssertNil(HostCuts.refusal(NemesisPlan(kinds: [.isolateTrader, .bridge]), placement: oneEach))
        XCTAssertNil(HostCuts.refusal(partition, placement: shared), "a partition of hosts needs no peer alone")
        let refusals = [
            HostCuts.refusal(partition, placement: nil),
            HostCuts.refusal(nil, placement: oneEach),
            HostCuts.refusal(NemesisPlan(kinds: [.partition, .oneWay]), placement: oneEach),
            HostCuts.refusal(NemesisPlan(kinds: [.flaky]), placement: oneEach),
            HostCuts.refusal(NemesisPlan(kinds: [.isolateTrader]), placement: shared),
            HostCuts.refusal(partition, placement: HostPlacement(destinations: [0: "h1", 1: "h1"])),
            HostCuts.refusal(partition, placement: HostPlacement(destinations: [0: "local", 1: "h1", 2: "h2"])),
        ]
        let expected = ["needs --hosts", "needs --nemesis", "one-way cannot be a network cut", "flaky cannot be a network cut",
                        "h1 runs P0, P2", "at least two hosts", "every peer on a remote host"]
        for (refusal, words) in zip(refusals, expected) {
            let line = refusal ?? ""
            XCTAssertTrue(line.contains(words), "\(words): \(line)")
            XCTAssertFalse(line.contains("\n"), line)
        }
    }

    func testAPartitionOfHosts_isThePartitionOfTheirPeers_andEachHostBlackholesTheOtherSide() {
        let cuts = HostCuts(placement: shared)
        XCTAssertEqual(cuts.hosts, ["h1", "h2", "h3"])
        XCTAssertEqual(cuts.scheduleIDs, [0, 1, 2])
        // Host 0 (h1: P0, P2) against hosts 1 and 2 (h2: P1, h3: P3).
        let overHosts = NemesisCut(kind: .partition, groups: [[0], [1, 2]], links: NemesisCut.between([0], [1, 2], bothWays: true))
        let overPeers = cuts.overPeers(overHosts)
        XCTAssertEqual(overPeers.groups, [[0, 2], [1, 3]])
        XCTAssertEqual(overPeers.links, NemesisCut.between([0, 2], [1, 3], bothWays: true))
        XCTAssertEqual(cuts.blackholes(overPeers.links), ["h1": ["h2", "h3"], "h2": ["h1"], "h3": ["h1"]])
        XCTAssertEqual(cuts.blackholes([]), [:], "a heal: no route anywhere")
        // The schedule draws over the hosts: every cut it draws separates whole hosts.
        var schedule = NemesisSchedule(plan: NemesisPlan(kinds: [.partition, .bridge], interval: .seconds(1)),
                                       peers: cuts.scheduleIDs, seed: 7)
        for step in schedule.steps(before: .seconds(20)) {
            guard case .cut(let cut) = step.action else { continue }
            let links = cuts.overPeers(cut).links
            XCTAssertFalse(links.isEmpty)
            XCTAssertFalse(links.contains { (shared.destinations[$0.from] == shared.destinations[$0.to]) }, "\(links)")
        }
    }

    func testRoutesAreAddedOverSSH_removedAtTheHeal_andNoneLeftAfterRemoveAll() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostcuts-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // An ssh that notes each host and script, and fails for h3 once told to.
        let calls = directory.appendingPathComponent("calls").path
        let ssh = directory.appendingPathComponent("ssh").path
        try """
            #!/bin/sh
            while [ "$1" != "--" ]; do shift; done
            echo "$2 $3" >> '\(calls)'
            [ "$2" = h3 ] && [ -e '\(directory.path)/fail' ] && { echo 'ssh: connect to host h3 port 22: No route to host' >&2; exit 255; }
            exit 0

            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(ssh, 0o755), 0)
        let routes = BlackholeRoutes(ssh: SSHCommand(words: [ssh]))
        func apply(_ wanted: [String: Set<String>]) -> String? {
            let answered = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: String?
            routes.apply(wanted) { result = $0; answered.signal() }
            XCTAssertEqual(answered.wait(timeout: .now() + 30), .success)
            return result
        }
        func takeCalls() throws -> [String] {
            let text = (try? String(contentsOfFile: calls, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: calls)
            return text.split(separator: "\n").map(String.init).sorted()
        }
        XCTAssertNil(apply(["h1": ["10.0.0.2", "10.0.0.3"], "h2": ["10.0.0.1"]]))
        XCTAssertEqual(try takeCalls(), ["h1 sh -c 'set -e; ip route replace blackhole 10.0.0.2/32; ip route replace blackhole 10.0.0.3/32'",
                                         "h2 sh -c 'set -e; ip route replace blackhole 10.0.0.1/32'"])
        XCTAssertNil(apply([:]))
        XCTAssertEqual(try takeCalls(), ["h1 sh -c 'set -e; ip route del blackhole 10.0.0.2/32; ip route del blackhole 10.0.0.3/32'",
                                         "h2 sh -c 'set -e; ip route del blackhole 10.0.0.1/32'"])
        XCTAssertEqual(routes.removeAll(), [], "nothing left: nothing to do")
        XCTAssertEqual(try takeCalls(), [])

        // A host that cannot be told is named in one line; its routes are removed at the end all the same.
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("fail").path, contents: nil)
        let failure = apply(["h1": ["10.0.0.3"], "h3": ["10.0.0.1"]])
        XCTAssertEqual(failure, "the nemesis cannot change the routes of host h3: exit 255: ssh: connect to host h3 port 22: No route to host")
        _ = try takeCalls()
        XCTAssertEqual(routes.removeAll().count, 1, "h3 still cannot be told")
        try FileManager.default.removeItem(atPath: directory.appendingPathComponent("fail").path)
        XCTAssertEqual(try takeCalls().map { String($0.prefix(3)) }, ["h1 ", "h3 "])
        XCTAssertEqual(routes.removeAll(), [])
        XCTAssertEqual(try takeCalls().map { String($0.prefix(3)) }, ["h3 "], "only what was left is asked again")
    }
}
