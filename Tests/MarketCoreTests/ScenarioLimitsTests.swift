import MarketCore
import XCTest

/// `Scenario.validate` bounds every number, so no product of them can overflow.
final class ScenarioLimitsTests: XCTestCase {
    func scenario(_ change: (inout Scenario) -> Void) throws -> Scenario {
        var scenario = try BuiltInScenario.testCase3.scenario(seed: 1)
        change(&scenario)
        return scenario
    }

    func assertInvalid(_ change: (inout Scenario) -> Void, saying expected: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertThrowsError(try scenario(change).validate(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
        }
    }

    func test_builtInsAreWithinTheLimits() throws {
        for builtIn in BuiltInScenario.allCases {
            XCTAssertNoThrow(try builtIn.scenario(seed: 7).validate(), builtIn.rawValue)
        }
        XCTAssertNoThrow(try BuiltInScenario.normal.scenario(seed: 7, peers: ScenarioLimits.maxPeers).validate())
    }

    func test_eachNumberIsBounded() throws {
        try assertInvalid({ $0.priceCents = 9_000_000_000_000_000_000 }, saying: "price must be at most")
        try assertInvalid({ $0.quantity = Int.max }, saying: "quantity must be at most")
        try assertInvalid({ $0.requestsPerBuyer = 2_000_000 }, saying: "requests per buyer")
        try assertInvalid({ $0.initialStock = Int.max }, saying: "stock and restock")
        try assertInvalid({ $0.recoverAfter = .seconds(1e12) }, saying: "recover-after")
        try assertInvalid({ $0.timing.heartbeat = .zero }, saying: "timing 'heartbeat'")
        try assertInvalid({ $0.timing.electionTimeout = .seconds(100_000) }, saying: "timing 'election_timeout'")
    }

    func test_productsThatWouldOverflow_areRefused() throws {
        try assertInvalid({
            $0.priceCents = ScenarioLimits.maxPriceCents
            $0.quantity = ScenarioLimits.maxQuantity
            $0.requestsPerBuyer = ScenarioLimits.maxRequestsPerBuyer
        }, saying: "would overflow")
    }

    func test_namesArePrintableAndShort() throws {
        try assertInvalid({ $0.name = "two\nlines" }, saying: "printable")
        try assertInvalid({ $0.name = "red\u{1B}[31m" }, saying: "printable")
        try assertInvalid({ $0.name = String(repeating: "x", count: 65) }, saying: "printable")
        try assertInvalid({ $0.name = "" }, saying: "printable")
        XCTAssertNoThrow(try scenario { $0.name = "salt rush – Gaul's edition" }.validate())
    }
}
