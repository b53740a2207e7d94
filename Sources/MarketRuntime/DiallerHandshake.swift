import MarketCore
import NIOCore

/// The dialler's side of `LinkHandshake` on a new connection: says hello with a fresh
/// nonce, checks that the listener is the peer dialled and knows the run's secret for both
/// nonces, answers, and hands the transport the seal for the frames to come. A listener that
/// does not prove itself within the deadline, or closes, fails the handshake.
final class DiallerHandshake: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Why a handshake failed.
    enum Failure: Error, CustomStringConvertible {
        case unproven(PeerID)
        case closed
        case timedOut

        var description: String {
            switch self {
            case .unproven(let peer): "P\(peer) did not prove it knows the run's secret"
            case .closed: "the connection closed during the handshake"
            case .timedOut: "no challenge within \(EnvelopeHandler.helloDeadline)"
            }
        }
    }

    private let me: PeerID
    private let peer: PeerID
    private let secret: PeerProof
    private let nonce = LinkHandshake.nonce()
    private let done: EventLoopPromise<FrameSeal>
    private var finished = false

    init(me: PeerID, peer: PeerID, secret: PeerProof, done: EventLoopPromise<FrameSeal>) {
        self.me = me
        self.peer = peer
        self.secret = secret
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(LinkHandshake.hello(from: me, nonce: nonce)), promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.assumeIsolated().scheduleTask(in: EnvelopeHandler.helloDeadline) {
            let (handler, context) = bound.value
            handler.fail(.timedOut, context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing is read after the challenge: the listener never writes again.
        guard !finished else { return }
        guard let challenge = LinkHandshake.readChallenge(unwrapInboundIn(data)), challenge.peer == peer else {
            fail(.unproven(peer), context: context)
            return
        }
        let binding = LinkHandshake.Binding(dialler: me, listener: peer, diallerNonce: nonce, listenerNonce: challenge.nonce)
        guard LinkHandshake.same(challenge.proof, binding.listenerProof(secret)) else {
            fail(.unproven(peer), context: context)
            return
        }
        finished = true
        // Written before the transport's first sealed frame, which the promise lets go.
        context.write(wrapOutboundOut(LinkHandshake.answer(proof: binding.diallerProof(secret))), promise: nil)
        done.succeed(FrameSeal(key: binding.sessionKey(secret)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.closed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !finished else {
            context.fireErrorCaught(error)
            return
        }
        finished = true
        done.fail(error)
        context.close(promise: nil)
    }

    private func fail(_ failure: Failure, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.fail(failure)
        context.close(promise: nil)
    }
}
