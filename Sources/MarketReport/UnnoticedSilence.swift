import MarketCore
import MarketStore

/// The stretch in which a trader had gone silent and no peer knew yet: from its `sick` fault
/// to the start of the election that followed (the first peer to notice starts it). A silent
/// trader is found only by timeout, so this is time the market stood still for nothing it
/// could see; a crash or a resignation is seen at once and has no such stretch worth drawing.
struct UnnoticedSilence: Equatable {
    var peer: PeerID
    var fromMs: Double
    var toMs: Double
    /// The election that replaced the trader; nil when it recovered (or the history ends)
    /// before any peer noticed.
    var noticedBy: Epoch?
    /// That election's recorded start is older than the silence (a start noted by an earlier
    /// election that ended without a new epoch), so when a peer noticed is not in the history:
    /// the stretch runs to the new trader instead.
    var noticeUnrecorded = false
    /// Why that election began, when it was not a peer missing the trader (a recovered higher
    /// peer's election, say): it ended the stretch, but nobody had noticed the silence.
    var overtakenBy: String?
    /// Who began that election.
    var initiator: PeerID?

    /// The reasons that say a peer missed the trader; any other election overtook the silence.
    static let noticing: Set<String> = [ElectionReason.heartbeatTimeout, .requestTimeout, .coordinatorTimeout, .traderGone, .bully]
        .reduce(into: []) { $0.insert($1.rawValue) }

    var length: String { Duration.text(ms: (toMs - fromMs) >= 10 ? (toMs - fromMs).rounded() : toMs - fromMs) }

    /// How much a label says, from all of it to the length alone, for when labels crowd.
    enum Form: CaseIterable {
        case full, short, length
    }

    func label(_ form: Form = .full) -> String {
        // A notice the history does not date happened somewhere in the stretch: at most this long.
        let length = noticeUnrecorded ? "≤ \(self.length)" : self.length
        switch form {
        case .full:
            if noticedBy == nil { return "silent, never noticed \(length)" }
            if let overtakenBy { return "silent, not noticed \(length): a \(overtakenBy) election came first" }
            return noticeUnrecorded ? "silent \(self.length) until e\(noticedBy!) (when noticed: not recorded)"
                : "silent, not yet noticed \(length)"
        case .short: return "unnoticed \(length)"
        case .length: return length
        }
    }

    var title: String {
        let stretch = "P\(peer) silent from \(Duration.text(ms: fromMs)) to \(Duration.text(ms: toMs)) (\(length))"
        guard let epoch = noticedBy else { return stretch + ": it recovered before any peer noticed" }
        if noticeUnrecorded {
            return stretch + ", when the election of epoch \(epoch) ended; that election is recorded as started before the silence, "
                + "so when a peer noticed it is not in the history"
        }
        let started = initiator.map { ", started by P\($0)" } ?? ""
        if let overtakenBy {
            return stretch + ", when the election of epoch \(epoch) began for another reason (\(overtakenBy)\(started)), before any peer had noticed the silence"
        }
        return stretch + " before any peer noticed: the election of epoch \(epoch) began then\(started)"
    }

    /// Every `sick` fault that struck a peer while it was trading (its trader span ends there),
    /// up to the start of the election after its epoch, its recovery or the end, whichever
    /// comes first.
    static func find(_ chronicle: RunChronicle, traderSpans: [(peer: PeerID, span: PeerLane.TraderSpan)]) -> [UnnoticedSilence] {
        var result: [UnnoticedSilence] = []
        for fault in chronicle.faults where fault.kind == .sick {
            guard let trading = traderSpans.first(where: { $0.peer == fault.peer && $0.span.toMs == fault.atMs }) else { continue }
            let recovery = chronicle.faults.first { $0.peer == fault.peer && $0.kind == .recover && $0.atMs >= fault.atMs }?.atMs
            var silence = UnnoticedSilence(peer: fault.peer, fromMs: fault.atMs, toMs: max(chronicle.endMs, fault.atMs), noticedBy: nil)
            if let recovery, recovery < silence.toMs { silence.toMs = recovery }
            if let next = chronicle.elections.first(where: { $0.epoch > trading.span.epoch }),
               let started = next.startedMs ?? next.finishedMs {
                let unrecorded = started < fault.atMs
                let noticed = unrecorded ? (next.finishedMs ?? started) : started
                if noticed <= silence.toMs {
                    silence.toMs = max(noticed, fault.atMs)
                    silence.noticedBy = next.epoch
                    silence.noticeUnrecorded = unrecorded
                    silence.initiator = next.initiator
                    if let reason = next.reason, !noticing.contains(reason) { silence.overtakenBy = reason }
                }
            }
            result.append(silence)
        }
        return result
    }
}
