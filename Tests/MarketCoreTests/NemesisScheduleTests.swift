import XCTest
@testable import MarketCore

/// The nemesis schedule: the same seed gives the same steps, and each action cuts what its
/// kind says.
final class NemesisScheduleTests: XCTestCase {
    private let peers = Array(0..<7)

    private func steps(_ kinds: [NemesisKind], seed: UInt64 = 7, actions: Int = 6) -> [NemesisStep] {
        var schedule = NemesisSchedule(plan: NemesisPlan(kinds: kinds, interval: .seconds(2), actions: actions), peers: peers, seed: seed)
        var steps: [NemesisStep] = []
        while let step = schedule.next() { steps.append(step) }
        return steps
    }

    private func cuts(_ steps: [NemesisStep]) -> [NemesisCut] {
        steps.compactMap { if case .cut(let cut) = $0.action { cut } else { nil } }
    }

    func testTheSameSeedGivesTheSameStepsAndAnotherSeedOthers() {
        let kinds = NemesisKind.allCases
        XCTAssertEqual(steps(kinds, seed: 11), steps(kinds, seed: 11))
        XCTAssertNotEqual(steps(kinds, seed: 11), steps(kinds, seed: 12))
    }

    func testEveryActionIsFollowedByAHealAnIntervalLaterAndTheNextActionByACalm() {
        let all = steps([.partition, .isolateTrader], actions: 4)
        XCTAssertEqual(all.count, 8)
        for (index, pair) in stride(from: 0, to: all.count, by: 2).map({ (all[$0], all[$0 + 1]) }).enumerated() {
            XCTAssertNotEqual(pair.0.action, .heal)
            XCTAssertEqual(pair.0.at, .seconds(2 + 4 * index), "an action every two intervals, the first after one")
            XCTAssertEqual(pair.1, NemesisStep(at: .seconds(4 + 4 * index), action: .heal))
        }
    }

    func testAPartitionCutsEveryLinkBetweenTwoHalvesBothWaysAndNoOther() {
        for cut in cuts(steps([.partition])) {
            XCTAssertEqual(cut.groups.count, 2)
            let (one, other) = (Set(cut.groups[0]), Set(cut.groups[1]))
            XCTAssertEqual(one.union(other), Set(peers))
            XCTAssertTrue(one.isDisjoint(with: other))
            XCTAssertEqual([one.count, other.count].sorted(), [3, 4])
            for a in peers {
                for b in peers where a != b {
                    XCTAssertEqual(cut.links.contains(DirectedLink(a, b)), one.contains(a) != one.contains(b), "\(a)>\(b)")
                }
            }
        }
    }

    func testAOneWayCutLosesOnlyTheFirstGroupsFramesToTheSecond() {
        for cut in cuts(steps([.oneWay])) {
            let (one, other) = (cut.groups[0], cut.groups[1])
            XCTAssertEqual(cut.links, Set(one.flatMap { a in other.map { DirectedLink(a, $0) } }))
            XCTAssertFalse(cut.links.contains { one.contains($0.to) }, "the other way stays up")
        }
    }

    func testABridgeSharesOnePeerThatHearsBothSides() {
        for cut in cuts(steps([.bridge])) {
            let shared = Set(cut.groups[0]).intersection(cut.groups[1])
            XCTAssertEqual(shared.count, 1)
            XCTAssertEqual(Set(cut.groups.joined()), Set(peers))
            let bridge = shared.first!
            XCTAssertFalse(cut.links.contains { $0.from == bridge || $0.to == bridge }, "the bridge hears everyone")
            XCTAssertEqual(cut.links.count, 2 * (cut.groups[0].count - 1) * (cut.groups[1].count - 1))
        }
    }

    func testFlakyLinksChangeFourTimesWithinTheirIntervalAndAreCutBothWays() {
        let all = steps([.flaky], actions: 2)
        XCTAssertEqual(all.count, 10)
        XCTAssertEqual(all[0..<4].map(\.at), [.seconds(2), .milliseconds(2500), .seconds(3), .milliseconds(3500)])
        XCTAssertEqual(all[4].action, .heal)
        let flaky = cuts(all)
        XCTAssertGreaterThan(Set(flaky.map(\.links)).count, 1, "the cut links change")
        for cut in flaky {
            XCTAssertTrue(cut.links.allSatisfy { cut.links.contains(DirectedLink($0.to, $0.from)) })
        }
    }

    func testIsolatingTheTraderIsLeftToWhoeverKnowsWhoItIs() {
        XCTAssertEqual(steps([.isolateTrader], actions: 1).first?.action, .isolateTrader)
        let cut = NemesisCut.isolating(3, among: [0, 1, 2, 3])
        XCTAssertEqual(cut.groups, [[3], [0, 1, 2]])
        XCTAssertEqual(cut.linksText, "0>3,1>3,2>3,3>0,3>1,3>2")
        XCTAssertEqual(NemesisCut.isolating(nil, among: [0, 1]).links, [])
    }

    func testCutsAndKindsReadBackFromTheirText() throws {
        let cut = NemesisCut.isolating(1, among: [0, 1, 2])
        XCTAssertEqual(NemesisCut.links(cut.linksText), cut.links)
        XCTAssertNil(NemesisCut.links("1>x"))
        XCTAssertEqual(try NemesisKind.list("partition, one-way,partition"), [.partition, .oneWay])
        XCTAssertThrowsError(try NemesisKind.list("partitoin"))
    }

    func testLatencyParsesItsUnitAndDistribution() throws {
        XCTAssertEqual(try LinkConditions.latency("5ms").0, .milliseconds(5))
        XCTAssertEqual(try LinkConditions.latency("250us:uniform").1, .uniform)
        XCTAssertEqual(try LinkConditions.latency("0.5s:exponential").0, .milliseconds(500))
        XCTAssertThrowsError(try LinkConditions.latency("5"))
        XCTAssertThrowsError(try LinkConditions.latency("5ms:normal"))
        XCTAssertThrowsError(try LinkConditions.loss("1"))
        XCTAssertEqual(try LinkConditions.loss("0.05"), 0.05)
    }

    func testLossIsRetransmissionDelayAndDistributionsKeepTheirMean() {
        var random = SplitMix64(seed: 3)
        let lossy = LinkConditions(latency: .milliseconds(2), loss: 0.5)
        let draws = (0..<2000).map { _ in lossy.draw(using: &random) }
        for draw in draws {
            XCTAssertEqual(draw.delay, .milliseconds(2) + lossy.retransmitAfter * draw.retransmissions)
        }
        let resent = Double(draws.map(\.retransmissions).reduce(0, +)) / Double(draws.count)
        XCTAssertEqual(resent, 1, accuracy: 0.15, "a loss of one half sends a frame again once on average")
        for distribution in [LinkConditions.Distribution.uniform, .exponential] {
            let slow = LinkConditions(latency: .milliseconds(5), distribution: distribution)
            let mean = (0..<4000).map { _ in slow.draw(using: &random).delay.seconds }.reduce(0, +) / 4000
            XCTAssertEqual(mean, 0.005, accuracy: 0.0005, "\(distribution)")
        }
        XCTAssertEqual(Double.log(2.718281828459045), 1, accuracy: 1e-9)
    }
}
