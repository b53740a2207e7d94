#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import MarketCore
import MarketStore

/// Where a peer's log lines go: a file descriptor written with one `write(2)` per line, and
/// never a reason to stop (`DescriptorWriter`).
final class LineSink: @unchecked Sendable {
    let fd: Int32
    private let owned: Bool

    init(fd: Int32, owned: Bool) {
        self.fd = fd
        self.owned = owned
    }

    /// Appends to (or creates) a file.
    convenience init?(appendingTo path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        self.init(fd: fd, owned: true)
    }

    func write(_ line: String) {
        DescriptorWriter(fd: fd).writeLine(line)
    }

    deinit {
        if owned { close(fd) }
    }
}

/// A swift-log handler for peer processes: `P<id> c=<lamport> message`, with the wall time
/// in the file (not on stderr, where lines of all peers are merged by the supervisor).
struct PeerLogHandler: LogHandler {
    let sink: LineSink
    let withTime: Bool
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = ""
        if withTime { line += Self.timestamp() + " " }
        if let peer = all["peer"] { line += "P\(peer)" }
        if let clock = all["c"] { line += " c=\(clock)" }
        line += " " + event.message.description
        sink.write(line)
    }

    /// The history's own time format. (`String(format:)` here took a quarter of a buyer's
    /// time in a profile of sequential buys: the buyer logs every failed buy.)
    static func timestamp() -> String {
        Timestamp.now()
    }
}

extension PeerLogHandler {
    /// A peer's logger: into its log file (with the time), and onto stderr with `--verbose`.
    static func logger(for peer: PeerID, file path: String, verbose: Bool) -> Logger {
        let fileSink = LineSink(appendingTo: path)
        return Logger(label: "market.peer") { _ in
            var handlers: [any LogHandler] = []
            if let fileSink { handlers.append(PeerLogHandler(sink: fileSink, withTime: true)) }
            if verbose { handlers.append(PeerLogHandler(sink: LineSink(fd: 2, owned: false), withTime: false)) }
            var handler = MultiplexLogHandler(handlers)
            handler[metadataKey: "peer"] = "\(peer)"
            return handler
        }
    }
}
