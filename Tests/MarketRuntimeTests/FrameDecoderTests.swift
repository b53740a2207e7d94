import MarketCore
@testable import MarketRuntime
import NIOCore
import NIOEmbedded
import XCTest

/// The frame decoder on its own: frames come out whole and in order however the bytes arrive,
/// and a length past the cap closes the connection.
final class FrameDecoderTests: XCTestCase {
    func frame(_ clock: UInt64) -> ByteBuffer {
        Framing.frame(Envelope(from: 1, to: 2, clock: clock, message: .heartbeat(epoch: 3, leader: 4)),
                      allocator: ByteBufferAllocator())!
    }

    func testFramesArrivingAByteAtATimeComeOutWholeAndInOrder() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        defer { _ = try? channel.finish() }
        var stream = frame(1)
        var second = frame(2)
        stream.writeBuffer(&second)
        var decoded: [Envelope] = []
        while let byte = stream.readSlice(length: 1) {
            try channel.writeInbound(byte)
            while let payload = try channel.readInbound(as: ByteBuffer.self) {
                decoded.append(try Framing.envelope(from: payload))
                XCTAssertEqual(stream.readableBytes % frame(0).readableBytes, 0, "a frame came out before its last byte")
            }
        }
        XCTAssertEqual(decoded.map(\.clock), [1, 2])
    }

    func testALengthPastTheCapIsAnError() {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        defer { _ = try? channel.finish() }
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeInteger(UInt32(Framing.maxFrame + 1))
        XCTAssertThrowsError(try channel.writeInbound(buffer))
    }
}
