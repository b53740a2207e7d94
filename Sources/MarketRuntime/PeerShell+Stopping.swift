import Foundation
import MarketCore
import MarketStore
import NIOCore

/// How a peer takes no further part: halted, or stopped with its ledger written; and what
/// it writes patiently on the way out (traced messages, its books if it was restarting).
extension PeerShell {
    /// Writes the traced messages down (`--trace`). A locked database keeps them for the
    /// next try, unless `patiently`, which waits for the lock as the end of a peer may.
    func flushTrace(patiently: Bool = false) {
        guard !traced.isEmpty else { return }
        do {
            try persevering(patiently) { try database.recordMessages(runID: runID, traced) }
            traced = []
        } catch StoreError.busy {
            return
        } catch {
            log("could not record \(traced.count) traced messages: \(error)")
            traced = []
        }
    }

    /// Runs `body`; when `patiently`, tries again while the database is locked, as long as
    /// the supervisor's own writes would (the peer is stopping: its loop has nothing else to do).
    func persevering(_ patiently: Bool, _ body: () throws -> Void) throws {
        try StoreError.persevering(patience: patiently ? HistoryWriter.patience : .zero, every: .milliseconds(5), body)
    }

    /// A peer restarted while the run stops is told to stop before its books came back from
    /// the store: they are read first, or its ledger would be an empty one.
    func restoreBeforeStopping() throws {
        guard !stopped, !holding else { return }
        while peer.status == .restoring, let request = persistQueue.first {
            var result: StoreResult?
            try persevering(true) { result = try store.perform(request) }
            persistQueue.removeFirst()
            if let result { queue.append(.persisted(result)) }
            pump()
        }
    }

    /// Takes no further part in the run: no event reaches the core any more (no election,
    /// no decision), timers off. The connections stay until `close`.
    func halt() {
        loop.preconditionInEventLoop()
        stopped = true
        for (_, entry) in timers { entry.task.cancel() }
        timers = [:]
    }

    /// Stops the peer for good: halted, ledger written. Returns the ledger.
    func stop() throws -> (Ledger, UInt64) {
        try restoreBeforeStopping()
        halt()
        flushTrace(patiently: true)
        let ledger = peer.ledger
        let clock = peer.clock.time
        try persevering(true) {
            try database.recordLedger(runID: runID, peer: peer.id, ledger: ledger, finalClock: clock)
        }
        log("stops: bought \(ledger.bought), sold \(ledger.sold), cash \(ledger.cashCents) cents; "
            + "\(transport.dropped) messages dropped (neighbour down or not reading); "
            + "\(transport.rejected + peer.rejectedFrames + peer.unbackedClaims) frames refused "
            + "(unproven, in another's name, impossible, or claiming an epoch the store never granted)")
        return (ledger, clock)
    }
}

extension Event {
    /// A neighbour gone and a timeout are how a peer finds its trader (or an election) lost.
    var mayStartElection: Bool {
        switch self {
        case .peerGone, .timer: true
        default: false
        }
    }
}
