import NIOCore
import NIOPosix

/// Where a peer listens: its Unix socket in the run's directory, or a TCP port on a host.
/// Written `unix:/tmp/market-…/p3.sock` or `tcp:127.0.0.1:40123` (`tcp:[::1]:40123`) on the
/// supervisor's line protocol.
public enum PeerAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        }
    }

    public init?(text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty, !path.contains(" ") else { return nil }
            self = .unix(path: path)
            return
        }
        let start = text.index(text.startIndex, offsetBy: 4, limitedBy: text.endIndex) ?? text.endIndex
        guard text.hasPrefix("tcp:"), let colon = text[start...].lastIndex(of: ":") else { return nil }
        var host = text[start..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains(" "), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        self = .tcp(host: String(host), port: port)
    }

    /// The address a listening channel is bound to, as peers dial it.
    static func bound(to address: SocketAddress?) -> PeerAddress? {
        switch address {
        case .unixDomainSocket:
            return address?.pathname.map { .unix(path: $0) }
        case .v4, .v6:
            guard let host = address?.ipAddress, let port = address?.port else { return nil }
            return .tcp(host: host, port: port)
        default:
            return nil
        }
    }

    /// Frames over TCP carry a sequence number and a MAC (see `LinkHandshake`): a network
    /// can be watched and written to by others. A Unix socket in the run's private
    /// directory cannot, except by the same user, who can read the secret anyway.
    var isAuthenticated: Bool {
        if case .tcp = self { return true }
        return false
    }

    func connect(_ bootstrap: ClientBootstrap) -> EventLoopFuture<Channel> {
        switch self {
        case .unix(let path): bootstrap.connect(unixDomainSocketPath: path)
        case .tcp(let host, let port):
            // An address as it is, without a resolver: its refusal is then the plain error
            // `Transport.meansGone` reads.
            if let address = try? SocketAddress(ipAddress: host, port: port) {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: host, port: port)
            }
        }
    }
}
