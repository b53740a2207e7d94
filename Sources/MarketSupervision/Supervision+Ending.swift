import MarketCore

/// How a run ends: done (every peer told to stop and write its ledger), failed or
/// interrupted (every peer's pipe closed), and then marked, checked and summed up.
extension Supervision {
    mutating func beginStopping() {
        guard isLive else { return }
        phase = .stopping
        stopAskedAt = now
        for id in ids {
            switch peers[id]!.state {
            case .up, .sick: peers[id]!.state = .stopping
            case .starting: break  // told to stop when it is ready
            case .down, .probing, .unreachable, .stopping, .stopped: break
            }
        }
        noteStopping(then: .stop)
    }

    /// Records that the run is ending; what follows waits for the write: no peer hears of
    /// the end before the history does.
    mutating func noteStopping(then way: EndingWay) {
        noted.append(way)
        effects.append(.noteStopping)
    }

    mutating func stoppingNoted() {
        guard !noted.isEmpty else { return }
        switch noted.removeFirst() {
        case .stop:
            guard end == .completed else { return }  // failed meanwhile: abandoned instead
            stoppingSince = now
            for id in ids where peers[id]!.state == .stopping { effects.append(.tell(id, .stop)) }
            checkStopped()
        case .abandon:
            stoppingSince = now
            effects.append(.closePipes)
            effects.append(.wake(after: config.leaveGrace, .killAll))
            checkStopped()
        }
    }

    /// While stopping: say what it waits for, give up on a ledger that does not come, kill
    /// the peers of an abandoned run that do not leave.
    mutating func stoppingTick() {
        if end == .completed, !saidWhatStoppingWaitsFor, now - (stopAskedAt ?? now) > config.stoppingPatience {
            saidWhatStoppingWaitsFor = true
            let waiting = ids.filter { peers[$0]!.owesLedger }.map { "P\($0)" }.sorted()
            say(stoppingSince == nil
                ? "waiting to record that the run is ending (is the database locked?)"
                : "waiting for the ledgers of \(waiting.joined(separator: ", ")) (is the database locked?)")
        }
        guard let since = stoppingSince else { return }
        if end == .completed, now - since > config.ledgerWait {
            if let late = ids.first(where: { peers[$0]!.owesLedger }) {
                ledgerMissing(late, "did not answer within \(config.ledgerWait)")
            }
        } else if end != .completed, now - since > config.abandonGrace {
            effects.append(.killAll)
        }
    }

    /// A peer that did not write its ledger in time, or died before it did: the run cannot be
    /// called completed, since its history would lack that peer's books.
    mutating func ledgerMissing(_ id: PeerID, _ why: String) {
        guard phase == .stopping, end == .completed else { return }
        fail("P\(id) \(why) before writing its ledger")
    }

    mutating func checkStopped() {
        // Until the history has the end, no peer is let go (the note's answer looks again).
        guard phase == .stopping, stoppingSince != nil else { return }
        guard peers.values.allSatisfy({ !$0.owesLedger && (!$0.alive || $0.state == .stopped || $0.state == .down) })
        else { return }
        // Every ledger is written (or its peer is gone): let the peers go (they keep their
        // sockets until then) and wait for the processes to exit.
        if peers.values.contains(where: \.alive) {
            effects.append(.closePipes)
            return
        }
        finish()
    }

    mutating func fail(_ why: String) {
        guard phase != .finished, phase != .stopping || end == .completed else { return }
        say(why)
        problem = why
        end = .failed
        abandon()
    }

    mutating func interrupt(_ signal: Int32) {
        guard phase != .finished else { return }
        if interruptedBy != nil {
            // A second Ctrl-C: no more waiting.
            say("interrupted again; killing every peer now")
            effects.append(.killAll)
            return
        }
        interruptedBy = signal
        say("interrupted; stopping every peer")
        problem = "interrupted by signal \(signal)"
        end = .interrupted
        abandon()
    }

    /// Ends the run without waiting for ledgers: every peer is told to leave and its stdin
    /// closes, so it exits; whoever is still there two seconds later is killed.
    mutating func abandon() {
        phase = .stopping
        stopAskedAt = now
        stoppingSince = nil
        for id in ids { peers[id]!.state = .stopped }
        noteStopping(then: .abandon)
    }

    mutating func finish() {
        guard phase != .finished else { return }
        phase = .finished
        effects.append(.finishRun(end))  // after every fault and pid
    }

    mutating func summarize() {
        let since = runningSince ?? startedAt ?? now
        effects.append(.summarize(end, problem: problem, seconds: (now - since).seconds))
    }

    mutating func done(passed: Bool) {
        let code: Int32 = switch end {
        case .completed: passed ? 0 : 1
        case .interrupted: interruptedExitCode
        case .failed: 1
        }
        effects.append(.done(exitCode: code))
    }

    /// The end of the run could not be written: it is not called completed (nor anything
    /// else); the database will show it abandoned, and the next run marks it interrupted.
    mutating func unrecorded(_ why: String) {
        effects.append(.keepUnrecordedEnd(end, why: why))
        effects.append(.done(exitCode: end == .interrupted ? interruptedExitCode : 3))
    }

    /// 128 + the signal, as a shell reports a process a signal ended (SIGINT if none is known).
    var interruptedExitCode: Int32 { 128 + (interruptedBy ?? 2) }
}
