import Foundation
import MarketCore
import MarketStore
import NIOCore

/// How a run ends: done (every peer told to stop and write its ledger), failed or
/// interrupted (every peer's pipe closed), and then marked, checked and summed up.
extension Supervisor {
    func beginStopping() {
        guard isLive else { return }
        phase = .stopping
        stopAskedAt = .now()
        for slot in processes.all {
            switch slot.state {
            case .up, .sick: slot.state = .stopping
            case .starting: break  // told to stop when it is ready
            case .down, .stopping, .stopped: break
            }
        }
        afterNotingStopping { [self] in
            guard endStatus == .completed else { return }  // failed meanwhile: abandoned instead
            stoppingSince = .now()
            for slot in processes.all where slot.state == .stopping { processes.tell(slot, .stop) }
            checkStopped()
        }
    }

    /// Records that the run is ending, then runs `body` on the loop: no peer hears of the end
    /// before the history does.
    func afterNotingStopping(_ body: @escaping () -> Void) {
        let bound = NIOLoopBound(body, eventLoop: loop)
        history.noteStopping(on: loop) { bound.value() }
    }

    /// How long stopping waits for the ledgers: as long as a peer waits out another
    /// connection's lock to write its own, and a little more.
    static let ledgerWait = TimeAmount(HistoryWriter.patience) + .seconds(5)

    /// A peer that did not write its ledger in time, or died before it did: the run cannot be
    /// called completed, since its history would lack that peer's books.
    func ledgerMissing(_ slot: PeerSlot, _ why: String) {
        guard phase == .stopping, endStatus == .completed else { return }
        fail("P\(slot.id) \(why) before writing its ledger")
    }

    func checkStopped() {
        guard phase == .stopping else { return }
        guard processes.all.allSatisfy({ !$0.isAlive || $0.state == .stopped || $0.state == .down }) else { return }
        // Every ledger is written (or its peer is gone): let the peers go (they keep their
        // sockets until then) and wait for the processes to exit.
        if processes.all.contains(where: \.isAlive) {
            processes.closePipes()
            return
        }
        finish()
    }

    func fail(_ why: String) {
        guard phase != .finished, phase != .stopping || endStatus == .completed else { return }
        say(why)
        problem = why
        endStatus = .failed
        abandon()
    }

    func interrupt(signal number: Int32) {
        guard phase != .finished else { return }
        if interruptedBy != nil {
            // A second Ctrl-C: no more waiting.
            say("interrupted again; killing every peer now")
            processes.forceKillAll()
            return
        }
        interruptedBy = number
        say("interrupted; stopping every peer")
        problem = "interrupted by signal \(number)"
        endStatus = .interrupted
        abandon()
    }

    /// Ends the run without waiting for ledgers: every peer is told to leave and its stdin
    /// closes, so it exits; whoever is still there two seconds later is killed.
    func abandon() {
        phase = .stopping
        stopAskedAt = .now()
        stoppingSince = nil
        for slot in processes.all { slot.state = .stopped }
        afterNotingStopping { [self] in
            stoppingSince = .now()
            processes.closePipes()
            loop.assumeIsolated().scheduleTask(in: .seconds(2)) { [self] in processes.forceKillAll() }
            checkStopped()
        }
    }

    func finish() {
        guard phase != .finished else { return }
        phase = .finished
        progressLine.clear()
        do {
            try history.finishRun(endStatus)  // after every fault and pid
        } catch {
            unrecorded(error)
            return
        }
        let seconds = Duration(NIODeadline.now() - (runningSince ?? startedAt)).seconds
        let report = RunReport(
            runID: runID, options: options, status: endStatus, seconds: seconds,
            history: Result { try reader.inspect(runID: runID, head: 0, trades: 0) },
            progress: try? reader.progress(runID: runID), faults: faults.counts, problem: problem)
        if endStatus == .failed || options.keepLogs {
            say("peer logs kept in \(directory.path)")
            directory.keepForTheUser()
        } else {
            directory.remove()
        }
        if endStatus != .interrupted || options.json {
            DescriptorWriter.standardOutput.write((options.json ? report.json() : report.text()) + "\n")
        }
        let code: Int32 = switch endStatus {
        case .completed: report.passed ? 0 : 1
        case .interrupted: 128 + (interruptedBy ?? SIGINT)
        default: 1
        }
        done.succeed(code)
    }
}

extension Supervisor {
    /// The end of the run could not be written: it is not called completed (nor anything
    /// else); the database will show it abandoned, and the next run marks it interrupted.
    func unrecorded(_ error: any Error) {
        directory.keepForTheUser()
        let kept = UnrecordedEnd.resolve(options.databasePath).map {
            UnrecordedEnd(database: $0, runID: runID, status: endStatus, finishedAt: Timestamp.now()).keep(in: directory)
        } ?? false
        say("cannot record the end of run \(runID) as \(endStatus.rawValue) (\(error)); the database shows it abandoned"
            + (kept ? " until the next market run on it records it" : ""))
        say("peer logs kept in \(directory.path)")
        done.succeed(endStatus == .interrupted ? 128 + (interruptedBy ?? SIGINT) : 3)
    }
}
