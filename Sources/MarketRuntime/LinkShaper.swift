import MarketCore
import NIOCore

/// The nemesis in a peer's links layer, for Unix sockets and TCP alike (the kernel here has
/// no netem): links the supervisor has cut (`nemesis cut …`) lose this peer's frames on
/// them, and latency and loss (`LinkConditions`) hold each frame back before it is written.
///
/// The socket under a link is reliable already, so loss is modelled where a real network's
/// retransmission would hide it: a transmission lost with the given chance is sent again
/// after the retransmission timeout, and the receiver sees the frame that much later, in
/// order and exactly once. Each link's frames leave in the order they were sent: a frame is
/// never due before the one ahead of it, and one timer per link on the event loop writes
/// whatever is due (no sleeps). Confined to the transport's event loop.
final class LinkShaper {
    let loop: EventLoop
    var conditions: LinkConditions
    private var random: SplitMix64
    /// Neighbours this peer's frames to are lost.
    private(set) var cut: Set<PeerID> = []
    private var held: [PeerID: [(due: NIODeadline, envelope: Envelope)]] = [:]
    private var timers: [PeerID: Scheduled<Void>] = [:]
    /// Frames lost to a cut, and transmissions lost and sent again.
    private(set) var droppedByCut = 0
    private(set) var retransmitted = 0
    /// Writes one envelope on its link now, and pushes a link's writes onto the wire.
    private let transmit: (Envelope) -> Void
    private let flush: () -> Void

    init(loop: EventLoop, conditions: LinkConditions, seed: UInt64, transmit: @escaping (Envelope) -> Void,
         flush: @escaping () -> Void) {
        self.loop = loop
        self.conditions = conditions
        random = SplitMix64(seed: seed)
        self.transmit = transmit
        self.flush = flush
    }

    /// Takes in the run's whole cut: only the links from `me` concern this peer.
    func setCut(_ links: Set<DirectedLink>, me: PeerID) {
        cut = Set(links.filter { $0.from == me }.map(\.to))
    }

    /// Sends `envelope` as the link's state and conditions say: lost, held, or at once.
    func send(_ envelope: Envelope) {
        if cut.contains(envelope.to) {
            droppedByCut += 1
            return
        }
        if conditions.isClear, held[envelope.to, default: []].isEmpty {
            return transmit(envelope)
        }
        let (delay, retransmissions) = conditions.draw(using: &random)
        retransmitted += retransmissions
        let to = envelope.to
        var queue = held[to, default: []]
        let due = max(NIODeadline.now() + TimeAmount(delay), queue.last?.due ?? .uptimeNanoseconds(0))
        queue.append((due, envelope))
        held[to] = queue
        if timers[to] == nil { arm(to, at: due) }
    }

    private func arm(_ to: PeerID, at due: NIODeadline) {
        timers[to] = loop.assumeIsolated().scheduleTask(deadline: due) { [self] in release(to) }
    }

    /// Writes every frame of the link that is due, in order, and waits for the next.
    private func release(_ to: PeerID) {
        timers[to] = nil
        guard var queue = held[to] else { return }
        let now = NIODeadline.now()
        let due = queue.prefix { $0.due <= now }
        queue.removeFirst(due.count)
        held[to] = queue.isEmpty ? nil : queue
        for frame in due { transmit(frame.envelope) }
        flush()
        if let next = queue.first { arm(to, at: next.due) }
    }

    /// Nothing held back on any link.
    var isIdle: Bool { held.isEmpty }

    /// Forgets what is held: the transport is closing.
    func cancel() {
        for timer in timers.values { timer.cancel() }
        timers = [:]
        held = [:]
    }
}
