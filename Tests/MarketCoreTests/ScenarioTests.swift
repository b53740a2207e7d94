import XCTest
@testable import MarketCore

final class ScenarioTests: XCTestCase {
    private func shape(_ scenario: Scenario) -> [String] {
        scenario.peers.map { "P\($0.id) \($0.role.rawValue) \($0.product.rawValue)\($0.downAtStart ? " down" : "")" }
    }

    private func builtIn(_ name: BuiltInScenario, seed: UInt64 = 1, peers: Int? = nil) -> Scenario {
        do {
            return try name.scenario(seed: seed, peers: peers)
        } catch {
            XCTFail("\(name.rawValue): \(error)")
            return Scenario(name: "", peers: [], requestsPerBuyer: 0, seed: 0)
        }
    }

    /// A built-in scenario, checked to have these peers (as `shape` writes them) and this many
    /// requests per buyer.
    private func builtIn(
        _ name: BuiltInScenario, shape expected: [String], requestsPerBuyer: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Scenario {
        let scenario = builtIn(name)
        XCTAssertEqual(shape(scenario), expected, file: file, line: line)
        XCTAssertEqual(scenario.requestsPerBuyer, requestsPerBuyer, file: file, line: line)
        return scenario
    }

    private func invalid(_ change: (inout Scenario) -> Void, file: StaticString = #filePath, line: UInt = #line) -> String? {
        var scenario = builtIn(.testCase1)
        change(&scenario)
        do {
            try scenario.validate()
            XCTFail("accepted", file: file, line: line)
            return nil
        } catch {
            guard case .invalid(let why) = error else {
                XCTFail("\(error)", file: file, line: line)
                return nil
            }
            return why
        }
    }

    // MARK: The built-ins of DESIGN.md

    func testTheBuiltInsByName() throws {
        XCTAssertEqual(BuiltInScenario.allCases.map(\.rawValue), [
            "test_case1", "test_case2", "test_case3", "normal", "single_pair", "one_down", "lone_peer", "no_match",
            "lab", "many_buyers",
        ])
        for scenario in BuiltInScenario.allCases {
            XCTAssertEqual(try BuiltInScenario.named(scenario.rawValue), scenario)
            XCTAssertEqual(builtIn(scenario).name, scenario.rawValue)
            XCTAssertFalse(scenario.summary.isEmpty)
            XCTAssertFalse(scenario.summary.contains("\n"), "one line each")
        }
    }

    func testAnUnknownNameSaysWhatExists() {
        XCTAssertThrowsError(try BuiltInScenario.named("test_case4")) { error in
            XCTAssertEqual(error as? ScenarioError, .unknown("test_case4"))
            XCTAssertEqual("\(error)", "unknown scenario 'test_case4'; built-in: test_case1, test_case2, test_case3, "
                + "normal, single_pair, one_down, lone_peer, no_match, lab, many_buyers")
        }
        XCTAssertThrowsError(try BuiltInScenario.named("TEST_CASE1"))
        XCTAssertThrowsError(try BuiltInScenario.named(""))
    }

    func testTestCase1() {
        let scenario = builtIn(.testCase1, shape: [
            "P0 buyer salt", "P1 seller salt", "P2 seller boar", "P3 buyer fish", "P4 seller fish",
            "P5 seller salt", "P6 seller boar",
        ], requestsPerBuyer: 1000)
        XCTAssertEqual(scenario.buyers.map(\.id), [0, 3])
    }

    func testTestCase2() {
        let scenario = builtIn(.testCase2, shape: [
            "P0 buyer salt", "P1 seller salt", "P2 seller boar", "P3 seller fish", "P4 seller boar down",
        ], requestsPerBuyer: 1000)
        XCTAssertEqual(scenario.buyers.map(\.id), [0], "one buyer")
        for seed in UInt64(0)..<200 {
            XCTAssertNotEqual(builtIn(.testCase2, seed: seed).firstElection, 4, "P4 is down from the start")
        }
    }

    func testTestCase3() {
        let scenario = builtIn(.testCase3, shape: [
            "P0 buyer salt", "P1 seller salt", "P2 seller boar", "P3 buyer salt", "P4 seller fish",
            "P5 seller salt", "P6 seller boar",
        ], requestsPerBuyer: 1000)
        XCTAssertEqual(scenario.buyers.map(\.product), [.salt, .salt], "two buyers of the same product")
    }

    func testTheSmallBuiltIns() {
        XCTAssertEqual(shape(builtIn(.singlePair)), ["P0 seller salt", "P1 buyer salt", "P2 seller boar"])
        XCTAssertEqual(shape(builtIn(.oneDown)), [
            "P0 buyer boar", "P1 seller boar", "P2 seller fish", "P3 seller salt down",
        ])
        XCTAssertEqual(shape(builtIn(.lonePeer)), ["P0 seller salt"])
        XCTAssertEqual(shape(builtIn(.noMatch)), ["P0 buyer fish", "P1 seller boar", "P2 seller boar"])
        XCTAssertFalse(builtIn(.noMatch).peers.contains { $0.role == .seller && $0.product == .fish },
                       "nobody sells what the buyer wants")
        for scenario in [BuiltInScenario.normal, .singlePair, .oneDown, .lonePeer, .noMatch] {
            XCTAssertEqual(builtIn(scenario).requestsPerBuyer, 200, scenario.rawValue)
        }
    }

    func testTheLabsExperiment() {
        let scenario = builtIn(.lab, shape: [
            "P0 buyer salt", "P1 buyer salt", "P2 buyer salt", "P3 seller salt", "P4 seller boar",
        ], requestsPerBuyer: 1000)
        XCTAssertEqual(scenario.sickRate, 0.005, "a knob, as in the lab's table")
    }

    func testManyBuyers() {
        let scenario = builtIn(.manyBuyers)
        XCTAssertEqual(scenario.peers.count, 16, "default")
        XCTAssertEqual(scenario.buyers.map(\.id), Array(0..<12), "three quarters buy")
        XCTAssertEqual(scenario.peers.last?.role, .seller, "the likely trader is no buyer")
        for product in Product.allCases {
            XCTAssertTrue(scenario.peers.dropLast().contains { $0.role == .seller && $0.product == product },
                          "someone below the trader sells \(product.rawValue)")
        }
        XCTAssertEqual(scenario.initialStock, 1_000_000, "stock that never runs out")
        XCTAssertEqual(builtIn(.manyBuyers, peers: 128).buyers.count, 96)
        XCTAssertThrowsError(try BuiltInScenario.manyBuyers.scenario(seed: 1, peers: ScenarioLimits.maxPeers + 1))
    }

    func testDefaultKnobs() {
        for name in BuiltInScenario.allCases {
            let scenario = builtIn(name)
            XCTAssertEqual(scenario.quantity, 1)
            XCTAssertEqual(scenario.priceCents, 100)
            XCTAssertEqual(scenario.commissionPercent, 10)
            XCTAssertEqual(scenario.initialStock, name == .manyBuyers ? 1_000_000 : 100)
            XCTAssertEqual(scenario.restock, 100)
            XCTAssertEqual(scenario.sickRate, 0.005)
            XCTAssertEqual(scenario.sickMode, .silent)
            XCTAssertEqual(scenario.recoverAfter, .milliseconds(500))
            XCTAssertEqual(scenario.timing, Timing())
        }
    }

    func testEveryBuiltInIsValidForManySeeds() {
        for name in BuiltInScenario.allCases {
            for seed in UInt64(0)..<50 {
                XCTAssertNoThrow(try builtIn(name, seed: seed).validate(), "\(name.rawValue) seed \(seed)")
            }
        }
    }

    func testTheFirstElectionStartsAtALivePeerDrawnFromTheSeed() {
        var starters: Set<PeerID> = []
        for seed in UInt64(0)..<100 {
            let scenario = builtIn(.oneDown, seed: seed)
            XCTAssertFalse(scenario.peers[scenario.firstElection].downAtStart)
            XCTAssertEqual(builtIn(.oneDown, seed: seed).firstElection, scenario.firstElection)
            starters.insert(scenario.firstElection)
        }
        XCTAssertEqual(starters, [0, 1, 2])
        XCTAssertEqual(Scenario(name: "x", peers: [PeerSpec(id: 0, role: .buyer, product: .salt)],
                                requestsPerBuyer: 1, seed: 9, firstElection: 0).firstElection, 0)
    }

    // MARK: normal

    func testNormalIsDeterministicPerSeed() {
        for seed in UInt64(0)..<50 {
            XCTAssertEqual(builtIn(.normal, seed: seed), builtIn(.normal, seed: seed))
            XCTAssertEqual(builtIn(.normal, seed: seed, peers: 9), builtIn(.normal, seed: seed, peers: 9))
        }
        let shapes = Set((UInt64(0)..<50).map { shape(builtIn(.normal, seed: $0)) })
        XCTAssertGreaterThan(shapes.count, 10, "roles and products come from the seed")
    }

    func testNormalPeerCount() {
        XCTAssertEqual(builtIn(.normal).peers.count, 6, "default")
        XCTAssertEqual(builtIn(.normal, peers: 2).peers.count, 2)
        XCTAssertEqual(builtIn(.normal, peers: 128).peers.count, 128)
        XCTAssertEqual(builtIn(.normal, peers: 11).peerIDs, Array(0..<11))
        for bad in [-1, 0, 1, ScenarioLimits.maxPeers + 1] {
            XCTAssertThrowsError(try BuiltInScenario.normal.scenario(seed: 1, peers: bad)) { error in
                XCTAssertEqual(error as? ScenarioError, .invalid("normal needs 2 to \(ScenarioLimits.maxPeers) peers"))
            }
        }
    }

    func testNormalAlwaysHasABuyerAndASellerBelowTheLikelyTrader() {
        for n in 3...8 {
            for seed in UInt64(0)..<100 {
                let lower = builtIn(.normal, seed: seed, peers: n).peers.dropLast()
                XCTAssertTrue(lower.contains { $0.role == .buyer }, "n \(n) seed \(seed)")
                XCTAssertTrue(lower.contains { $0.role == .seller }, "n \(n) seed \(seed)")
            }
        }
    }

    func testPeersIsOnlyForTheScenariosOfVariableSize() {
        XCTAssertEqual(builtIn(.testCase1, peers: 3).peers.count, 7)
    }

    // MARK: Configuration of one peer

    func testConfigForOnePeer() {
        var scenario = builtIn(.testCase2, seed: 77)
        scenario.priceCents = 250
        scenario.commissionPercent = 20
        scenario.restock = 7
        scenario.quantity = 2
        let buyer = scenario.config(for: 0)
        XCTAssertEqual(buyer.id, 0)
        XCTAssertEqual(buyer.peers, [0, 1, 2, 3, 4])
        XCTAssertEqual(buyer.role, .buyer)
        XCTAssertEqual(buyer.product, .salt)
        XCTAssertEqual(buyer.requests, 1000)
        XCTAssertEqual(buyer.quantity, 2)
        XCTAssertEqual(buyer.priceCents, 250)
        XCTAssertEqual(buyer.commissionPercent, 20)
        XCTAssertEqual(buyer.restock, 7)
        XCTAssertEqual(buyer.initialStock, 100)
        XCTAssertEqual(buyer.sickRate, 0.005)
        XCTAssertEqual(buyer.seed, 77)
        XCTAssertEqual(buyer.stabilityRule, .lamport)
        let seller = scenario.config(for: 3)
        XCTAssertEqual(seller.role, .seller)
        XCTAssertEqual(seller.product, .fish)
        XCTAssertEqual(seller.requests, 0, "sellers do not buy")
    }

    // MARK: validate()

    func testValidateRejectsBadKnobs() {
        XCTAssertEqual(invalid { $0.peers = [] }, "a scenario needs at least one peer")
        XCTAssertEqual(invalid { $0.peers.removeFirst() }, "peer ids must be 0, 1, 2, … in order")
        XCTAssertEqual(invalid { $0.peers.swapAt(0, 1) }, "peer ids must be 0, 1, 2, … in order")
        XCTAssertEqual(invalid { s in for i in s.peers.indices { s.peers[i].downAtStart = true } }, "every peer is down at start")
        XCTAssertEqual(invalid { $0.requestsPerBuyer = -1 }, "requests per buyer must be 0 or more")
        XCTAssertEqual(invalid { $0.quantity = 0 }, "quantity must be at least 1")
        XCTAssertEqual(invalid { $0.priceCents = -1 }, "price must be 0 or more cents")
        XCTAssertEqual(invalid { $0.commissionPercent = 101 }, "commission must be 0 to 100 percent")
        XCTAssertEqual(invalid { $0.commissionPercent = -1 }, "commission must be 0 to 100 percent")
        XCTAssertEqual(invalid { $0.initialStock = -1 }, "stock and restock must be 0 or more")
        XCTAssertEqual(invalid { $0.restock = -5 }, "stock and restock must be 0 or more")
        XCTAssertEqual(invalid { $0.sickRate = 1.5 }, "sick rate must be between 0 and 1")
        XCTAssertEqual(invalid { $0.sickRate = -0.1 }, "sick rate must be between 0 and 1")
        XCTAssertEqual(invalid { $0.sickRate = .nan }, "sick rate must be between 0 and 1")
        XCTAssertEqual(invalid { $0.recoverAfter = .milliseconds(-1) }, "recover-after must be 0 or more")
        XCTAssertEqual(invalid { $0.firstElection = 7 }, "the first election must start at a live peer")
        XCTAssertEqual(invalid { $0.firstElection = -1 }, "the first election must start at a live peer")
        XCTAssertEqual(invalid { s in s.peers[2].downAtStart = true; s.firstElection = 2 },
                       "the first election must start at a live peer")
    }

    func testValidateAcceptsTheEdges() {
        var scenario = builtIn(.testCase1)
        scenario.requestsPerBuyer = 0
        scenario.priceCents = 0
        scenario.commissionPercent = 100
        scenario.initialStock = 0
        scenario.restock = 0
        scenario.sickRate = 1
        scenario.recoverAfter = .zero
        XCTAssertNoThrow(try scenario.validate())
        scenario.commissionPercent = 0
        scenario.sickRate = 0
        XCTAssertNoThrow(try scenario.validate())
    }

    func testAnInvalidScenarioSaysWhyInOneLine() {
        let error = ScenarioError.invalid("quantity must be at least 1")
        XCTAssertEqual(error.description, "invalid scenario: quantity must be at least 1")
    }
}
