import Foundation
import MarketCore
import MarketStore
import MarketSupervision
import NIOCore

/// The end of a run as the shell performs it: the summary, the peers' logs, and an end that
/// could not be written. When and how the run ends is the machine's (`Supervision`).
extension Supervisor {
    func interrupt(signal number: Int32) {
        feed(.interrupted(signal: number))
    }

    /// Prints the summary, keeps or removes the peers' logs; says whether the check passed.
    func summarize(_ status: RunStatus, problem: String?, seconds: Double) -> Bool {
        let report = RunReport(
            runID: runID, options: options, status: status, seconds: seconds,
            history: Result { try reader.inspect(runID: runID, head: 0, trades: 0) },
            progress: try? reader.progress(runID: runID), failures: (try? reader.failureReasons(runID: runID)) ?? [], faults: faults.counts, problem: problem,
            liveness: options.nemesis == nil ? nil : try? reader.liveness(runID: runID, timing: options.scenario.timing),
            span: try? reader.decisionSpan(runID: runID), wire: try? reader.wireCounts(runID: runID))
        if status == .failed || options.keepLogs {
            say("peer logs kept in \(directory.path)")
            sayWhereRemoteLogsStay()
            directory.keepForTheUser()
        } else {
            directory.remove()
        }
        DescriptorWriter.standardOutput.write((options.json ? report.json() : report.text()) + "\n")
        return report.passed
    }

    /// A peer started over SSH logs on its own host; the summary says where.
    func sayWhereRemoteLogsStay() {
        for slot in processes.all.sorted(by: { $0.id < $1.id }) {
            guard let destination = slot.destination, let log = slot.remoteLog else { continue }
            say("P\(slot.id)'s log stays on \(destination): \(log)")
        }
    }

    /// The end of the run could not be written: it is not called completed (nor anything
    /// else); the database will show it abandoned, and the next run marks it interrupted.
    func keepUnrecordedEnd(_ status: RunStatus, why: String) {
        directory.keepForTheUser()
        let kept = UnrecordedEnd.resolve(options.databasePath).map {
            UnrecordedEnd(database: $0, runID: runID, status: status, finishedAt: Timestamp.now()).keep(in: directory)
        } ?? false
        say("cannot record the end of run \(runID) as \(status.rawValue) (\(why)); the database shows it abandoned"
            + (kept ? " until the next market run on it records it" : ""))
        say("peer logs kept in \(directory.path)")
    }
}

extension RunStatus {
    init(_ end: RunEnd) {
        switch end {
        case .completed: self = .completed
        case .failed: self = .failed
        case .interrupted: self = .interrupted
        }
    }
}

extension FaultKind {
    init(_ fault: RunFault) {
        switch fault {
        case .sick: self = .sick
        case .crash: self = .crash
        case .resign: self = .resign
        case .recover: self = .recover
        case .downAtStart: self = .downAtStart
        case .unreachable: self = .unreachable
        case .reachable: self = .reachable
        }
    }
}

extension PeerCommand {
    init(_ order: PeerOrder) {
        switch order {
        case .begin: self = .begin
        case .startElection: self = .startElection
        case .recover: self = .recover
        case .stop: self = .stop
        case .proceed: self = .proceed
        }
    }
}
