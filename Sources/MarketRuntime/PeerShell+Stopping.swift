import Foundation
import MarketCore
import MarketStore
import NIOCore

/// How a peer takes no further part: halted, or stopped with its ledger written; and what
/// it writes patiently on the way out (traced messages, its books if it was restarting).
extension PeerShell {
    /// Hands the traced messages (`--trace`) to the store thread to write down. A locked
    /// database keeps them there for the next try, unless `patiently`, which waits for the
    /// lock, and for the write, as the end of a peer may.
    func flushTrace(patiently: Bool = false) {
        let handed = traced
        traced = []
        let database = self.database, runID = self.runID, backlog = traceBacklog
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        let write: @Sendable () -> Void = {
            backlog.messages += handed
            guard !backlog.messages.isEmpty else { return }
            do {
                try StoreError.persevering(patience: patiently ? HistoryWriter.patience : .zero, every: .milliseconds(5)) {
                    try database.recordMessages(runID: runID, backlog.messages)
                }
                backlog.messages = []
            } catch StoreError.busy {
                return
            } catch {
                let line = "could not record \(backlog.messages.count) traced messages: \(error)"
                backlog.messages = []
                loop.execute { bound.value.log(line) }
            }
        }
        if patiently {
            _ = try? worker.sync(write)
        } else {
            worker.submit(write)
        }
    }

    /// Runs `body` on the store thread and waits for it; when `patiently`, again while the
    /// database is locked, as long as the supervisor's own writes would (the peer is stopping:
    /// its loop has nothing else to do).
    func persevering<T: Sendable>(_ patiently: Bool, _ body: @escaping @Sendable () throws -> T) throws -> T {
        try worker.sync {
            try StoreError.persevering(patience: patiently ? HistoryWriter.patience : .zero, every: .milliseconds(5), body)
        }
    }

    /// A batch still with the store thread when the peer stops: what it has begun ends, and
    /// the core hears every result, or the ledger written next could miss a commission the
    /// store holds; what it has not begun (or waits for a lock for) is taken back, and then
    /// goes the way of every request not yet performed when a peer stops: dropped, as a
    /// crash would drop it, which the protocol survives (retries are idempotent; the outbox
    /// re-sends). A store failure in it is thrown: the ledger cannot be trusted.
    func settleInFlight() throws {
        guard let batch = inFlight else { return }
        batch.cancel()
        guard let answer = batch.waitAndTake() else { return }
        if let failure = take(answer, of: batch) {
            throw StoreFailure(description: failure)
        }
        pump()
    }

    /// A peer restarted while the run stops is told to stop before its books came back from
    /// the store: they are read first, or its ledger would be an empty one.
    func restoreBeforeStopping() throws {
        guard !stopped, !holding else { return }
        let tradingPost = self.tradingPost
        while peer.status == .restoring, let request = persistQueue.first {
            let result = try persevering(true) { try tradingPost.store.perform(request) }
            persistQueue.removeFirst()
            queue.append(.persisted(result))
            pump()
        }
    }

    /// Takes no further part in the run: no event reaches the core any more (no election,
    /// no decision), timers off, a batch with the store thread taken back (its answer is
    /// dropped). The connections stay until `close`.
    func halt() {
        loop.preconditionInEventLoop()
        stopped = true
        inFlight?.cancel()
        for (_, entry) in timers { entry.task.cancel() }
        timers = [:]
    }

    /// Stops the peer for good: halted, ledger written. Returns the ledger.
    func stop() throws -> (Ledger, UInt64) {
        try settleInFlight()
        try restoreBeforeStopping()
        halt()
        flushTrace(patiently: true)
        let ledger = peer.ledger
        let clock = peer.clock.time
        let database = self.database, runID = self.runID, id = peer.id
        let wrote = (envelopes: transport.envelopesWritten, frames: transport.framesWritten)
        try persevering(true) {
            try database.recordLedger(runID: runID, peer: id, ledger: ledger, finalClock: clock, wrote: wrote)
        }
        log("stops: bought \(ledger.bought), sold \(ledger.sold), cash \(ledger.cashCents) cents; "
            + "\(storeRequests) store requests in \(storeBatches) batches, \(storeTime.nanoseconds / 1000) µs of processor time in the store; "
            + "\(transport.envelopesWritten) envelopes in \(transport.framesWritten) frames written; "
            + "\(transport.dropped) messages dropped (neighbour down or not reading); "
            + (transport.shaper.map { "\($0.droppedByCut) lost to cut links, \($0.retransmitted) transmissions lost and sent again; " } ?? "")
            + "\(transport.rejected + peer.rejectedFrames + peer.unbackedClaims) frames refused "
            + "(unproven, in another's name, impossible, or claiming an epoch the store never granted)")
        return (ledger, clock)
    }
}

/// The store failed in a batch the stopping peer waited for.
struct StoreFailure: Error, CustomStringConvertible {
    let description: String
}

/// Traced messages the store thread could not write yet (the database was locked): kept
/// there for the next try. Only the store thread touches it.
final class TraceBacklog: @unchecked Sendable {
    var messages: [TracedMessage] = []
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
