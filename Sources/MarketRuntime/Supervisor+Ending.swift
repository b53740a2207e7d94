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
        stoppingSince = .now()
        for slot in processes.all {
            switch slot.state {
            case .up, .sick:
                slot.state = .stopping
                processes.tell(slot, .stop)
            case .starting:
                break  // told to stop when it is ready
            case .down, .stopping, .stopped:
                break
            }
        }
        checkStopped()
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
            processes.forceKillAll()
            return
        }
        interruptedBy = number
        say("interrupted; stopping every peer")
        problem = "interrupted by signal \(number)"
        endStatus = .interrupted
        abandon()
    }

    /// Ends the run without waiting for ledgers: every peer's stdin closes, so it exits;
    /// whoever is still there after two seconds is killed.
    func abandon() {
        phase = .stopping
        stoppingSince = .now()
        for slot in processes.all { slot.state = .stopped }
        processes.closePipes()
        loop.assumeIsolated().scheduleTask(in: .seconds(2)) { [self] in processes.forceKillAll() }
        checkStopped()
    }

    func finish() {
        guard phase != .finished else { return }
        phase = .finished
        progressLine.clear()
        do {
            try history.finishRun(endStatus)  // after every fault and pid
        } catch {
            say("cannot mark the run \(endStatus.rawValue): \(error)")
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
