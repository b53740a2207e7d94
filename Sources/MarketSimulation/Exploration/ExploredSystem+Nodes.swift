import MarketCore
import Synchronization

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
            /// `node.peer != nil`, kept: asking a node for its optional peer copies the peer (a
            /// retain of every buffer it holds), and `enabled` asks of every node in every state.
            let hasPeer: Bool
            /// The node's hash once taken (0: not yet; see `hashOfNode`).
            let hash = Atomic<Int>(0)

            init(_ node: Node) {
                self.node = node
                // A match, not `!= nil`, which copies the peer.
                if case .some = node.peer { hasPeer = true } else { hasPeer = false }
            }

            /// Up and not paused (`Node.running`), without copying the peer.
            var running: Bool { hasPeer && !node.paused }
            /// Crashed, not down from the start (`Node.crashed`), without copying the peer.
            var crashed: Bool { !hasPeer && !node.downAtStart }
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

        /// The hash of the node at `position`, taken once per box: a box is never written, so
        /// a state's fingerprint hashes again only the nodes its last step wrote, and states
        /// sharing a box (from several threads) share its hash. 0 stands for "not taken", so a
        /// hash of 0 is kept as 1.
        func hashOfNode(_ position: Int) -> Int {
            let box = boxes[position]
            let kept = box.hash.load(ordering: .relaxed)
            if kept != 0 { return kept }
            let hash = box.node.hashValue
            let taken = hash == 0 ? 1 : hash
            box.hash.store(taken, ordering: .relaxed)
            return taken
        }

        /// The peer at `position` is crashed or down, read without copying the node.
        func isDown(_ position: Int) -> Bool {
            !boxes[position].hasPeer
        }

        /// The node at `position` in its box, to read fields of it in place: `self[position]`
        /// copies the whole node out, and `enabled` and `isQuiet` read every node of every state.
        func box(_ position: Int) -> Box {
            boxes[position]
        }

        /// Forgets every hash kept (new boxes for the same nodes).
        mutating func forgetHashes() {
            boxes = boxes.map { Box($0.node) }
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
