import Foundation
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import NIOPosix

/// A man in the middle on 127.0.0.1, between a dialler and a listener that talk TCP: every
/// frame the dialler sends goes through `tamper` (which may change, drop, repeat or add
/// frames), the listener's bytes go back as they are. It records what both sides sent.
final class FrameProxy: Sendable {
    /// What went through, over every connection.
    struct Seen {
        /// The dialler's frame payloads, as sent, per connection.
        var diallerFrames: [[[UInt8]]] = []
        /// The listener's bytes, per connection.
        var listenerBytes: [[UInt8]] = []
        /// Connections from the dialler that ended.
        var closed = 0
    }

    /// Given a connection's frame number (0 is the hello, 1 the answer, 2 the first sealed
    /// frame), its payload and the payloads sent before it, the payloads to pass on.
    typealias Tamper = @Sendable (_ index: Int, _ payload: [UInt8], _ before: [[UInt8]]) -> [[UInt8]]

    let address: PeerAddress
    let seen = Watched(Seen())
    private let server: Channel

    init(to target: PeerAddress, loop: EventLoop, tamper: @escaping Tamper = { _, payload, _ in [payload] }) throws {
        guard case .tcp(let host, let port) = target else { throw RuntimeError("the proxy forwards TCP only") }
        let seen = self.seen
        server = try ServerBootstrap(group: loop)
            .childChannelInitializer { child in
                let connection = seen.update { seen -> Int in
                    seen.diallerFrames.append([])
                    seen.listenerBytes.append([])
                    return seen.diallerFrames.count - 1
                }
                let partner = ClientBootstrap(group: child.eventLoop)
                    .channelInitializer { outward in
                        outward.eventLoop.makeCompletedFuture {
                            try outward.pipeline.syncOperations.addHandler(
                                ListenerSide(dialler: child, seen: seen, connection: connection))
                        }
                    }
                    .connect(host: host, port: port)
                partner.whenFailure { _ in child.close(promise: nil) }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try child.pipeline.syncOperations.addHandler(
                        DiallerSide(partner: partner, tamper: tamper, seen: seen, connection: connection))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        guard let bound = PeerAddress.bound(to: server.localAddress) else { throw RuntimeError("the proxy has no address") }
        address = bound
    }

    func close() {
        try? server.close().wait()
    }

    static func framed(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + payload.count)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    private final class DiallerSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let partner: EventLoopFuture<Channel>
        let tamper: Tamper
        let seen: Watched<Seen>
        let connection: Int
        var before: [[UInt8]] = []

        init(partner: EventLoopFuture<Channel>, tamper: @escaping Tamper, seen: Watched<Seen>, connection: Int) {
            self.partner = partner
            self.tamper = tamper
            self.seen = seen
            self.connection = connection
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let payload = Array(unwrapInboundIn(data).readableBytesView)
            let passed = tamper(before.count, payload, before)
            before.append(payload)
            seen.update { $0.diallerFrames[connection].append(payload) }
            // In order: callbacks on one future run in the order they were added.
            for frame in passed {
                partner.whenSuccess { $0.writeAndFlush(FrameProxy.framed(frame), promise: nil) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.whenSuccess { $0.close(promise: nil) }
            seen.update { $0.closed += 1 }
            context.fireChannelInactive()
        }
    }

    private final class ListenerSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let dialler: Channel
        let seen: Watched<Seen>
        let connection: Int

        init(dialler: Channel, seen: Watched<Seen>, connection: Int) {
            self.dialler = dialler
            self.seen = seen
            self.connection = connection
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            seen.update { $0.listenerBytes[connection] += Array(bytes.readableBytesView) }
            dialler.writeAndFlush(bytes, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            dialler.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}

/// A plain TCP connection the test writes raw bytes on, and what came back.
final class RawConnection: Sendable {
    struct Received {
        var bytes: [UInt8] = []
        var closed = false
    }

    let received = Watched(Received())
    private let channel: Channel

    init(to address: PeerAddress, loop: EventLoop) throws {
        guard case .tcp(let host, let port) = address else { throw RuntimeError("TCP only") }
        let received = self.received
        channel = try ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received))
                }
            }
            .connect(host: host, port: port)
            .wait()
    }

    func write(_ frames: [[UInt8]]) throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        for frame in frames { buffer.writeImmutableBuffer(FrameProxy.framed(frame)) }
        try channel.writeAndFlush(buffer).wait()
    }

    func close() {
        try? channel.close().wait()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: Watched<Received>
        init(_ received: Watched<Received>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            received.update { $0.bytes += bytes }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.update { $0.closed = true }
            context.fireChannelInactive()
        }
    }
}

/// A listener that plays back bytes it recorded, whatever the dialler says: an impostor
/// where a peer should be.
final class ReplayingListener: Sendable {
    struct Heard {
        var frames = 0
        var closed = false
    }

    let address: PeerAddress
    let heard = Watched(Heard())
    private let server: Channel

    init(replaying bytes: [UInt8], loop: EventLoop) throws {
        let heard = self.heard
        server = try ServerBootstrap(group: loop)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try child.pipeline.syncOperations.addHandler(Player(bytes: bytes, heard: heard))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        guard let bound = PeerAddress.bound(to: server.localAddress) else { throw RuntimeError("no address") }
        address = bound
    }

    func close() {
        try? server.close().wait()
    }

    private final class Player: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let bytes: [UInt8]
        let heard: Watched<Heard>

        init(bytes: [UInt8], heard: Watched<Heard>) {
            self.bytes = bytes
            self.heard = heard
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let first = heard.update { heard -> Bool in
                heard.frames += 1
                return heard.frames == 1
            }
            if first { context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            heard.update { $0.closed = true }
            context.fireChannelInactive()
        }
    }
}
