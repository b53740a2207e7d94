import XCTest
@testable import MarketCore

/// Whole peers wired together through `MiniMarket`: the core's parts agree with each other.
final class MiniMarketTests: XCTestCase {
    private func scenario(_ name: BuiltInScenario, seed: UInt64 = 1, requests: Int, sickRate: Double = 0,
                          sickMode: SickMode = .silent) -> Scenario {
        var scenario = try! name.scenario(seed: seed)
        scenario.requestsPerBuyer = requests
        scenario.sickRate = sickRate
        scenario.sickMode = sickMode
        return scenario
    }

    private func settled(_ market: MiniMarket) -> Bool {
        market.buyersDone && market.store.pending.isEmpty && market.store.outbox.isEmpty
            && market.scenario.peers.allSatisfy { $0.downAtStart || market.peers[$0.id].isUp }
            && market.peers.filter(\.isTrader).count == 1
            && market.pausedUntil.values.allSatisfy { $0 <= market.now }
            && !market.queue.contains { if case .persisted = $0.event { true } else { false } }
    }

    @discardableResult
    private func run(_ scenario: Scenario, random: SplitMix64? = nil, jitter: Int = 1, pauseChance: Double = 0,
                     pauseLength: Duration = .zero, limit: Duration = .seconds(120),
                     file: StaticString = #filePath, line: UInt = #line) -> MiniMarket {
        var market = MiniMarket(scenario)
        market.random = random
        market.jitter = jitter
        market.pauseChance = pauseChance
        market.pauseLength = pauseLength
        let finished = market.run(until: limit, done: settled)
        XCTAssertTrue(finished, "\(scenario.name) seed \(scenario.seed) did not settle by \(market.now)", file: file, line: line)
        XCTAssertEqual(market.check(), [], "\(scenario.name) seed \(scenario.seed)", file: file, line: line)
        XCTAssertEqual(market.ledgerProblems(), [], "\(scenario.name) seed \(scenario.seed)", file: file, line: line)
        return market
    }

    func testSinglePair() {
        let market = run(scenario(.singlePair, requests: 30))
        XCTAssertEqual(market.store.decisions.count, 30)
        XCTAssertTrue(market.store.decisions.allSatisfy { $0.outcome.trade?.seller == 0 })
        XCTAssertEqual(market.peers[2].isTrader, true, "the highest peer trades")
        XCTAssertEqual(market.peers[1].ledger, Ledger(bought: 30, sold: 0, cashCents: -3000))
        XCTAssertEqual(market.peers[0].ledger, Ledger(bought: 0, sold: 30, cashCents: 2700))
        XCTAssertEqual(market.peers[2].ledger, Ledger(bought: 0, sold: 0, cashCents: 300))
        XCTAssertEqual(market.store.epoch, 1)
    }

    func testNoMatchFailsEveryBuyCleanly() {
        let market = run(scenario(.noMatch, requests: 10))
        XCTAssertEqual(market.store.decisions.map(\.outcome), Array(repeating: .failed(.noSeller), count: 10))
        XCTAssertEqual(market.peers[0].buyer.failed, 10)
    }

    func testTestCase2TradesWithoutTheDownPeer() {
        let market = run(scenario(.testCase2, requests: 30))
        XCTAssertEqual(market.store.leaderID, 3)
        XCTAssertEqual(market.store.decisions.count, 30)
        // The first buy may race P1's first deposit and fail with "no seller"; the rest sell.
        XCTAssertGreaterThanOrEqual(market.store.decisions.compactMap(\.outcome.trade).count, 29)
    }

    func testTestCase3TwoBuyersCompeteInLamportOrder() {
        let market = run(scenario(.testCase3, requests: 25))
        XCTAssertEqual(market.store.decisions.count, 50)
        XCTAssertEqual(Set(market.store.decisions.map(\.request.buyer)), [0, 3])
    }

    func testRestockWhenSoldOut() {
        var s = scenario(.singlePair, requests: 12)
        s.initialStock = 5
        s.restock = 5
        let market = run(s)
        XCTAssertGreaterThan(market.peers[0].seller.deposits, 1, "P0 restocked")
        XCTAssertEqual(market.store.deposits.filter { $0.seller == 0 }.first?.quantity, 5)
    }

