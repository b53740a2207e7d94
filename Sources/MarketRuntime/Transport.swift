import Foundation
import MarketCore
import NIOCore
import NIOPosix

/// The transport of one peer, confined to its event loop.
///
/// The peer listens on `<rundir>/p<ID>.sock`, or on a TCP port of the system's choosing
/// (`tcpHost`), and reads envelopes from every inbound connection. A neighbour's address is
/// its socket in the run directory unless the supervisor's table (`learn`) says otherwise;
/// links to a TCP address are authenticated (`LinkHandshake`, `FrameSeal`). For sending it
/// keeps ONE outbound connection per neighbour, so each channel is FIFO as the Lamport
/// stability rule needs. A neighbour that is down (no socket, refused, reset) makes its
/// messages drop, and `gone` hears of it at once (`Event.peerGone`): a dead process's
/// socket refuses a dial and closes its connections. The next send after a failure
/// reconnects, so a restarted neighbour is reached again.
///
/// What one turn sends to a neighbour goes out as one frame of several envelopes (`EnvelopeBatch`),
/// cut only where it would pass the frame cap: a message costs wake-ups and syscalls on
/// both sides, not bytes, so fewer frames is what makes a buy cheaper.
final class Transport {
    private enum Link {
        /// Not connected; `lastFailure` is set after two dials in a row failed.
        case idle(lastFailure: NIODeadline?)
        /// Dialled (and, on an authenticated link, shaking hands): frames wait, unsealed.
        case connecting([EnvelopeBatch])
        /// `seal`: the link is authenticated; every frame is sealed as it is written.
        case connected(Channel, seal: FrameSeal?)
    }

    /// A neighbour that refused twice in a row is not dialled again for this long; sends to it
    /// drop meanwhile. One failure alone does not hold anything back: at startup every
    /// peer's first heartbeats go out before its neighbours listen.
    private static let redialAfter = TimeAmount.milliseconds(20)
    /// Envelopes held for a connection still being set up.
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
    /// Per neighbour, the frame this turn's envelopes are gathered in until `flush()`.
    private var filling: [PeerID: EnvelopeBatch] = [:]
    /// Each envelope in a frame of its own, as before frames carried several (still flushed
    /// once a turn): `MARKET_FRAME_PER_ENVELOPE=1` in the environment, only so the two can be
    /// measured side by side.
    static let framePerEnvelope = ProcessInfo.processInfo.environment["MARKET_FRAME_PER_ENVELOPE"] == "1"
    private var server: Channel?
    /// Connections neighbours dialled to this peer; closing the listening socket leaves them open.
    private var inbound: [ObjectIdentifier: Channel] = [:]
    private let allocator = ByteBufferAllocator()
    private(set) var dropped = 0
    /// Frames written to neighbours (a frame may carry several envelopes).
    private(set) var framesWritten = 0
    /// The envelopes those frames carried.
    private(set) var envelopesWritten = 0
    /// Inbound frames refused: no proof, another sender's name, garbage.
    private(set) var rejected = 0
    /// The run's secret; nil when the run directory holds none (the peer cannot start).
    private let proof: PeerProof?
    private let members: Range<PeerID>
    /// Where this peer listens over TCP; nil: on its Unix socket.
    let tcpHost: String?
    /// Neighbours' addresses, as the supervisor handed them out.
    private var addresses: [PeerID: PeerAddress] = [:]

    init(loop: EventLoop, me: PeerID, peerCount: Int, directory: RunDirectory, tcpHost: String? = nil,
         log: @escaping (String) -> Void) {
        self.loop = loop
        self.me = me
        self.directory = directory
        self.tcpHost = tcpHost
        self.log = log
        proof = directory.proof()
        members = 0..<peerCount
    }

    /// Takes in neighbours' addresses (a restarted neighbour listens on a new port).
    func learn(_ table: [PeerID: PeerAddress]) {
        addresses.merge(table) { _, new in new }
    }

    /// Where `peer` listens: the table's word, else its socket in the run directory (unless
    /// this run is over TCP, where there is nothing to guess).
    func address(of peer: PeerID) -> PeerAddress? {
        addresses[peer] ?? (tcpHost == nil ? .unix(path: directory.socketPath(for: peer)) : nil)
    }

