import Foundation
import MarketCore
import NIOCore
import NIOPosix

/// Unix-domain-socket transport of one peer, confined to its event loop.
///
/// The peer listens on `<rundir>/p<ID>.sock` and reads envelopes from every inbound
/// connection. For sending it keeps ONE outbound connection per neighbour, so each channel
/// is FIFO as the Lamport stability rule needs. A neighbour that is down (no socket, refused,
/// reset) makes its messages drop, and `gone` hears of it at once (`Event.peerGone`): a
/// dead process's socket refuses a dial and closes its connections. The next send after a
/// failure reconnects, so a restarted neighbour is reached again.
final class Transport {
    private enum Link {
        /// Not connected; `lastFailure` is set after two dials in a row failed.
        case idle(lastFailure: NIODeadline?)
        case connecting([ByteBuffer])
        case connected(Channel)
    }

    /// A neighbour that refused twice in a row is not dialled again for this long; sends to it
    /// drop meanwhile. One failure alone does not hold anything back: at startup every
    /// peer's first heartbeats go out before its neighbours listen.
    private static let redialAfter = TimeAmount.milliseconds(20)
    /// Frames held for a connection still being set up.
    private static let maxQueued = 4096

    let loop: EventLoop
    let me: PeerID
    let directory: RunDirectory
    private let log: (String) -> Void
    /// Hears that a neighbour went away, always in a task of its own on the loop (never in
    /// the middle of a `send`, so the peer's effects are never interleaved with another step).
    var gone: (PeerID) -> Void = { _ in }
    private var links: [PeerID: Link] = [:]
    /// Dials in a row that failed, per neighbour.
    private var failures: [PeerID: Int] = [:]
    private var unflushed: Set<PeerID> = []
    private var server: Channel?
    /// Connections neighbours dialled to this peer; closing the listening socket leaves them open.
    private var inbound: [ObjectIdentifier: Channel] = [:]
    private let allocator = ByteBufferAllocator()
    private(set) var dropped = 0
    /// Inbound frames refused: no proof, another sender's name, garbage.
    private(set) var rejected = 0
    /// The run's secret; nil when the run directory holds none (the peer cannot start).
    private let proof: PeerProof?
    private let members: Range<PeerID>

    init(loop: EventLoop, me: PeerID, peerCount: Int, directory: RunDirectory, log: @escaping (String) -> Void) {
        self.loop = loop
        self.me = me
        self.directory = directory
        self.log = log
        proof = directory.proof()
        members = 0..<peerCount
    }

