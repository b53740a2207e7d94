import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import XCTest

/// The nemesis in the links layer (`LinkShaper`): latency keeps each link's order, loss is a
/// retransmission's delay (each frame arrives once, in order), and a cut loses the frames on
/// the links it names, in the direction it names, until the heal.
final class TransportNemesisTests: XCTestCase {
    private struct Received: Sendable {
        var clocks: [PeerID: [UInt64]] = [:]
    }

    private func pair(tcp: Bool) throws -> (TransportNode, TransportNode, Watched<Received>) {
        let directory = try makeRunDirectory()
        let loops = makeLoops(2)
        let host = tcp ? "127.0.0.1" : nil
        let a = try TransportNode(id: 0, peerCount: 2, directory: directory, loop: loops[0], tcpHost: host)
        let b = try TransportNode(id: 1, peerCount: 2, directory: directory, loop: loops[1], tcpHost: host)
        let received = Watched(Received())
        let record: @Sendable (Transport, Envelope) -> Void = { _, envelope in
            received.update { $0.clocks[envelope.from, default: []].append(envelope.clock) }
        }
        let addressA = try a.listen(record)
        let addressB = try b.listen(record)
        if tcp {
            try a.run { $0.learn([1: addressB]) }
            try b.run { $0.learn([0: addressA]) }
        }
        addTeardownBlock {
            try? a.close()
            try? b.close()
        }
        return (a, b, received)
    }

    private func assertInOrderExactlyOnce(tcp: Bool) throws {
        let (a, _, received) = try pair(tcp: tcp)
        let conditions = LinkConditions(latency: .milliseconds(2), distribution: .exponential, loss: 0.3)
        try a.run { $0.shape(conditions, seed: 42) }
        // In bursts, so that frames sent together draw delays that would overtake each other.
        for burst in 0..<20 {
            try a.send(to: 1, clocks: UInt64(burst * 25 + 1)...UInt64(burst * 25 + 25))
        }
        XCTAssert(received.wait(seconds: 30) { $0.clocks[0]?.count ?? 0 >= 500 }, "not every frame arrived")
        // Anything more would have arrived by now: nothing is still held.
        XCTAssert(try a.run { $0.shaper?.isIdle ?? false })
        XCTAssertEqual(received.value.clocks[0], Array(1...500), "each frame once, in the order sent")
        XCTAssertGreaterThan(try a.run { $0.shaper?.retransmitted ?? 0 }, 50, "a loss of 0.3 sent no frame again")
    }

    func testLatencyAndLossKeepEachLinkInOrderExactlyOnceOverUnixSockets() throws {
        try assertInOrderExactlyOnce(tcp: false)
    }

    func testLatencyAndLossKeepEachLinkInOrderExactlyOnceOverTCP() throws {
        try assertInOrderExactlyOnce(tcp: true)
    }

    func testAOneWayCutLosesOnlyItsDirectionUntilTheHeal() throws {
        let (a, b, received) = try pair(tcp: false)
        let cut: Set<DirectedLink> = [DirectedLink(0, 1)]
        try a.run { $0.cut(cut) }
        try b.run { $0.cut(cut) }
        try a.send(to: 1, clocks: 1...10)
        try b.send(to: 0, clocks: 1...10)
        XCTAssert(received.wait(seconds: 30) { $0.clocks[1]?.count == 10 }, "the direction left up lost frames")
        XCTAssertEqual(try a.run { $0.shaper?.droppedByCut }, 10)
        XCTAssertEqual(try b.run { $0.shaper?.droppedByCut }, 0)
        XCTAssertNil(received.value.clocks[0], "a frame crossed the cut")
        XCTAssertEqual(try a.dropped, 0, "a cut is not a neighbour that is down")

        try a.run { $0.cut([]) }
        try a.send(to: 1, clocks: 11...15)
        XCTAssert(received.wait(seconds: 30) { $0.clocks[0]?.count == 5 }, "the healed link stayed cut")
        XCTAssertEqual(received.value.clocks[0], Array(11...15))
    }
}
