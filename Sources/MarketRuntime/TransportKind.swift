/// How the peers of a run reach each other.
public enum TransportKind: String, CaseIterable, Sendable {
    /// Unix sockets in the run's private directory, a hello keyed with the run's secret.
    case unix
    /// TCP on the loopback address, a challenge each way and every frame sealed: what peers
    /// on several hosts will use, tried on one.
    case tcp

    /// The host peers listen on; nil: a Unix socket.
    var listenHost: String? {
        switch self {
        case .unix: nil
        case .tcp: "127.0.0.1"
        }
    }
}