    /// Binds the peer's socket; `deliver` gets every decoded envelope on the loop.
    func listen(deliver: @escaping (Envelope) -> Void) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        guard let proof else {
            return loop.makeFailedFuture(RuntimeError("the run directory holds no secret"))
        }
        let members = self.members
        let reject = NIOLoopBound({ [self] in rejected += 1 }, eventLoop: loop)
        let accepted = NIOLoopBound({ [self] (channel: Channel) in keep(channel) }, eventLoop: loop)
        let bound = NIOLoopBound((deliver, log), eventLoop: loop)
        return ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (deliver, log) = bound.value
                    accepted.value(channel)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(EnvelopeHandler(
                        proof: proof, members: members, deliver: deliver, complain: log, reject: reject.value))
                }
            }
            .bind(unixDomainSocketPath: directory.socketPath(for: me), cleanupExistingSocketFile: true)
            .hop(to: loop)
            .assumeIsolated()
            .map { [self] channel in
                server = channel
            }
            .nonisolated()
    }

    /// Queues one envelope on its neighbour's connection (flushed by `flush()`), or drops it.
    func send(_ envelope: Envelope) {
        loop.preconditionInEventLoop()
        let to = envelope.to
        guard to != me else { return }
        guard let frame = Framing.frame(envelope, allocator: allocator) else {
            log("dropped an oversized \(envelope.message.kind) to P\(to)")
            return
        }
        switch links[to] ?? .idle(lastFailure: nil) {
        case .connected(let channel):
            if channel.isActive {
                if channel.isWritable {
                    channel.write(frame, promise: nil)
                    unflushed.insert(to)
                } else {
                    dropped += 1  // the neighbour stopped reading (paused): like a down peer
                }
            } else {
                links[to] = .idle(lastFailure: nil)
                dial(to, first: [frame])
            }
        case .connecting(var queued):
            if queued.count < Self.maxQueued {
                queued.append(frame)
                links[to] = .connecting(queued)
            } else {
                dropped += 1
            }
        case .idle(let lastFailure):
            if let lastFailure, NIODeadline.now() - lastFailure < Self.redialAfter {
                dropped += 1
                // Refused a moment ago: as good as a dial refused now.
                loop.assumeIsolated().execute { [self] in gone(to) }
            } else {
                dial(to, first: [frame])
            }
        }
    }

    /// A message from `peer` arrived: it is up and listening, so it may be dialled at once.
    func heard(from peer: PeerID) {
        if case .idle(let lastFailure) = links[peer], lastFailure != nil {
            links[peer] = .idle(lastFailure: nil)
            failures[peer] = nil
        }
    }

    private func keep(_ channel: Channel) {
        let key = ObjectIdentifier(channel)
        inbound[key] = channel
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in inbound[key] = nil }
    }

    /// Pushes everything queued since the last flush onto the wire.
    func flush() {
        for peer in unflushed {
            if case .connected(let channel) = links[peer] { channel.flush() }
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// A dial refused, or to a socket that is not there: nobody listens, the peer is gone.
    /// Anything else (a full backlog, a timeout: a busy or paused process) says nothing;
    /// silence is for the protocol's timeouts to judge.
    static func meansGone(_ error: any Error) -> Bool {
        guard let error = error as? IOError else { return false }
        return error.errnoCode == ECONNREFUSED || error.errnoCode == ENOENT
    }

    /// Connects to `peer` and sends `queued` first (after the hello); see `meansGone`.
    private func dial(_ peer: PeerID, first queued: [ByteBuffer]) {
        links[peer] = .connecting(queued)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(1))
            .connect(unixDomainSocketPath: directory.socketPath(for: peer))
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                guard case .connecting(let queued) = links[peer] else {
                    // Closed meanwhile (the peer stops): nothing to keep.
                    if case .success(let channel) = result { channel.close(promise: nil) }
                    return
                }
                switch result {
                case .success(let channel):
                    links[peer] = .connected(channel)
                    failures[peer] = nil
                    if let proof { channel.write(Framing.hello(from: me, proof: proof), promise: nil) }
                    for frame in queued {
                        channel.write(frame, promise: nil)
                    }
                    channel.flush()
                    channel.closeFuture.assumeIsolated().whenComplete { [self] _ in closed(channel, to: peer) }
                case .failure(let error):
                    dropped += queued.count
                    let count = (failures[peer] ?? 0) + 1
                    failures[peer] = count
                    links[peer] = .idle(lastFailure: count >= 2 ? .now() : nil)
                    if Self.meansGone(error) { gone(peer) }
                }
            }
    }

    /// The connection to `peer` closed. If it is still the one in use, the other side went
    /// away, or restarted since and the close is read late: one dial tells which (refused:
    /// gone; answered: back, and that connection serves from now on). The close of an
    /// older connection, replaced since, is no news.
    private func closed(_ channel: Channel, to peer: PeerID) {
        guard case .connected(let current) = links[peer], current === channel else { return }
        dial(peer, first: [])
    }

    /// Closes every connection, outbound and inbound, and the listening socket: nothing is
    /// delivered after it.
    func close() -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        var closing: [EventLoopFuture<Void>] = []
        for case .connected(let channel) in links.values {
            closing.append(channel.close().recover { _ in })
        }
        links = [:]
        for channel in inbound.values {
            closing.append(channel.close().recover { _ in })
        }
        inbound = [:]
        if let server {
            closing.append(server.close().recover { _ in })
        }
        server = nil
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }
}
