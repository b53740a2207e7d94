import MarketCore

extension ExploredSystem {
    /// The peers' nodes of one state, each in an immutable box: a step changes one node, so a
    /// new state shares the boxes of the others with the state it came from instead of holding
    /// a copy of every peer's state machine (a `Node` is some hundreds of bytes inline, and the
    /// breadth-first frontier was mostly such copies). A write puts a new box in place; a box
    /// is never written, so sharing one is safe without any check of uniqueness. The getter
    /// copies the node out on purpose: through a borrowing `_read` accessor, a debug build read
    /// a crashed peer as still up (a dial to it was queued instead of refused), so it counted
    /// 6,481 states where a release build counts 568, and `market explore` crashed.
    public struct Nodes: RandomAccessCollection, Hashable, Sendable {
        final class Box: Sendable {
            let node: Node

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
            get { boxes[position].node }
            set { boxes[position] = Box(newValue) }
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
