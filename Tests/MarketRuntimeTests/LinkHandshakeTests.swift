import MarketCore
@testable import MarketRuntime
import NIOCore
import NIOEmbedded
import XCTest

/// The listener's side of an authenticated link, one frame at a time on an embedded channel.
final class LinkHandshakeTests: XCTestCase {
    let secret = PeerProof.random()

    /// P1 listening, on an authenticated link, and what it delivered and refused.
    final class Listener {
        let channel = EmbeddedChannel()
        var delivered: [Envelope] = []
        var rejected = 0

        init(secret: PeerProof) throws {
            let handler = EnvelopeHandler(
                proof: secret, members: 0..<4, authenticatedAs: 1, deliver: { [unowned self] in delivered.append($0) },
                complain: { _ in }, reject: { [unowned self] in rejected += 1 })
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ frame: ByteBuffer) throws {
            var payload = frame
            payload.moveReaderIndex(forwardBy: 4)
            try channel.writeInbound(payload)
        }

        /// The challenge P1 wrote, without its length.
        func challenge() throws -> (peer: PeerID, nonce: [UInt8], proof: [UInt8])? {
            guard var frame = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
            frame.moveReaderIndex(forwardBy: 4)
            return LinkHandshake.readChallenge(frame)
        }
    }

    func test_aDiallerThatProvesItself_isBelieved_andItsSealedFramesDelivered() throws {
        let listener = try Listener(secret: secret)
        let nonce = LinkHandshake.nonce()
        try listener.send(LinkHandshake.hello(from: 0, nonce: nonce))
        let challenge = try XCTUnwrap(try listener.challenge())
        XCTAssertEqual(challenge.peer, 1)
        let binding = LinkHandshake.Binding(dialler: 0, listener: 1, diallerNonce: nonce, listenerNonce: challenge.nonce)
        XCTAssertEqual(challenge.proof, binding.listenerProof(secret))
        try listener.send(LinkHandshake.answer(proof: binding.diallerProof(secret)))
        let seal = FrameSeal(key: binding.sessionKey(secret))
        for clock in 1...3 {
            try listener.send(seal.seal(Framing.frame(heartbeat(from: 0, to: 1, clock: UInt64(clock)),
                                                      allocator: ByteBufferAllocator())!))
        }
        XCTAssertEqual(listener.delivered.map(\.clock), [1, 2, 3])
        XCTAssertEqual(listener.rejected, 0)
        XCTAssertTrue(listener.channel.isActive)
    }

    func test_aHelloInTheListenersOwnName_orAStrangers_isRefused() throws {
        for peer in [1, 4, -1] {
            let listener = try Listener(secret: secret)
            try listener.send(LinkHandshake.hello(from: peer, nonce: LinkHandshake.nonce()))
            XCTAssertNil(try listener.challenge(), "P\(peer) was challenged")
            XCTAssertFalse(listener.channel.isActive, "P\(peer)")
            XCTAssertEqual(listener.rejected, 1)
        }
    }

    func test_aDiallerThatSaysHelloButNeverAnswers_isClosedAfterTheDeadline() throws {
        let listener = try Listener(secret: secret)
        try listener.send(LinkHandshake.hello(from: 0, nonce: LinkHandshake.nonce()))
        XCTAssertNotNil(try listener.challenge())
        listener.channel.embeddedEventLoop.advanceTime(by: EnvelopeHandler.helloDeadline)
        XCTAssertFalse(listener.channel.isActive)
        XCTAssertEqual(listener.rejected, 1)
        XCTAssertEqual(listener.delivered, [])
    }

    func test_theKeyedHelloOfUnixSockets_isNoProofOnAnAuthenticatedLink() throws {
        let listener = try Listener(secret: secret)
        try listener.send(Framing.hello(from: 0, proof: secret))
        XCTAssertFalse(listener.channel.isActive)
        XCTAssertEqual(listener.rejected, 1)
    }
}
