import MarketCore
@testable import MarketSimulation
import XCTest

/// The independence relation checked against its definition, pair by pair: in every state
/// reached (breadth-first, up to a cap), every two enabled steps it calls independent leave
/// each other enabled, reach one state in both orders, and break the same invariants either
/// way. That is what sleep sets need of it (Godefroid's diamond).
final class ExplorerIndependenceTests: XCTestCase {
    /// The first pair called independent that does not commute, described; nil: none within `cap` states.
    static func firstPairThatDoesNotCommute(
        _ setup: ExplorationSetup, _ bounds: ExplorationBounds, cap: Int,
        independent: (ExploredSystem, ExplorationAction, ExplorationAction) -> Bool = { $0.independent($1, $2) }
    ) -> String? {
        var queue = [(state: ExploredSystem(setup), path: [ExplorationAction]())]
        var seen: Set<Fingerprint> = [Fingerprint(queue[0].state)]
        var head = 0
        while head < queue.count, head < cap {
            let (state, path) = queue[head]
            head += 1
            let enabled = state.enabled(within: bounds)
            var after: [ExplorationAction: (ExploredSystem, [Violation])] = [:]
            for action in enabled {
                var next = state
                let violations = next.apply(action)
                after[action] = (next, violations)
                if seen.insert(Fingerprint(next)).inserted { queue.append((next, path + [action])) }
            }
            for (i, a) in enabled.enumerated() {
                for b in enabled[(i + 1)...] where independent(state, a, b) {
                    let (sa, va) = after[a]!
                    let (sb, vb) = after[b]!
                    let where_ = "\(a.text) and \(b.text) after [\(path.map(\.text).joined(separator: ", "))]"
                    guard sa.enabled(within: bounds).contains(b) else { return "\(a.text) disables \(b.text): \(where_)" }
                    guard sb.enabled(within: bounds).contains(a) else { return "\(b.text) disables \(a.text): \(where_)" }
                    var sab = sa, sba = sb
                    let vab = sab.apply(b), vba = sba.apply(a)
                    guard sab == sba else { return "two states: \(where_)" }
                    guard Set((va + vab).map(\.kind)) == Set((vb + vba).map(\.kind)) else {
                        return "different violations (\(va + vab) against \(vb + vba)): \(where_)"
                    }
                }
            }
        }
        return nil
    }

    private func setup(peers: Int, buyers: Int = 1) -> ExplorationSetup {
        ExplorationSetup(scenario: ExplorationSetup.market(peers: peers, buyers: buyers, requests: 1))
    }

    /// Every state of two peers with a crash (568), and of two peers with a crash, a pause and
    /// a lost message up to the cap (the first levels, where each fault meets every step of the
    /// election and the buy).
    func testEveryPairCalledIndependentCommutesWithFaults() {
        XCTAssertNil(Self.firstPairThatDoesNotCommute(setup(peers: 2), ExplorationBounds(crashes: 1), cap: 1_000))
        XCTAssertNil(Self.firstPairThatDoesNotCommute(setup(peers: 2), ExplorationBounds(crashes: 1, pauses: 1, drops: 1), cap: 3_000))
    }

    func testEveryPairCalledIndependentCommutesAmongThreePeersWithACrash() {
        XCTAssertNil(Self.firstPairThatDoesNotCommute(setup(peers: 3, buyers: 2), ExplorationBounds(crashes: 1), cap: 1_200))
    }

    /// The check has teeth: two deliveries to one peer called independent do not commute.
    func testAWrongRelationIsCaught() throws {
        let found = Self.firstPairThatDoesNotCommute(setup(peers: 3, buyers: 2), ExplorationBounds(crashes: 0), cap: 2_000) { system, a, b in
            if case .deliver(_, let one) = a, case .deliver(_, let other) = b, one == other { return true }
            return system.independent(a, b)
        }
        let pair = try XCTUnwrap(found, "two deliveries to one peer passed for independent")
        XCTAssertTrue(pair.contains("deliver"), pair)
    }
}
