import Foundation
import MarketCore
@testable import MarketRuntime
import MarketTestKit
import NIOCore
import NIOPosix
import XCTest

/// A neighbour that keeps its socket open but never reads (a paused or wedged process): the
/// sender neither blocks nor buffers without bound. Once the connection stops taking bytes,
/// every frame to that neighbour is dropped and counted, and the other neighbours are served.
final class TransportStalledNeighbourTests: XCTestCase {
    /// What the stalled neighbour would read if it read.
    struct Stalled {
        var connections: [Channel] = []
        var hellos = 0
        /// Envelopes (a frame may carry several).
        var envelopes = 0
    }

    /// Counts the hello and the envelopes of one connection.
    final class FrameCounter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let stalled: Watched<Stalled>
        private var saidHello = false
        init(_ stalled: Watched<Stalled>) { self.stalled = stalled }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard saidHello else {
                saidHello = true
                stalled.update { $0.hellos += 1 }
                return
            }
            let count = (try? Framing.envelopes(from: unwrapInboundIn(data)).count) ?? 0
            stalled.update { $0.envelopes += count }
        }
    }

    func testFramesToANeighbourThatStoppedReadingAreDroppedAndCounted() throws {
        let directory = try makeRunDirectory()
        let loops = makeLoops(3)
        let sender = try TransportNode(id: 0, peerCount: 3, directory: directory, loop: loops[0])

        // P1 accepts connections and reads nothing until the end of the test.
        let stalled = Watched(Stalled())
        let server = try TransportNode.wait(for: ServerBootstrap(group: loops[1])
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                stalled.update { $0.connections.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(FrameCounter(stalled))
                }
            }
            .bind(unixDomainSocketPath: directory.socketPath(for: 1)))
        defer { server.close(promise: nil) }

        let served = Watched<[UInt64]>([])
        let neighbour = try TransportNode(id: 2, peerCount: 3, directory: directory, loop: loops[2])
        try neighbour.listen { _, envelope in served.update { $0.append(envelope.clock) } }

        // Send until a whole batch is dropped: the kernel's buffers and the channel's are full.
        let batch: UInt64 = 1000
        let frameSize = Framing.frame(heartbeat(from: 0, to: 1, clock: 1), allocator: ByteBufferAllocator())!.readableBytes
        let bound = (1 << 20) / frameSize  // a megabyte held for a neighbour that reads nothing is plenty
        var sent: UInt64 = 0
        var dropped = 0
        repeat {
            try sender.send(to: 1, clocks: sent + 1 ... sent + batch)
            sent += batch
            let before = dropped
            dropped = try sender.dropped
            if dropped - before == Int(batch) { break }
        } while Int(sent) - dropped <= bound
        let accepted = Int(sent) - dropped
        XCTAssertLessThanOrEqual(accepted, bound, "the sender kept \(accepted) frames for a neighbour that reads nothing")
        XCTAssertEqual(stalled.value.connections.count, 1, "the sender dialled the stalled neighbour again")

        // It stays that way however long the neighbour is stalled; the others are served.
        for _ in 0..<10 {
            try sender.send(to: 1, clocks: sent + 1 ... sent + batch)
            sent += batch
        }
        XCTAssertEqual(try sender.dropped, dropped + 10 * Int(batch), "frames to the stalled neighbour were taken again")
        try sender.send(to: 2, clocks: 1...batch)
        XCTAssert(served.wait { $0.count == Int(batch) }, "the neighbour that reads was not served")
        XCTAssertEqual(served.value, Array(1...batch))

        // Every frame was either dropped and counted, or delivered once the neighbour reads.
        for channel in stalled.value.connections {
            channel.eventLoop.execute {
                channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
            }
        }
        XCTAssert(stalled.wait { $0.hellos == 1 && $0.envelopes == accepted }, "frames neither dropped nor delivered")
        print("\(sent) frames to the stalled neighbour: \(accepted) taken (\(accepted * frameSize) bytes), "
              + "\(try sender.dropped) dropped")
        try sender.close()
        try neighbour.close()
    }
}
