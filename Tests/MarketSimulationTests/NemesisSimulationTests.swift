import MarketCore
@testable import MarketSimulation
import XCTest

/// The nemesis in virtual time: links cut and healed from the seed, latency and loss on every
/// link. Safety must hold whatever is cut; while a link is up it stays FIFO and delivers each
/// frame exactly once, loss showing up only as delay.
final class NemesisSimulationTests: XCTestCase {
    /// No sickness, pauses, stalls or forgeries: only the network's faults.
    private func quiet(_ configure: (inout SimulationOptions) -> Void) -> SimulationOptions {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        options.stalls = false
        options.forgeries = false
        configure(&options)
        return options
    }

    func testSafetyHoldsUnderEveryKindOfCut() throws {
        for kind in NemesisKind.allCases {
            var options = SimulationOptions()
            options.nemesis = NemesisPlan(kinds: [kind], interval: .milliseconds(400), actions: 3)
            options.links = LinkConditions(latency: .milliseconds(1), distribution: .exponential, loss: 0.05)
            // Held past the last heal, so that every seed meets the whole nemesis, however fast it trades.
            options.holdUntil = .milliseconds(2600)
            let slots = [BuiltInScenario.testCase3, .normal, .lab].map { SeedSweep.Slot($0, requests: 30) }
            let summaries = try SeedSweep(slots: slots, firstSeed: 1, seeds: 12, options: options).run()
            let safety = summaries.flatMap(\.failures).filter { $0.failure?.kind != .liveness }
            XCTAssertEqual(safety.count, 0, "\(kind): " + safety.map { "seed \($0.seed) \($0.scenario): \($0.failure!)" }
                .joined(separator: "\n"))
            let total = summaries.reduce(into: RunCounts()) { $0.add($1.counts) }
            // A flaky action draws its cut links four times, each a step of its own.
            XCTAssertEqual(total.nemesisActions, 12 * 3 * (kind == .flaky ? 4 : 1), "\(kind): the nemesis did not always act")
            XCTAssertGreaterThan(total.dropped, 0, "\(kind): no frame was lost to a cut")
            XCTAssertGreaterThan(total.decisions, 0, "\(kind): nothing was decided")
        }
    }

    func testAPartitionIsSeenByTimeoutsAndHealed() throws {
        let options = quiet {
            $0.nemesis = NemesisPlan(kinds: [.partition], interval: .milliseconds(500), actions: 2)
            $0.requestsPerBuyer = 100
            $0.holdUntil = .milliseconds(2200)
        }
        let scenario = try Simulation.scenario(.testCase3, seed: 5, options: options)
        let simulation = Simulation(scenario: scenario, options: options)
        var lines: [String] = []
        simulation.onTrace = { lines.append($0) }
        let result = simulation.run()
        XCTAssertNil(result.failure, "\(result.failure.map(String.init(describing:)) ?? "")")
        XCTAssertEqual(result.nemesisActions, 2)
        XCTAssertGreaterThan(result.dropped, 0)
        XCTAssertEqual(lines.count { $0.contains("the nemesis heals every link") }, 2)
        XCTAssertFalse(lines.contains { $0.contains(" sees P") && $0.contains(" gone") },
                       "a cut link told a peer its neighbour was gone: only timeouts may notice")
        XCTAssertTrue(simulation.cutLinks.isEmpty, "the last heal left links cut")
    }

    /// A partition that cuts a buyer off from the trader: the trader's side drops it from the
    /// view after the suspect time and goes on deciding, and readmits it once the heal lets it
    /// be heard; the views are recorded with the decisions made in them, and the simulator's
    /// checks (Lamport order per view, views as their rows say) pass.
    func testAPartitionDropsABuyerFromTheViewAndTheHealReadmitsIt() throws {
        let options = quiet {
            $0.nemesis = NemesisPlan(kinds: [.partition], interval: .milliseconds(500), actions: 2)
            $0.requestsPerBuyer = 100
            $0.holdUntil = .milliseconds(2200)
        }
        var seen: [String] = []
        for seed in UInt64(1)...8 {
            let scenario = try Simulation.scenario(.normal, seed: seed, options: options)
            let simulation = Simulation(scenario: scenario, options: options)
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            let views = simulation.store.views
            XCTAssertEqual(Set(views.filter { $0.view == 0 }.map(\.epoch)), Set(simulation.store.decisions.map(\.epoch)),
                           "seed \(seed): every epoch that decided recorded its view 0")
            let dropped = views.contains { !$0.dropped.isEmpty }
            let readmitted = views.contains { !$0.readmitted.isEmpty }
            if dropped && readmitted { seen.append("seed \(seed)") }
        }
        XCTAssertFalse(seen.isEmpty, "no seed had a buyer dropped from a view and readmitted")
    }

