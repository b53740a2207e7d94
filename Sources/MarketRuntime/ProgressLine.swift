#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MarketCore
import MarketStore
import MarketSupervision
import NIOCore

/// What the user sees on stderr while a run is live: one line redrawn in place on a
/// terminal, a plain `progress:` line every second otherwise; and the supervisor's
/// messages, which never tear the live line.
final class ProgressLine {
    /// Redraw in place (stderr is a terminal and peers' logs are not streamed to it).
    let live: Bool
    private var liveShown = false
    private var lastPlainLine = NIODeadline.distantPast

    init(verbose: Bool) {
        live = isatty(2) == 1 && !verbose
    }

    /// Decisions seen in the last `window`, for a current rate: a running average keeps
    /// falling once the work is done, which reads as the market slowing down.
    private var samples: [(at: NIODeadline, decided: Int)] = []
    static let window = TimeAmount.seconds(1)
    /// Without a terminal, a plain line at least this often (a 2 s run shows two).
    static let plainEvery = TimeAmount.seconds(1)

    /// - Parameter trader: the supervisor's view of the peer the leader record names.
    func show(_ progress: RunProgress, of planned: Int, since start: NIODeadline, trader: SupervisedPeer? = nil) {
        let now = NIODeadline.now()
        samples.append((now, progress.decided))
        samples.removeAll { now - $0.at > Self.window }
        let oldest = samples.first ?? (now, progress.decided)
        let span = Duration(now - oldest.at).seconds
        let rate = span > 0 ? Double(progress.decided - oldest.decided) / span : 0
        let text = Self.text(progress, planned: planned, rate: rate, trader: Self.condition(of: trader))
        if live {
            DescriptorWriter.standardError.write("\r\u{1B}[2K\(text)")
            liveShown = true
        } else if now - lastPlainLine >= Self.plainEvery {
            lastPlainLine = now
            DescriptorWriter.standardError.write("progress: \(text)\n")
        }
    }

    /// `decided 1200/2000 (200 bought, 1000 failed) · 950/s now · trader P6 epoch 3 · elections 3`;
    /// `trader P6 epoch 3 (silent)` while the supervisor has that trader sick.
    static func text(_ progress: RunProgress, planned: Int, rate: Double, trader condition: String? = nil) -> String {
        let trader = progress.electionInProgress ? "electing (epoch \(progress.epoch) before)"
            : progress.leader.map { "trader P\($0) epoch \(progress.epoch)" + (condition.map { " (\($0))" } ?? "") } ?? "no trader yet"
        return "decided \(progress.decided)/\(planned) (\(progress.bought) bought, \(progress.failed) failed) · "
            + "\(String(format: "%.0f", rate))/s now · \(trader) · elections \(progress.elections)"
            + (progress.pending > 0 ? " · pending \(progress.pending)" : "")
    }

    /// What keeps the trader from trading, as the supervisor knows it: the leader record still
    /// names a trader the supervisor made sick (or that crashed, or was stopped from outside)
    /// until the others notice and elect; nil while it is up.
    static func condition(of trader: SupervisedPeer?) -> String? {
        guard let trader else { return nil }
        return condition(trader.state, paused: trader.paused)
    }

    static func condition(_ state: SupervisedPeer.State, paused: Bool) -> String? {
        if paused { return "paused" }
        switch state {
        case .sick(.silent): return "silent"
        case .sick(.resign): return "resigned"
        case .sick(.crash), .down, .probing: return "down"
        case .unreachable: return "unreachable"
        case .starting, .up, .stopping, .stopped: return nil
        }
    }

    /// A line for the user on stderr.
    func say(_ text: String) {
        clear()
        DescriptorWriter.standardError.write("market run: \(text)\n")
    }

    /// Wipes the live line, if it is shown.
    func clear() {
        guard liveShown else { return }
        DescriptorWriter.standardError.write("\r\u{1B}[2K")
        liveShown = false
    }
}
