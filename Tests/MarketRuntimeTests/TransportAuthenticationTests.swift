import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import NIOPosix
import XCTest

/// Two real transports over TCP on 127.0.0.1, P0 dialling P1 through a proxy that plays an
/// attacker on the network: one who does not know the run's secret cannot make P1 take a
/// frame it made up, changed or played again, nor a handshake it recorded. Each attempt is
/// refused, counted, logged, and closes the link.
final class TransportAuthenticationTests: XCTestCase {
    struct Link {
        let sender: TransportNode
        let receiver: TransportNode
        let receiverAddress: PeerAddress
        let proxy: FrameProxy
        let delivered: Watched<[UInt64]>
        let complaints: Watched<[String]>
        let loops: [EventLoop]
        let directory: RunDirectory
    }

    /// P1 listens on TCP; P0 knows it at the proxy's address.
    func makeLink(tamper: @escaping FrameProxy.Tamper = { _, payload, _ in [payload] }) throws -> Link {
        let directory = try makeRunDirectory()
        let loops = makeLoops(4)
        let delivered = Watched<[UInt64]>([])
        let complaints = Watched<[String]>([])
        let receiver = try TransportNode(id: 1, peerCount: 3, directory: directory, loop: loops[1], tcpHost: "127.0.0.1") {
            line in complaints.update { $0.append(line) }
        }
        let address = try receiver.listen { _, envelope in delivered.update { $0.append(envelope.clock) } }
        let proxy = try FrameProxy(to: address, loop: loops[2], tamper: tamper)
        let sender = try TransportNode(id: 0, peerCount: 3, directory: directory, loop: loops[0], tcpHost: "127.0.0.1")
        try sender.run { $0.learn([1: proxy.address]) }
        addTeardownBlock {
            try? sender.close()
            try? receiver.close()
            proxy.close()
        }
        return Link(sender: sender, receiver: receiver, receiverAddress: address, proxy: proxy, delivered: delivered,
                    complaints: complaints, loops: loops, directory: directory)
    }

    func rejected(_ node: TransportNode) throws -> Int {
        try node.run { $0.rejected }
    }

    /// Frame numbers on a connection: 0 the hello, 1 the answer, 2 the first sealed frame.
    static let firstSealed = 2

    func test_tcpLinksCarryFramesInOrder_throughAnHonestProxy() throws {
        let link = try makeLink()
        XCTAssertEqual(link.receiverAddress.isAuthenticated, true)
        try link.sender.sendOneByOne(to: 1, clocks: 1...50)
        XCTAssert(link.delivered.wait { $0.count == 50 }, "delivered: \(link.delivered.value)")
        XCTAssertEqual(link.delivered.value, Array(1...50))
        XCTAssertEqual(try rejected(link.receiver), 0)
        // Sealed: every frame is longer by its sequence number and tag than the envelope alone.
        let frames = link.proxy.seen.value.diallerFrames[0]
        let plain = Framing.frame(heartbeat(from: 0, to: 1, clock: 1), allocator: ByteBufferAllocator())!.readableBytes - 4
        XCTAssertEqual(frames[Self.firstSealed].count, plain + FrameSeal.overhead)
    }

    func test_aFrameAlteredOnTheWay_isRefused_andClosesTheLink() throws {
        let link = try makeLink { index, payload, _ in
            guard index == Self.firstSealed + 2 else { return [payload] }
            var altered = payload
            altered[8 + 3] ^= 0x01  // inside the envelope, after the sequence number
            return [altered]
        }
        try link.sender.sendOneByOne(to: 1, clocks: 1...5)
        XCTAssert(link.complaints.wait { !$0.isEmpty }, "the altered frame was not refused")
        XCTAssertEqual(link.delivered.value, [1, 2], "nothing from the altered frame on is believed")
        XCTAssertEqual(try rejected(link.receiver), 1)
        XCTAssert((link.complaints.value.first ?? "").contains("bad MAC"), "\(link.complaints.value)")
        XCTAssert(link.proxy.seen.wait { $0.closed >= 1 }, "the link stayed open")
    }