    /// Binds the peer's socket and returns where neighbours reach it; `deliver` gets every
    /// decoded envelope on the loop.
    func listen(deliver: @escaping (Envelope) -> Void) -> EventLoopFuture<PeerAddress> {
        loop.preconditionInEventLoop()
        guard let proof else {
            return loop.makeFailedFuture(RuntimeError("the run directory holds no secret"))
        }
        let members = self.members
        let authenticatedAs = tcpHost == nil ? nil : me
        let reject = NIOLoopBound({ [self] in rejected += 1 }, eventLoop: loop)
        let accepted = NIOLoopBound({ [self] (channel: Channel) in keep(channel) }, eventLoop: loop)
        let bound = NIOLoopBound((deliver, log), eventLoop: loop)
        let bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (deliver, log) = bound.value
                    accepted.value(channel)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(EnvelopeHandler(
                        proof: proof, members: members, authenticatedAs: authenticatedAs, deliver: deliver,
                        complain: log, reject: reject.value))
                }
            }
        let binding: EventLoopFuture<Channel>
        if let tcpHost {
            binding = bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1).bind(host: tcpHost, port: 0)
        } else {
            binding = bootstrap.bind(unixDomainSocketPath: directory.socketPath(for: me), cleanupExistingSocketFile: true)
        }
        return binding
            .hop(to: loop)
            .assumeIsolated()
            .flatMapThrowing { [self] channel in
                server = channel
                guard let address = PeerAddress.bound(to: channel.localAddress) else {
                    throw RuntimeError("cannot tell the address the peer listens on")
                }
                return address
            }
            .nonisolated()
    }

    /// The nemesis of this peer's links: cuts, latency and loss (`LinkShaper`); nil: none.
    private(set) var shaper: LinkShaper?

    /// Gives the links latency and loss, drawn from `seed`, and lets the supervisor cut them.
    func shape(_ conditions: LinkConditions, seed: UInt64) {
        shaper = LinkShaper(loop: loop, conditions: conditions, seed: seed,
                            transmit: { [unowned self] in transmit($0) }, flush: { [unowned self] in flush() })
    }

    /// The run's cut links from now on (`nemesis cut …`, `nemesis heal`).
    func cut(_ links: Set<DirectedLink>) {
        if shaper == nil { shape(LinkConditions(), seed: 0) }
        shaper?.setCut(links, me: me)
    }

    /// Sends one envelope through the nemesis, if there is one, else straight on.
    func send(_ envelope: Envelope) {
        loop.preconditionInEventLoop()
        guard envelope.to != me else { return }
        if let shaper { shaper.send(envelope) } else { transmit(envelope) }
    }

    /// Adds one envelope to its neighbour's frame of this turn (written by `flush()`), or drops it.
    private func transmit(_ envelope: Envelope) {
        let to = envelope.to
        switch links[to] ?? .idle(lastFailure: nil) {
        case .connected(let channel, _):
            if !channel.isActive {
                links[to] = .idle(lastFailure: nil)
                dial(to, first: [])
            } else if !channel.isWritable {
                dropped += 1  // the neighbour stopped reading (paused): like a down peer
                return
            }
        case .connecting(let queued):
            let waiting = queued.reduce(filling[to]?.count ?? 0) { $0 + $1.count }
            if waiting >= Self.maxQueued {
                dropped += 1
                return
            }
        case .idle(let lastFailure):
            if let lastFailure, NIODeadline.now() - lastFailure < Self.redialAfter {
                dropped += 1
                // Refused a moment ago: as good as a dial refused now.
                loop.assumeIsolated().execute { [self] in gone(to) }
                return
            }
            dial(to, first: [])
        }
        var batch = filling.removeValue(forKey: to) ?? EnvelopeBatch(allocator: allocator)
        if !batch.add(envelope) {
            if batch.count > 0 { emit(batch, to: to) }
            batch = EnvelopeBatch(allocator: allocator)
            if !batch.add(envelope) {
                log("dropped an oversized \(envelope.message.kind) to P\(to)")
                return
            }
        }
        if Self.framePerEnvelope {
            emit(batch, to: to)
        } else {
            filling[to] = batch
        }
    }

    /// Writes a full frame on its link, or queues it behind the dial, or counts it dropped
    /// (the link failed since its envelopes were taken in).
    private func emit(_ batch: EnvelopeBatch, to peer: PeerID) {
        switch links[peer] ?? .idle(lastFailure: nil) {
        case .connected(let channel, let seal) where channel.isActive:
            let frame = batch.framed()
            channel.write(seal?.seal(frame) ?? frame, promise: nil)
            framesWritten += 1
            envelopesWritten += batch.count
            unflushed.insert(peer)
        case .connecting(var queued):
            queued.append(batch)
            links[peer] = .connecting(queued)
        default:
            dropped += batch.count
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
        for (peer, batch) in filling { emit(batch, to: peer) }
        filling.removeAll(keepingCapacity: true)
        for peer in unflushed {
            if case .connected(let channel, _) = links[peer] { channel.flush() }
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// A dial refused, or to a socket that is not there: nobody listens, the peer is gone.
    /// Anything else (a full backlog, a timeout: a busy or paused process) says nothing;
    /// silence is for the protocol's timeouts to judge.
    static func meansGone(_ error: any Error) -> Bool {
        if let error = error as? NIOConnectionError {
            // A host name tried at each of its addresses: gone if every one refused.
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { meansGone($0.error) }
        }
        guard let error = error as? IOError else { return false }
        return error.errnoCode == ECONNREFUSED || error.errnoCode == ENOENT
    }

    /// Connects to `peer` and sends `queued` first (after the hello, or the handshake of an
    /// authenticated link); see `meansGone`. A neighbour whose address is not known yet is
    /// not dialled: its frames drop.
    private func dial(_ peer: PeerID, first queued: [EnvelopeBatch]) {
        guard let address = address(of: peer), let proof else {
            dropped += queued.reduce(0) { $0 + $1.count }
            return
        }
        links[peer] = .connecting(queued)
        var bootstrap = ClientBootstrap(group: loop).connectTimeout(.seconds(1))
        var handshake: EventLoopPromise<FrameSeal>?
        if address.isAuthenticated {
            let done = loop.makePromise(of: FrameSeal.self)
            handshake = done
            let me = self.me
            bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        DiallerHandshake(me: me, peer: peer, secret: proof, done: done))
                }
            }
        }
        address.connect(bootstrap)
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard let handshake else {
                        channel.write(Framing.hello(from: me, proof: proof), promise: nil)
                        connected(peer, channel, seal: nil)
                        return
                    }
                    handshake.futureResult.assumeIsolated().whenComplete { [self] shaken in
                        switch shaken {
                        case .success(let seal):
                            connected(peer, channel, seal: seal)
                        case .failure(let error):
                            if case DiallerHandshake.Failure.unproven = error {
                                rejected += 1
                                log("closing a connection to P\(peer): \(error)")
                            }
                            channel.close(promise: nil)
                            failedToConnect(peer, error)
                        }
                    }
                case .failure(let error):
                    handshake?.fail(error)
                    failedToConnect(peer, error)
                }
            }
    }

    /// The link to `peer` is up: what waited goes first.
    private func connected(_ peer: PeerID, _ channel: Channel, seal: FrameSeal?) {
        guard case .connecting(let queued) = links[peer] else {
            // Closed meanwhile (the peer stops): nothing to keep.
            channel.close(promise: nil)
            return
        }
        links[peer] = .connected(channel, seal: seal)
        failures[peer] = nil
        for batch in queued {
            let frame = batch.framed()
            channel.write(seal?.seal(frame) ?? frame, promise: nil)
        }
        framesWritten += queued.count
        envelopesWritten += queued.reduce(0) { $0 + $1.count }
        channel.flush()
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in closed(channel, to: peer) }
    }

    private func failedToConnect(_ peer: PeerID, _ error: any Error) {
        guard case .connecting(let queued) = links[peer] else { return }
        dropped += queued.reduce(0) { $0 + $1.count }
        let count = (failures[peer] ?? 0) + 1
        failures[peer] = count
        links[peer] = .idle(lastFailure: count >= 2 ? .now() : nil)
        if Self.meansGone(error) { gone(peer) }
    }

    /// The connection to `peer` closed. If it is still the one in use, the other side went
    /// away, or restarted since and the close is read late: one dial tells which (refused:
    /// gone; answered: back, and that connection serves from now on). The close of an
    /// older connection, replaced since, is no news.
    private func closed(_ channel: Channel, to peer: PeerID) {
        guard case .connected(let current, _) = links[peer], current === channel else { return }
        dial(peer, first: [])
    }

    /// Closes every connection, outbound and inbound, and the listening socket: nothing is
    /// delivered after it.
    func close() -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        shaper?.cancel()
        var closing: [EventLoopFuture<Void>] = []
        for case .connected(let channel, _) in links.values {
            closing.append(channel.close().recover { _ in })
        }
        links = [:]
        filling = [:]
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
