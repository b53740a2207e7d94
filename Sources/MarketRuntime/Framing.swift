import Foundation
import MarketCore
import NIOCore

/// The wire format between peers: a 4-byte big-endian length, then that many bytes. The
/// first frame of a connection is a `Hello` in JSON (see `PeerProof`); every later one holds
/// one or more `Envelope`s in `WireCodec`'s binary form (`EnvelopeBatch`). Frames larger than
/// `maxFrame` (or empty) are refused.
public enum Framing {
    /// Size cap of one frame's payload.
    public static let maxFrame = 64 * 1024

    public enum Failure: Error, CustomStringConvertible {
        case badLength(Int)
        case undecodable(String)
        /// A sealed frame whose MAC is wrong: made up, or changed on the way.
        case forged
        /// A sealed frame with a good MAC but not the next sequence number: replayed, or moved.
        case outOfOrder(UInt64, expected: UInt64)

        public var description: String {
            switch self {
            case .badLength(let length): "frame of \(length) bytes (cap \(Framing.maxFrame))"
            case .undecodable(let why): "undecodable frame: \(why)"
            case .forged: "a frame with a bad MAC"
            case .outOfOrder(let sequence, let expected): "frame number \(sequence) where \(expected) was next"
            }
        }
    }

    /// A frame of one envelope; nil when it would not fit a sealed frame (never for the core's messages).
    static func frame(_ envelope: Envelope, allocator: ByteBufferAllocator) -> ByteBuffer? {
        var batch = EnvelopeBatch(allocator: allocator)
        return batch.add(envelope) ? batch.framed() : nil
    }

    /// The dialler's first frame: who it is, and the proof.
    struct Hello: Codable {
        var peer: Int
        var token: String
    }

    static func hello(from peer: PeerID, proof: PeerProof) -> ByteBuffer {
        let hello = Hello(peer: peer, token: String(proof.token(for: peer), radix: 16))
        let payload = (try? JSONEncoder().encode(hello)) ?? Data()
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + payload.count)
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeBytes(payload)
        return buffer
    }

    /// The peer a hello proves, or nil.
    static func provenPeer(_ payload: ByteBuffer, proof: PeerProof, members: Range<PeerID>) -> PeerID? {
        guard let hello = try? JSONDecoder().decode(Hello.self, from: Data(payload.readableBytesView)),
              members.contains(hello.peer), UInt64(hello.token, radix: 16) == proof.token(for: hello.peer) else {
            return nil
        }
        return hello.peer
    }

    static func envelope(from payload: ByteBuffer) throws(Failure) -> Envelope {
        try WireCodec.read(payload)
    }

    /// The envelopes of a frame, in the order they were sent.
    static func envelopes(from payload: ByteBuffer) throws(Failure) -> [Envelope] {
        try WireCodec.readAll(payload)
    }
}

/// Cuts the byte stream into length-prefixed frames; a frame over the cap is an error,
/// which closes the connection.
struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard length > 0, length <= Framing.maxFrame else { throw Framing.Failure.badLength(Int(length)) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

/// Turns frames of an inbound connection into envelopes for the peer. The first frame must
/// prove which peer dialled (a `Hello`; on an authenticated link, the `LinkHandshake`
/// instead, and every frame after it sealed); after it, each envelope of a frame is
/// delivered in order, and one that claims another sender is dropped and counted. Garbage, a connection without proof, or a sealed frame
/// that is forged, replayed or out of order, is logged and closed, and the peer goes on.
final class EnvelopeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let proof: PeerProof
    private let members: Range<PeerID>
    private let deliver: (Envelope) -> Void
    private let complain: (String) -> Void
    private let reject: () -> Void
    /// The listening peer, on an authenticated link (nil: a Unix socket's keyed hello).
    private let authenticatedAs: PeerID?
    private var proven: PeerID?
    /// On an authenticated link: the dialler said hello and was challenged.
    private var challenged: (peer: PeerID, binding: LinkHandshake.Binding)?
    private var seal: FrameSeal?
    /// Refused and closing: frames already read behind the bad one count for nothing.
    private var refused = false

    init(proof: PeerProof, members: Range<PeerID>, authenticatedAs: PeerID? = nil,
         deliver: @escaping (Envelope) -> Void, complain: @escaping (String) -> Void, reject: @escaping () -> Void) {
        self.proof = proof
        self.members = members
        self.authenticatedAs = authenticatedAs
        self.deliver = deliver
        self.complain = complain
        self.reject = reject
    }

    /// How long a connection may stay open without proving itself.
    static let helloDeadline = TimeAmount.seconds(1)

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.helloDeadline) {
            let (handler, context) = bound.value
            if handler.proven == nil, context.channel.isActive {
                handler.reject()
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        var payload = unwrapInboundIn(data)
        guard let proven else {
            if let me = authenticatedAs {
                handshake(payload, me: me, context: context)
            } else if let peer = Framing.provenPeer(payload, proof: proof, members: members) {
                proven = peer
            } else {
                refuse("closing an inbound connection that did not prove which peer it is", context: context)
            }
            return
        }
        do {
            if let seal { payload = try seal.open(payload) }
            for envelope in try Framing.envelopes(from: payload) {
                if envelope.from == proven { deliver(envelope) } else { reject() }
            }
        } catch {
            refuse("closing an inbound connection from P\(proven): \(error)", context: context)
        }
    }

    /// The listener's side of `LinkHandshake`: a hello is challenged, the answer checked.
    private func handshake(_ payload: ByteBuffer, me: PeerID, context: ChannelHandlerContext) {
        if let challenged {
            guard let answer = LinkHandshake.readAnswer(payload),
                  LinkHandshake.same(answer, challenged.binding.diallerProof(proof)) else {
                refuse("closing an inbound connection that did not prove it is P\(challenged.peer)", context: context)
                return
            }
            proven = challenged.peer
            seal = FrameSeal(key: challenged.binding.sessionKey(proof))
            self.challenged = nil
        } else {
            guard let hello = LinkHandshake.readHello(payload), members.contains(hello.peer), hello.peer != me else {
                refuse("closing an inbound connection that did not say which peer it is", context: context)
                return
            }
            let binding = LinkHandshake.Binding(
                dialler: hello.peer, listener: me, diallerNonce: hello.nonce, listenerNonce: LinkHandshake.nonce())
            challenged = (hello.peer, binding)
            context.writeAndFlush(wrapOutboundOut(LinkHandshake.challenge(
                from: me, nonce: binding.listenerNonce, proof: binding.listenerProof(proof))), promise: nil)
        }
    }

    private func refuse(_ why: String, context: ChannelHandlerContext) {
        refused = true
        reject()
        complain(why)
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        complain("closing an inbound connection: \(error)")
        context.close(promise: nil)
    }
}