    func test_aFrameInjected_isRefused_andAStrangerCannotShakeHands() throws {
        // In the middle of a session: a well-formed frame with the next sequence number, in
        // P0's name, and a tag made up without the key.
        let forged: [UInt8] = {
            var frame = Framing.frame(heartbeat(from: 0, to: 1, clock: 99), allocator: ByteBufferAllocator())!
            frame.moveReaderIndex(forwardBy: 4)
            return withUnsafeBytes(of: UInt64(1).bigEndian) { Array($0) } + Array(frame.readableBytesView)
                + (0..<FrameSeal.tagSize).map { _ in UInt8.random(in: 0...255) }
        }()
        let link = try makeLink { index, payload, _ in
            index == Self.firstSealed + 1 ? [forged, payload] : [payload]
        }
        try link.sender.sendOneByOne(to: 1, clocks: 1...5)
        XCTAssert(link.complaints.wait { !$0.isEmpty }, "the injected frame was not refused")
        XCTAssertEqual(link.delivered.value, [1])
        XCTAssertEqual(try rejected(link.receiver), 1)
        XCTAssert((link.complaints.value.first ?? "").contains("bad MAC"), "\(link.complaints.value)")

        // A connection of its own: a hello is challenged, but without the secret there is no
        // answer to give, and nothing after it counts.
        let stranger = try RawConnection(to: link.receiverAddress, loop: link.loops[3])
        defer { stranger.close() }
        try stranger.write([Array(LinkHandshake.hello(from: 2, nonce: LinkHandshake.nonce()).readableBytesView.dropFirst(4))])
        XCTAssert(stranger.received.wait { $0.bytes.count >= 4 + 1 + 8 + LinkHandshake.nonceSize + LinkHandshake.proofSize },
                  "no challenge came")
        let guess = (0..<LinkHandshake.proofSize).map { _ in UInt8.random(in: 0...255) }
        try stranger.write([Array(LinkHandshake.answer(proof: guess).readableBytesView.dropFirst(4)), forged])
        XCTAssert(stranger.received.wait { $0.closed }, "the stranger's connection stayed open")
        XCTAssertEqual(link.delivered.value, [1])
        XCTAssertEqual(try rejected(link.receiver), 2)
    }

    func test_aFrameReplayed_isRefused_andClosesTheLink() throws {
        // The first sealed frame, played again after itself: its MAC is good, its number old.
        let link = try makeLink { index, payload, before in
            index == Self.firstSealed + 1 ? [before[Self.firstSealed], payload] : [payload]
        }
        try link.sender.sendOneByOne(to: 1, clocks: 1...5)
        XCTAssert(link.complaints.wait { !$0.isEmpty }, "the replayed frame was not refused")
        XCTAssertEqual(link.delivered.value, [1])
        XCTAssertEqual(try rejected(link.receiver), 1)
        XCTAssert((link.complaints.value.first ?? "").contains("frame number 0 where 1 was next"), "\(link.complaints.value)")
        XCTAssert(link.proxy.seen.wait { $0.closed >= 1 }, "the link stayed open")
    }

    func test_aRecordedHandshake_playedAgain_provesNothing_eitherWay() throws {
        let link = try makeLink()
        try link.sender.send(to: 1, clocks: 1...3)
        XCTAssert(link.delivered.wait { $0 == [1, 2, 3] }, "delivered: \(link.delivered.value)")
        let recorded = link.proxy.seen.value

        // Everything P0 said, hello, answer and frames, played to P1 on a new connection: P1's
        // challenge has a new nonce, so the recorded answer is wrong.
        let replay = try RawConnection(to: link.receiverAddress, loop: link.loops[3])
        defer { replay.close() }
        try replay.write(recorded.diallerFrames[0])
        XCTAssert(replay.received.wait { $0.closed }, "the replayed connection stayed open")
        XCTAssertEqual(link.delivered.value, [1, 2, 3], "a replayed frame was delivered")
        XCTAssertEqual(try rejected(link.receiver), 1)
        XCTAssert(link.complaints.value.contains { $0.contains("did not prove it is P0") }, "\(link.complaints.value)")

        // P1's challenge played to P0 by an impostor where P1 should be: P0's nonce is new, so
        // the recorded proof is wrong, and P0 neither answers nor sends a frame.
        let impostor = try ReplayingListener(replaying: recorded.listenerBytes[0], loop: link.loops[3])
        defer { impostor.close() }
        let fooled = try TransportNode(id: 0, peerCount: 3, directory: link.directory, loop: link.loops[2],
                                       tcpHost: "127.0.0.1")
        defer { try? fooled.close() }
        try fooled.run { $0.learn([1: impostor.address]) }
        try fooled.send(to: 1, clocks: 7...7)
        XCTAssert(impostor.heard.wait { $0.closed }, "P0 kept the impostor's connection")
        XCTAssertEqual(impostor.heard.value.frames, 1, "P0 said more than hello to an impostor")
        XCTAssertEqual(try rejected(fooled), 1)
    }
}
