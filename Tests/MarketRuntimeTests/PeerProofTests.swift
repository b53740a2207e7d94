import MarketCore
@testable import MarketRuntime
import NIOCore
import NIOEmbedded
import XCTest

/// A connection proves which peer it is before its frames count.
final class PeerProofTests: XCTestCase {
    let proof = PeerProof(key: (0x0706050403020100, 0x0F0E0D0C0B0A0908))

    func test_sipHashMatchesTheReferenceVector() {
        // The reference implementation's vector for the 8-byte message 00 01 … 07 under the
        // key 00 01 … 0f: 62 24 93 9a 79 f5 f5 93 (little-endian).
        XCTAssertEqual(SipHash24.hash(0x0706050403020100, key: proof.key), 0x93F5F5799A932462)
    }

    func test_theSecretRoundTripsAsText_andGarbageIsNoSecret() {
        let fresh = PeerProof.random()
        XCTAssertEqual(PeerProof(text: fresh.text + "\n"), fresh)
        XCTAssertNotEqual(PeerProof.random(), fresh)
        XCTAssertNil(PeerProof(text: "not a secret"))
        XCTAssertNotEqual(proof.token(for: 1), proof.token(for: 2))
    }

    /// An inbound connection with the handler, and what it delivered.
    final class Inbound {
        let channel = EmbeddedChannel()
        var delivered: [Envelope] = []
        var rejected = 0

        init(proof: PeerProof) throws {
            let handler = EnvelopeHandler(
                proof: proof, members: 0..<4, deliver: { [unowned self] in delivered.append($0) }, complain: { _ in },
                reject: { [unowned self] in rejected += 1 })
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(unixDomainSocketPath: "/peer")).wait()
        }

        func send(_ frame: ByteBuffer) throws {
            var frame = frame
            frame.moveReaderIndex(forwardBy: 4)  // the decoder before this handler strips the length
            try channel.writeInbound(frame)
        }
    }

    func envelope(from: PeerID) -> ByteBuffer {
        Framing.frame(Envelope(from: from, to: 3, clock: 5, message: .election), allocator: ByteBufferAllocator())!
    }

    func test_aProvenPeersEnvelopesAreDelivered() throws {
        let inbound = try Inbound(proof: proof)
        try inbound.send(Framing.hello(from: 1, proof: proof))
        try inbound.send(envelope(from: 1))
        XCTAssertEqual(inbound.delivered.map(\.from), [1])
        XCTAssertEqual(inbound.rejected, 0)
        XCTAssertTrue(inbound.channel.isActive)
    }

    func test_anEnvelopeInAnotherPeersName_isDropped() throws {
        let inbound = try Inbound(proof: proof)
        try inbound.send(Framing.hello(from: 1, proof: proof))
        try inbound.send(envelope(from: 2))
        XCTAssertEqual(inbound.delivered, [])
        XCTAssertEqual(inbound.rejected, 1)
    }

    func test_noHello_orAWrongOne_closesTheConnection() throws {
        let stranger = try Inbound(proof: proof)
        try stranger.send(envelope(from: 1))
        XCTAssertFalse(stranger.channel.isActive)
        XCTAssertEqual(stranger.delivered, [])

        let wrongSecret = try Inbound(proof: proof)
        try wrongSecret.send(Framing.hello(from: 1, proof: PeerProof.random()))
        XCTAssertFalse(wrongSecret.channel.isActive)

        let notAMember = try Inbound(proof: proof)
        try notAMember.send(Framing.hello(from: 999, proof: proof))
        XCTAssertFalse(notAMember.channel.isActive)
    }

    func test_aConnectionThatNeverSaysHello_isClosedAfterItsDeadline() throws {
        let idle = try Inbound(proof: proof)
        XCTAssertTrue(idle.channel.isActive)
        idle.channel.embeddedEventLoop.advanceTime(by: EnvelopeHandler.helloDeadline)
        XCTAssertFalse(idle.channel.isActive)
        XCTAssertEqual(idle.rejected, 1)
    }
}
