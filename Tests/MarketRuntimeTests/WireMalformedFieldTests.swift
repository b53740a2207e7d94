import MarketCore
@testable import MarketRuntime
import NIOCore
import XCTest

/// A frame whose every byte is there but one field holds a value no message has is refused,
/// naming the field.
final class WireMalformedFieldTests: XCTestCase {
    func payload(_ message: Message) -> [UInt8] {
        var frame = Framing.frame(Envelope(from: 1, to: 2, clock: 3, message: message), allocator: ByteBufferAllocator())!
        frame.moveReaderIndex(forwardBy: 4)
        return frame.readBytes(length: frame.readableBytes)!
    }

    func failure(_ bytes: [UInt8]) -> String? {
        do {
            _ = try Framing.envelope(from: ByteBuffer(bytes: bytes))
            return nil
        } catch {
            return error.description
        }
    }

    /// The one byte where two encodings differ: where the field under test lives.
    func offset(_ a: [UInt8], _ b: [UInt8]) throws -> Int {
        XCTAssertEqual(a.count, b.count)
        let differing = a.indices.filter { a[$0] != b[$0] }
        XCTAssertEqual(differing.count, 1)
        return try XCTUnwrap(differing.first)
    }

    func testAProductIndexPastTheProductsIsRefused() throws {
        let salt = payload(.deposit(Deposit(id: 7, seller: 1, product: .salt, quantity: 3)))
        let fish = payload(.deposit(Deposit(id: 7, seller: 1, product: .fish, quantity: 3)))
        var bad = salt
        bad[try offset(salt, fish)] = UInt8(Product.allCases.count)
        XCTAssertNil(failure(salt))
        XCTAssertEqual(failure(bad), "undecodable frame: product \(Product.allCases.count)")
    }

    func testAFlagByteOtherThanZeroOrOneIsRefused() throws {
        let with = payload(.heartbeat(epoch: 3, leader: 0))
        let without = payload(.heartbeat(epoch: 3, leader: nil))
        XCTAssertEqual(with.count, without.count + 8, "the leader follows its flag")
        let flag = try offset(Array(with.prefix(without.count)), without)
        for byte: UInt8 in [2, 0xFF] {
            var bad = without
            bad[flag] = byte
            XCTAssertEqual(failure(bad), "undecodable frame: flag byte \(byte)")
        }
    }
}