    func testTheTraderFallsSickInEveryMode() {
        for mode in SickMode.allCases {
            for seed in UInt64(1)...3 {
                let market = run(scenario(.testCase1, seed: seed, requests: 12, sickRate: 0.1, sickMode: mode))
                XCTAssertFalse(market.sickness.isEmpty, "\(mode) seed \(seed): nobody fell sick")
                XCTAssertGreaterThan(market.store.epoch, 1, "\(mode) seed \(seed): no re-election")
            }
        }
    }

    func testFaultsWithJitteryLinksAndAStoreThatTakesItsTime() {
        for name in [BuiltInScenario.testCase3, .normal, .oneDown] {
            for mode in SickMode.allCases {
                for seed in UInt64(1)...2 {
                    var s = scenario(name, seed: seed, requests: 8, sickRate: 0.3, sickMode: mode)
                    s.initialStock = 4
                    s.restock = 3
                    run(s, random: SplitMix64(seed: seed), jitter: 7)
                }
            }
        }
    }

    /// A trader back from sickness decided before it heard from P0 again, and (310, P3) went
    /// before (310, P0) in epoch 3.
    func testARecoveredTraderKeepsLamportOrder() {
        var s = scenario(.testCase3, seed: 19, requests: 12, sickRate: 0.3, sickMode: .silent)
        s.recoverAfter = .milliseconds(1000)
        s.initialStock = 4
        s.restock = 3
        run(s, random: SplitMix64(seed: 19 &* 7919), jitter: 13)
    }

    /// P2 and P1 came back from resigning while P0, the only buyer, traded; they followed P0
    /// instead of taking over, and P0 never bought again.
    func testRecoveredHigherPeersTakeOverFromABuyer() {
        var s = scenario(.oneDown, seed: 1, requests: 12, sickRate: 0.3, sickMode: .resign)
        s.recoverAfter = .milliseconds(400)
        s.initialStock = 4
        s.restock = 3
        let market = run(s)
        XCTAssertEqual(market.peers[0].buyer.completed, 12)
        XCTAssertTrue(market.peers[2].isTrader)
    }

    func testZombieTradersThatAreBuyers() {
        // In normal the highest peer may buy; paused as trader, it resumes and buys with its
        // old clock. Its late request must not be decided out of order in the new epoch.
        for seed in [UInt64(6), 18, 19] {
            var s = scenario(.normal, seed: seed, requests: 10, sickRate: [0.0, 0.1, 0.5][Int(seed % 3)])
            s.recoverAfter = .milliseconds(Int(seed % 5) * 500 + 50)
            s.initialStock = 3
            s.restock = Int(seed % 3) + 1
            let market = run(s, random: SplitMix64(seed: seed &* 31 &+ 7), jitter: Int(seed % 7) * 6 + 1,
                             pauseChance: 0.05, pauseLength: .milliseconds(Int(seed % 4) * 600 + 300))
            XCTAssertGreaterThan(market.pauses, 0, "seed \(seed)")
        }
    }

    /// P5 crashed as trader of epoch 13 and restarted; a resumed zombie P6 answered its old
    /// ELECTIONs with COORDINATOR(11), so P5 followed P6 while P6 and everyone else followed
    /// P5: nobody traded again.
    func testARestartedTraderFollowingAZombie() {
        let seed: UInt64 = 35
        var s = scenario(.testCase1, seed: seed, requests: 10, sickRate: 0.5, sickMode: .crash)
        s.recoverAfter = .milliseconds(50)
        s.initialStock = 3
        s.restock = 3
        run(s, random: SplitMix64(seed: seed &* 31 &+ 7), jitter: 1, pauseChance: 0.05,
            pauseLength: .milliseconds(2100))
    }

    func testFaultsAndPausesAcrossTheBuiltIns() {
        for name in BuiltInScenario.allCases {
            for (index, mode) in SickMode.allCases.enumerated() {
                let seed = UInt64(index) + 3
                var s = scenario(name, seed: seed, requests: 6, sickRate: 0.2, sickMode: mode)
                s.recoverAfter = .milliseconds(700)
                s.initialStock = 3
                s.restock = 2
                run(s, random: SplitMix64(seed: seed), jitter: 9, pauseChance: 0.05, pauseLength: .milliseconds(1200))
            }
        }
    }

    func testTheSameSeedRunsTheSame() {
        let s = scenario(.testCase3, seed: 9, requests: 10, sickRate: 0.1, sickMode: .crash)
        let a = run(s), b = run(s)
        XCTAssertEqual(a.store.decisions, b.store.decisions)
        XCTAssertEqual(a.steps, b.steps)
    }
}
