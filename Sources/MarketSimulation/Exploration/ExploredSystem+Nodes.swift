import MarketCore

extension ExploredSystem {
    /// The peers' nodes of one state, each in a box of its own: a step changes one node, so a
    /// new state shares the boxes of the others with the state it was reached from instead of
    /// copying every peer's state machine. Breadth-first search keeps its whole frontier, and
    /// copied nodes were most of its memory.
    public struct Nodes: RandomAccessCollection, Hashable, Sendable {
        final class Box: @unchecked Sendable {
            // Written only through `Nodes`' subscript, and only when this is its one reference.
            var node: Node

            init(_ node: Node) {
                self.node = node
            }
        }

        private var boxes: [Box]

        init(_ nodes: [Node]) {
            boxes = nodes.map(Box.init)
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { boxes.count }

        public subscript(position: Int) -> Node {
            _read { yield boxes[position].node }
            _modify {
                if !isKnownUniquelyReferenced(&boxes[position]) { boxes[position] = Box(boxes[position].node) }
                yield &boxes[position].node
            }
        }

        public static func == (lhs: Nodes, rhs: Nodes) -> Bool {
            lhs.boxes.count == rhs.boxes.count && zip(lhs.boxes, rhs.boxes).allSatisfy { $0 === $1 || $0.node == $1.node }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(boxes.count)
            for box in boxes { hasher.combine(box.node) }
        }
    }
}
