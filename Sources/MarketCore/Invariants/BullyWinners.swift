/// Bully's promise, judged once for the simulator and for a recorded run (`market check`),
/// over what both know: when each peer went down and came back, and each election's start,
/// finish and winner. `Time` is the simulator's virtual time or the history's timestamps.
///
/// Real processes are asynchronous: a higher peer that is up may still be too slow to answer
/// an ELECTION within the timeout (a loaded machine, a long store write, a stalled link), and
/// a lower peer wins. That is Bully working, not broken. What Bully promises is that such a
/// higher peer then takes over; so a lower winner is a violation only if the highest peer up
/// throughout its election never won a later election (nor did any peer above it) before it
/// next went down. A peer that came back since the previous election is not held against the
/// result (its own election may still be under way), nor one whose link from the winner was
/// stalled during the election (it could not hear it), nor anything once the run was ending.
public struct BullyWinners<Time: Comparable> {
    public struct Election {
        public var epoch: Epoch
        public var winner: PeerID
        public var started: Time
        /// Nil: never finished (not judged).
        public var finished: Time?

        public init(epoch: Epoch, winner: PeerID, started: Time, finished: Time?) {
            self.epoch = epoch
            self.winner = winner
            self.started = started
            self.finished = finished
        }
    }

    /// A peer went down (sick, crashed, resigned, paused) or came back up, at `at`.
    public struct Change {
        public var peer: PeerID
        public var up: Bool
        public var at: Time

        public init(peer: PeerID, up: Bool, at: Time) {
            self.peer = peer
            self.up = up
            self.at = at
        }
    }

    /// Every peer of the run, with whether it was down from the start.
    public var peers: [(peer: PeerID, downAtStart: Bool)]
    /// In time order.
    public var changes: [Change]
    /// In epoch order.
    public var elections: [Election]
    public var runStarted: Time
    /// Elections that began at or after it are not judged: the peers were leaving.
    public var stoppingAt: Time?
    /// Whether `peer` could not hear `election`'s winner during it (a stalled link).
    public var unheard: (Election, PeerID) -> Bool

    public init(peers: [(peer: PeerID, downAtStart: Bool)], changes: [Change], elections: [Election], runStarted: Time,
                stoppingAt: Time? = nil, unheard: @escaping (Election, PeerID) -> Bool = { _, _ in false }) {
        self.peers = peers
        self.changes = changes
        self.elections = elections
        self.runStarted = runStarted
        self.stoppingAt = stoppingAt
        self.unheard = unheard
    }

    /// The violations, and how many elections were judged.
    public func check() -> (checked: Int, violations: [Violation]) {
        var violations: [Violation] = []
        var checked = 0
        var previousFinish = runStarted
        for (index, election) in elections.enumerated() {
            guard let finished = election.finished else { continue }
            let started = min(election.started, finished)
            if let stoppingAt, started >= stoppingAt { continue }
            checked += 1
            var steadyUp: [PeerID] = []
            var steadyDown: Set<PeerID> = []
            for (peer, downAtStart) in peers {
                let atStart = isDown(peer, downAtStart, before: started, inclusive: false)
                let atFinish = isDown(peer, downAtStart, before: finished, inclusive: true)
                let changed = changes.contains { $0.peer == peer && $0.at >= started && $0.at <= finished }
                let recovered = changes.contains { $0.peer == peer && $0.up && $0.at > previousFinish && $0.at <= finished }
                if !atStart, !atFinish, !changed, !recovered, !unheard(election, peer) { steadyUp.append(peer) }
                if atStart, atFinish, !changed { steadyDown.insert(peer) }
            }
            if let highest = steadyUp.max(), election.winner < highest,
               !takesOver(highest, after: index, finished: finished) {
                violations.append(Violation(
                    .bully, "epoch \(election.epoch) was won by P\(election.winner), but P\(highest) was up and never took over"))
            }
            if steadyDown.contains(election.winner) {
                violations.append(Violation(.bully, "epoch \(election.epoch) was won by P\(election.winner), which was down"))
            }
            previousFinish = max(previousFinish, finished)
        }
        return (checked, violations)
    }

    /// Whether `peer` (or a peer above it) won an election after the one at `index` before
    /// `peer` next went down; a peer that went down first owed nothing.
    func takesOver(_ peer: PeerID, after index: Int, finished: Time) -> Bool {
        let nextDown = changes.first { $0.peer == peer && !$0.up && $0.at > finished }?.at
        for later in elections[(index + 1)...] where later.winner >= peer {
            if nextDown.map({ later.started <= $0 }) ?? true { return true }
        }
        return nextDown != nil
    }

    /// Down at `time`: down from the start or last gone down, without coming back since.
    func isDown(_ peer: PeerID, _ downAtStart: Bool, before time: Time, inclusive: Bool) -> Bool {
        var down = downAtStart
        for change in changes where change.peer == peer && (inclusive ? change.at <= time : change.at < time) {
            down = !change.up
        }
        return down
    }
}
