import MarketCore
@testable import MarketReport
import MarketSimulation
import XCTest

/// A counterexample of the explorer drawn as the report's space-time diagram.
final class CounterexampleDiagramTests: XCTestCase {
    /// The unfenced store's shortest counterexample (two peers, one pause): small, and it
    /// holds messages, store steps and a fault.
    private func unfencedStorePath() throws -> ExplorationReplay {
        var setup = ExplorationSetup(scenario: ExplorationSetup.market(peers: 2, buyers: 1, requests: 1))
        setup.fencing = false
        let bounds = ExplorationBounds(crashes: 0, pauses: 1)
        let found = try XCTUnwrap(Explorer(setup: setup, bounds: bounds).run().counterexample)
        return try ExplorationReplay(setup: setup, bounds: bounds, path: found.path.actions)
    }

    private func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    func testTheDrawingHasALanePerPeerAndAnArrowPerDeliveredMessage() throws {
        let replay = try unfencedStorePath()
        let deliveries = replay.steps.filter { step in
            if case .deliver = step.action { !step.description.contains("gone") } else { false }
        }
        XCTAssertGreaterThan(deliveries.count, 3, "the path carries messages")
        let svg = SpaceTimeDiagram(path: replay).svg(label: "path")
        XCTAssertEqual(count("class=\"lifeline\"", in: svg), replay.finalState.nodes.count, "a lane per peer")
        let delivered = count("class=\"msg ", in: svg) - count("class=\"msg lost\"", in: svg)
        XCTAssertEqual(delivered, deliveries.count, "an arrow per delivered message")
        // Each delivered arrow ends at the row of the step that delivered it.
        for step in deliveries {
            let number = replay.steps.firstIndex { $0.action == step.action && $0.description == step.description }! + 1
            XCTAssertTrue(replay.messages.contains { $0.fate.deliveredAt == number }, "step \(number): \(step.description)")
        }
        XCTAssertTrue(svg.contains("is paused"), "the fault is marked on its lane")
        XCTAssertTrue(svg.contains("✗ fencing"), "the broken invariant is marked where it breaks")
    }

    func testAStandaloneDrawingCarriesItsOwnStyle() throws {
        let drawing = SpaceTimeDiagram(path: try unfencedStorePath()).standaloneSVG(title: "unfenced")
        XCTAssertTrue(drawing.hasPrefix("<svg viewBox=\"0 0 1000 "), String(drawing.prefix(80)))
        XCTAssertTrue(drawing.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(drawing.contains("<style>"))
    }
}

private extension PathMessage.Fate {
    var deliveredAt: Int? {
        if case .delivered(let step, _) = self { step } else { nil }
    }
}
