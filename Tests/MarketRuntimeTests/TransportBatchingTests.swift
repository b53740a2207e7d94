import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import XCTest

/// What one turn sends to a neighbour leaves as one frame (several when it would pass the
/// frame cap), and the receiver takes every envelope out of it, in order, once: the cost
/// of a message is the wake-ups, so fewer frames is the throughput lever.
final class TransportBatchingTests: XCTestCase {
    func testOneTurnToANeighbourIsOneFrameOnAUnixSocket() throws {
        try checkOneTurnIsOneFrame(tcpHost: nil)
    }

    func testOneTurnToANeighbourIsOneSealedFrameOverTCP() throws {
        try checkOneTurnIsOneFrame(tcpHost: "127.0.0.1")
    }

    func testAFrameStopsShortOfTheCapAndGivesBackItsEnvelopesInOrder() throws {
        var batch = EnvelopeBatch(allocator: ByteBufferAllocator())
        var added: [Envelope] = []
        while true {
            let envelope = heartbeat(from: 0, to: 1, clock: UInt64(added.count + 1))
            guard batch.add(envelope) else { break }
            added.append(envelope)
        }
        let frame = batch.framed()
        let length = try XCTUnwrap(frame.getInteger(at: frame.readerIndex, as: UInt32.self))
        XCTAssertEqual(Int(length), frame.readableBytes - 4)
        XCTAssertLessThanOrEqual(Int(length) + FrameSeal.overhead, Framing.maxFrame, "sealed, the frame passes the cap")
        XCTAssertGreaterThan(Int(length) + 42, EnvelopeBatch.capacity, "the frame stopped with room for another")
        XCTAssertEqual(batch.count, added.count)
        let payload = try XCTUnwrap(frame.getSlice(at: frame.readerIndex + 4, length: Int(length)))
        XCTAssertEqual(try Framing.envelopes(from: payload), added)
    }

    private func checkOneTurnIsOneFrame(tcpHost: String?) throws {
        let (sent, frames) = try sendOneTurn(count: 100, tcpHost: tcpHost)
        XCTAssert(sent.received == Array(1...101), "envelopes lost, repeated or reordered: \(sent.received.count) arrived")
        XCTAssertEqual(frames, 1, "100 envelopes of one turn went out in \(frames) frames")
    }

    /// Opens the link with one envelope, then sends `count` more in one turn; returns what
    /// arrived and the frames that turn took.
    private func sendOneTurn(count: Int, tcpHost: String?) throws -> (Received, Int) {
        let directory = try makeRunDirectory()
        let loops = makeLoops(2)
        let received = Watched(Received())
        let sender = try TransportNode(id: 0, peerCount: 2, directory: directory, loop: loops[0], tcpHost: tcpHost)
        let receiver = try TransportNode(id: 1, peerCount: 2, directory: directory, loop: loops[1], tcpHost: tcpHost)
        defer {
            try? sender.close()
            try? receiver.close()
        }
        let address = try receiver.listen { _, envelope in received.update { $0.received.append(envelope.clock) } }
        try sender.run { $0.learn([1: address]) }
        try sender.send(to: 1, clocks: [1])
        XCTAssert(received.wait { $0.received.count == 1 }, "the link never came up")
        let before = try sender.run { $0.framesWritten }
        try sender.send(to: 1, clocks: 2...UInt64(count + 1))
        XCTAssert(received.wait { $0.received.count >= count + 1 }, "the turn's envelopes never all arrived")
        let after = try sender.run { $0.framesWritten }
        return (received.value, after - before)
    }

    struct Received {
        var received: [UInt64] = []
    }
}
