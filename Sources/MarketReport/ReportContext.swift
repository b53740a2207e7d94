import MarketCore
import MarketStore

/// What every section shares: the run's time span, the drawing width, the peers' labels.
struct ReportContext {
    let input: ReportInput
    var chronicle: RunChronicle { input.chronicle }
    var inspection: RunInspection { input.inspection }

    /// Width of every drawing in SVG units; the left margin holds the lane labels.
    static let width = 1000.0
    static let left = 92.0
    static let right = 12.0

    /// The run's time, 0 to its end, onto the drawing's width.
    let time: LinearScale
    let peerLabels: [PeerID: String]
    let decided: Int
    let takeovers: Int

    init(_ input: ReportInput) {
        self.input = input
        let end = max(input.chronicle.endMs, input.chronicle.requests.last?.receivedMs ?? 0, 1)
        time = LinearScale(domain: 0...end, range: Span(lowerBound: Self.left, upperBound: Self.width - Self.right))
        peerLabels = Dictionary(uniqueKeysWithValues: input.inspection.peers.map { ($0.peer, "P\($0.peer) \($0.role.rawValue) \($0.product.rawValue)") })
        decided = input.chronicle.requests.filter { $0.decidedMs != nil }.count
        takeovers = input.chronicle.requests.filter(\.isTakeover).count
    }

    /// ` (1800 failed: no seller ×1800)`, or nothing when no buy failed.
    var failedText: String {
        let failed = input.failures.reduce(0) { $0 + $1.count }
        return failed == 0 ? "" : " (\(failed) failed: \(FailureCount.text(input.failures)))"
    }

    var summaryLine: String {
        let run = inspection.run
        let seconds = Duration.text(ms: time.domain.upperBound)
        return "\(run.peerCount) peers · seed \(run.seed) · \(run.status.rawValue) · \(seconds) · "
            + "\(chronicle.requests.count) requests, \(decided) decided\(failedText), \(takeovers) taken over · "
            + "\(chronicle.elections.count) elections · \(chronicle.faults.count) faults · check \(inspection.check.verdict)"
    }

    /// A shaded band per election over a drawing's plot area, under everything else.
    func electionBands(top: Double, height: Double) -> [String] {
        chronicle.elections.compactMap { election in
            guard let finished = election.finishedMs else { return nil }
            let started = min(election.startedMs ?? finished, finished)
            let x = time(started)
            return SVG.rect(x: x, y: top, width: max(time(finished) - x, 1.5), height: height, cssClass: "election",
                            title: electionTitle(election))
        }
    }

    func electionTitle(_ election: RunChronicle.Election) -> String {
        let started = election.startedMs.map { Duration.text(ms: $0) } ?? "?"
        let took = election.startedMs.flatMap { start in election.finishedMs.map { Duration.text(ms: $0 - start) } } ?? "?"
        return "epoch \(election.epoch): \(election.reason ?? "no reason recorded"), started by "
            + (election.initiator.map { "P\($0)" } ?? "?") + " at \(started), won by P\(election.winner) after \(took)"
    }

    /// The time axis under a plot: ticks and labels in ms or s.
    func timeAxis(y: Double) -> [String] {
        var parts = [SVG.line(x1: time.range.lowerBound, y1: y, x2: time.range.upperBound, y2: y, cssClass: "axis")]
        for tick in time.ticks(10) {
            let x = time(tick)
            parts.append(SVG.line(x1: x, y1: y, x2: x, y2: y + 4, cssClass: "axis"))
            parts.append(SVG.text(Duration.text(ms: tick), x: x, y: y + 15, cssClass: "tick", anchor: "middle"))
        }
        return parts
    }
}