    /// Every frame is stamped with its sender's clock, which only grows: on a FIFO link the
    /// stamps arrive in increasing order, and a frame that arrives twice would repeat one.
    private func deliveries(_ options: SimulationOptions, seed: UInt64) throws -> (SimulationResult, [String: [UInt64]]) {
        let scenario = try Simulation.scenario(.testCase3, seed: seed, options: options)
        let simulation = Simulation(scenario: scenario, options: options)
        var stamps: [String: [UInt64]] = [:]
        simulation.onTrace = { line in
            // "12.345ms P1→P3 @17 buy(…)"
            guard let arrow = line.firstMatch(of: #/ (P\d+→P\d+) @(\d+) /#) else { return }
            stamps[String(arrow.1), default: []].append(UInt64(arrow.2)!)
        }
        return (simulation.run(), stamps)
    }

    func testLatencyKeepsEachLinkInOrderAndLossIsDelayDeliveredExactlyOnce() throws {
        for distribution in LinkConditions.Distribution.allCases {
            let options = quiet { $0.links = LinkConditions(latency: .milliseconds(3), distribution: distribution, loss: 0.3) }
            let (result, stamps) = try deliveries(options, seed: 3)
            XCTAssertNil(result.failure, "\(distribution): \(result.failure.map(String.init(describing:)) ?? "")")
            XCTAssertGreaterThan(result.retransmitted, 0, "\(distribution): no transmission was lost")
            for (link, clocks) in stamps {
                XCTAssertEqual(clocks, clocks.sorted(), "\(distribution): \(link) delivered out of order")
                XCTAssertEqual(Set(clocks).count, clocks.count, "\(distribution): \(link) delivered a frame twice")
            }
            // Frames still on their way when the market settled are never delivered; loss as
            // a gap would have lost three in ten.
            let delivered = stamps.values.reduce(0) { $0 + $1.count }
            let sent = result.messages.values.reduce(0, +)
            XCTAssertLessThanOrEqual(delivered, sent, "\(distribution): a frame was made up")
            XCTAssertGreaterThan(Double(delivered), Double(sent) * 0.97, "\(distribution): frames were lost")
        }
    }

    func testLossAndLatencySlowTheMarketDown() throws {
        let clear = Simulation(scenario: try Simulation.scenario(.testCase3, seed: 8, options: quiet { _ in }), options: quiet { _ in }).run()
        let slow = quiet { $0.links = LinkConditions(latency: .milliseconds(5), loss: 0.2) }
        let lossy = Simulation(scenario: try Simulation.scenario(.testCase3, seed: 8, options: slow), options: slow).run()
        XCTAssertNil(lossy.failure)
        XCTAssertEqual(lossy.decisions, clear.decisions, "loss must not lose a buy")
        XCTAssertGreaterThan(lossy.virtualTime, clear.virtualTime * 2)
    }

    func testAReplayOfASeedUnderTheNemesisIsExact() throws {
        var options = SimulationOptions()
        options.nemesis = NemesisPlan(kinds: NemesisKind.allCases, interval: .milliseconds(500), actions: 3)
        options.links = LinkConditions(latency: .milliseconds(1), distribution: .uniform, loss: 0.1)
        let scenario = try Simulation.scenario(.normal, seed: 21, options: options)
        XCTAssertEqual(Simulation(scenario: scenario, options: options).run(), Simulation(scenario: scenario, options: options).run())
    }
}
