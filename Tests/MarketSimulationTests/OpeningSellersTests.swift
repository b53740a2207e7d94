import MarketCore
import MarketSimulation
import MarketTestKit
import XCTest

/// `no seller` only when no seller can sell, over many seeds: the market opens with its
/// sellers, and a seller elected trader keeps its goods on sale.
final class OpeningSellersTests: XCTestCase {
    func testSinglePairBuysEverythingOnEverySeed() throws {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        options.requestsPerBuyer = 5
        for seed in UInt64(1)...300 {
            let scenario = try Simulation.scenario(.singlePair, seed: seed, options: options)
            let simulation = Simulation(scenario: scenario, options: options)
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            let bought = simulation.store.decisions.filter { $0.outcome.trade != nil }.count
            XCTAssertEqual(bought, 5, "seed \(seed): a buy failed before the seller's first deposit landed")
        }
    }

    func testASellerElectedTraderSellsItsOwnGoodsUnderFaults() throws {
        // P0 buys salt, P1 sells salt, P2 (boar) trades first: when P2 falls sick, P1 wins
        // with its salt deposited, and P0's buys must still find it.
        var ownSales = 0
        for seed in UInt64(1)...120 {
            var scenario = try Simulation.scenario(.singlePair, seed: seed, options: SimulationOptions())
            scenario.peers[0] = PeerSpec(id: 0, role: .buyer, product: .salt)
            scenario.peers[1] = PeerSpec(id: 1, role: .seller, product: .salt)
            let simulation = Simulation(scenario: scenario)
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            ownSales += simulation.store.decisions.compactMap(\.outcome.trade).filter { $0.seller == $0.trader }.count
        }
        XCTAssertGreaterThan(ownSales, 0, "no trader ever sold its own goods: the check would mean little")
    }

    func testTheSweepsCheckCatchesANoSellerWhileGoodsAreHeld() {
        let stock = [SellerProduct(seller: 1, product: .salt): 3, SellerProduct(seller: 2, product: .boar): 0]
        XCTAssertEqual(NoSellerOnlyWhenNone.check(request(0, 0, 5, .salt), stock: stock).map(\.kind), [.noSellerOnlyWhenNone])
        XCTAssertEqual(NoSellerOnlyWhenNone.check(request(0, 0, 5, .boar), stock: stock), [])
        XCTAssertEqual(NoSellerOnlyWhenNone.check(request(0, 0, 5, .salt, quantity: 4), stock: stock), [])
    }
}
