import MarketCore
@testable import MarketRuntime
import NIOCore
import XCTest

/// Every message survives the wire's binary form unchanged; a frame that does not parse to
/// its last byte is refused.
final class WireCodecTests: XCTestCase {
    let trade = Trade(tradeID: 41, seller: 3, trader: 5, epoch: 2, product: .fish, quantity: 1, priceCents: 100,
                      commissionCents: 10)
    let id = RequestID(buyer: 2, seq: 17)

    var everyMessage: [Message] {
        [
            .election, .ok, .coordinator(epoch: 7), .resign(epoch: 8), .heartbeat(epoch: 3, leader: 4),
            .heartbeat(epoch: 0, leader: nil),
            .buy(BuyRequest(id: id, product: .boar, quantity: 1, lamport: 99), firstAttempt: true),
            .buy(BuyRequest(id: id, product: .salt, quantity: 2, lamport: .max), firstAttempt: false),
            .ack(id), .doneBuying, .queued(id), .restamp(id), .buyResult(id, .bought(trade)),
            .buyResult(id, .failed(.noSeller)),
            .deposit(Deposit(id: Deposit.makeID(seller: 3, seq: 2), seller: 3, product: .fish, quantity: -5)),
            .depositAccepted(depositID: 3_000_002), .payout(id, trade), .delivered([]),
            .delivered([id, RequestID(buyer: 0, seq: 1)]),
        ]
    }

    func payload(_ envelope: Envelope) -> ByteBuffer {
        var frame = Framing.frame(envelope, allocator: ByteBufferAllocator())!
        XCTAssertEqual(frame.readInteger(as: UInt32.self).map(Int.init), frame.readableBytes, "the length prefix")
        return frame
    }

    func test_everyMessage_roundTrips() throws {
        for (index, message) in everyMessage.enumerated() {
            let envelope = Envelope(from: index, to: 63, clock: UInt64(index) << 40, message: message)
            XCTAssertEqual(try Framing.envelope(from: payload(envelope)), envelope)
        }
    }

    func test_aCutFrame_anUnknownTag_orBytesLeftOver_areRefused() {
        for message in everyMessage {
            let whole = payload(Envelope(from: 1, to: 2, clock: 3, message: message))
            for length in 0..<whole.readableBytes {
                XCTAssertThrowsError(try Framing.envelope(from: whole.getSlice(at: whole.readerIndex, length: length)!),
                                     "\(message) cut to \(length) bytes")
            }
            var longer = whole
            longer.writeInteger(UInt8(0))
            XCTAssertThrowsError(try Framing.envelope(from: longer), "\(message) with a byte more")
        }
        var unknown = ByteBufferAllocator().buffer(capacity: 32)
        unknown.writeInteger(Int64(1))
        unknown.writeInteger(Int64(2))
        unknown.writeInteger(UInt64(3))
        unknown.writeInteger(UInt8(200))
        XCTAssertThrowsError(try Framing.envelope(from: unknown))
    }

    func test_aCountLargerThanTheFrame_isRefusedBeforeAnyAllocation() {
        var frame = payload(Envelope(from: 1, to: 2, clock: 3, message: .delivered([])))
        frame.moveWriterIndex(to: frame.writerIndex - 4)
        frame.writeInteger(UInt32.max)
        XCTAssertThrowsError(try Framing.envelope(from: frame))
    }
}
