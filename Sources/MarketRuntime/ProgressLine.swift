#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MarketCore
import MarketStore
import NIOCore

/// What the user sees on stderr while a run is live: one line redrawn in place on a
/// terminal, a plain `progress:` line every three seconds otherwise; and the supervisor's
/// messages, which never tear the live line.
final class ProgressLine {
    /// Redraw in place (stderr is a terminal and peers' logs are not streamed to it).
    let live: Bool
    private var liveShown = false
    private var lastPlainLine = NIODeadline.distantPast

    init(verbose: Bool) {
        live = isatty(2) == 1 && !verbose
    }

    func show(_ progress: RunProgress, of planned: Int, since start: NIODeadline) {
        let seconds = Duration(NIODeadline.now() - start).seconds
        let rate = seconds > 0 ? Double(progress.decided) / seconds : 0
        let trader = progress.leader.map { "P\($0)" } ?? "none"
        let text = "buys \(progress.decided)/\(planned) · \(String(format: "%.0f", rate))/s · "
            + "trader \(trader) epoch \(progress.epoch) · elections \(progress.elections)"
            + (progress.pending > 0 ? " · pending \(progress.pending)" : "")
        if live {
            DescriptorWriter.standardError.write("\r\u{1B}[2K\(text)")
            liveShown = true
        } else if NIODeadline.now() - lastPlainLine > .seconds(3) {
            lastPlainLine = .now()
            DescriptorWriter.standardError.write("progress: \(text)\n")
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
