import ArgumentParser
import Foundation
import MarketReport
import MarketSimulation

/// `--draw FILE`: a path drawn as the report's space-time diagram, an SVG file when FILE ends
/// in .svg, otherwise a page of HTML.
enum CounterexampleDrawing {
    static func write(_ replay: ExplorationReplay, setup: ExplorationSetup, violation: String, to path: String) throws {
        let roles = Dictionary(uniqueKeysWithValues: setup.scenario.peers.map {
            ($0.id, $0.downAtStart ? "down" : "\($0.role.rawValue) \($0.product.rawValue)")
        })
        let diagram = SpaceTimeDiagram(path: replay, roles: roles)
        let title = "market explore: \(violation)"
        let delivered = replay.messages.filter { if case .delivered = $0.fate { true } else { false } }.count
        let caption = "\(replay.steps.count) steps, one row each (numbered as printed), time running down; "
            + "\(delivered) of \(replay.messages.count) messages delivered, each an arrow from the step that sent it to the step that delivered it "
            + "(labelled with its Lamport stamp); grey dashed: lost or still in flight; red marks: faults and broken invariants."
        let text = path.lowercased().hasSuffix(".svg") ? diagram.standaloneSVG(title: title) : diagram.html(title: title, caption: caption)
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot write the drawing to \(path): \(error.localizedDescription)")
        }
    }
}
