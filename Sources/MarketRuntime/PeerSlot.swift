#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MarketCore
import NIOCore

/// One peer's current process, as `ProcessTable` keeps it. Where the peer stands in the
/// run is `Supervision`'s (`SupervisedPeer`).
final class PeerSlot {
    let id: PeerID
    var pid: pid_t = 0
    var channel: Channel?
    /// Processes started for this peer so far.
    var starts = 0
    /// Stopped from outside (SIGSTOP) and not continued yet.
    var paused = false
    /// The exit status, when the watch for pauses collected it first.
    var collected: ExitStatus?
    /// The SSH destination of a peer on another host; nil: this host. `pid` is then the
    /// local `ssh` client's, whose session carries the line protocol.
    var destination: String?
    /// A remote peer's own PID on its host, as it said (`process`).
    var remotePID: Int32?
    /// Where a remote peer's log stays on its host.
    var remoteLog: String?
    /// A remote peer said `resumed` while its host's watch said it was paused: its `proceed`
    /// waits for the watch's `continued`, so that the history has the continue first.
    var resumeHeld = false

    init(id: PeerID) {
        self.id = id
    }

    var isAlive: Bool { pid != 0 }
}
