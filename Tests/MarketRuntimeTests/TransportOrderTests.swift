import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import XCTest

/// Frames to a neighbour arrive in the order sent, also when the neighbour's process is
/// replaced in the middle of a stream: what is lost is only what was sent while it was down
/// (one run of frames, none after it is heard from again), and nothing comes twice or out of order.
final class TransportOrderTests: XCTestCase {
    /// Where the stream stood when a frame was sent, as the sender saw it.
    enum Phase: Sendable, Equatable {
        /// Before the receiver started closing.
        case up
        /// From the receiver's close until its successor was heard from.
        case down
        /// The sender heard from the restarted receiver: it dials at once, nothing may drop.
        case heard
    }

    struct Stream {
        var phase = Phase.up
        /// The phase each frame was sent in; frame `n` carries clock `n + 1`.
        var sent: [Phase] = []
        var received: [UInt64] = []
        var senderHeardGone = false

        func sentCount(in phase: Phase) -> Int { sent.count { $0 == phase } }
        func receivedCount(in phase: Phase) -> Int { received.count { sent[Int($0) - 1] == phase } }
    }

    func testFramesArriveInOrderAcrossARestartOfTheReceiver() throws {
        let directory = try makeRunDirectory()
        let loops = makeLoops(3)
        let stream = Watched(Stream())
        let sender = try TransportNode(id: 0, peerCount: 2, directory: directory, loop: loops[0])
        let first = try TransportNode(id: 1, peerCount: 2, directory: directory, loop: loops[1])
        let receive: @Sendable (Transport, Envelope) -> Void = { _, envelope in
            stream.update { $0.received.append(envelope.clock) }
        }
        try first.listen(receive)
        // The sender hears the restarted receiver as the peer's shell would: it clears the
        // wait after failed dials at once.
        try sender.listen { transport, envelope in
            transport.heard(from: envelope.from)
            stream.update { $0.phase = .heard }
        }
        try sender.onGone { peer in if peer == 1 { stream.update { $0.senderHeardGone = true } } }

        // Ten frames a millisecond, each stamped with its number, for as long as the test runs.
        let ticks = loops[0].scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in
            let clocks = stream.update { stream in
                (0..<10).map { _ in
                    stream.sent.append(stream.phase)
                    return UInt64(stream.sent.count)
                }
            }
            for clock in clocks { sender.onLoop.send(heartbeat(from: 0, to: 1, clock: clock)) }
            sender.onLoop.flush()
        }
        defer { ticks.cancel() }

        XCTAssert(stream.wait { $0.received.count >= 200 }, "the stream never got going")
        stream.update { $0.phase = .down }
        try first.close()
        XCTAssert(stream.wait { $0.senderHeardGone && $0.sentCount(in: .down) >= 100 },
                  "the sender never saw the receiver go, or sent nothing while it was down")

        let second = try TransportNode(id: 1, peerCount: 2, directory: directory, loop: loops[2])
        try second.listen(receive)
        try second.send(to: 0, clocks: [1])
        XCTAssert(stream.wait { $0.receivedCount(in: .heard) >= 200 }, "the stream never reached the restarted receiver")

        let stopped = loops[0].makePromise(of: Void.self)
        ticks.cancel(promise: stopped)
        try TransportNode.wait(for: stopped.futureResult)
        let sentCount = stream.value.sent.count
        XCTAssert(stream.wait { $0.received.last == UInt64(sentCount) }, "the last frame sent never arrived")

        let seen = stream.value
        XCTAssertEqual(seen.received, seen.received.sorted(), "frames arrived out of order")
        XCTAssertEqual(Set(seen.received).count, seen.received.count, "a frame arrived twice")
        let missing = Set(1...UInt64(seen.sent.count)).subtracting(seen.received).sorted()
        if let low = missing.first, let high = missing.last {
            XCTAssertEqual(missing.count, Int(high - low) + 1, "frames were lost apart from the one outage: \(missing)")
            XCTAssertEqual(seen.sent[Int(low) - 1 ..< Int(high)].filter { $0 == .heard }.count, 0,
                           "frames sent after the receiver was heard from again were lost")
        }
        let dropped = try sender.dropped
        XCTAssertGreaterThan(dropped, 0, "nothing sent while the receiver was down was counted as dropped")
        XCTAssertLessThanOrEqual(dropped, missing.count, "frames that arrived were counted as dropped")
        print("sent \(seen.sent.count) frames (\(seen.sentCount(in: .down)) while the receiver was down), "
              + "lost \(missing.count), of which \(dropped) counted as dropped")
        try second.close()
        try sender.close()
    }
}
