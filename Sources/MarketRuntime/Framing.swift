import Foundation
import MarketCore
import NIOCore

/// The wire format between peers: a 4-byte big-endian length, then that many bytes of the
/// JSON encoding of one `Envelope`. Frames larger than `maxFrame` (or empty) are refused.
public enum Framing {
    /// Size cap of one frame's payload.
    public static let maxFrame = 64 * 1024

    public enum Failure: Error, CustomStringConvertible {
        case badLength(Int)
        case undecodable(String)

        public var description: String {
            switch self {
            case .badLength(let length): "frame of \(length) bytes (cap \(Framing.maxFrame))"
            case .undecodable(let why): "undecodable frame: \(why)"
            }
        }
    }

    /// Writes one framed envelope; nil when it would exceed the cap (never for the core's messages).
    static func frame(_ envelope: Envelope, encoder: JSONEncoder, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let payload = try? encoder.encode(envelope), payload.count <= maxFrame else { return nil }
        var buffer = allocator.buffer(capacity: 4 + payload.count)
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeBytes(payload)
        return buffer
    }

    static func envelope(from payload: ByteBuffer, decoder: JSONDecoder) throws -> Envelope {
        do {
            return try decoder.decode(Envelope.self, from: Data(payload.readableBytesView))
        } catch {
            throw Failure.undecodable(String(describing: error).prefix(200).description)
        }
    }
}

/// Cuts the byte stream into length-prefixed frames; a frame over the cap is an error,
/// which closes the connection.
struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard length > 0, length <= Framing.maxFrame else { throw Framing.Failure.badLength(Int(length)) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

/// Turns frames of an inbound connection into envelopes for the peer; on garbage it logs,
/// closes this connection and lets the peer go on.
final class EnvelopeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let decoder = JSONDecoder()
    private let deliver: (Envelope) -> Void
    private let complain: (String) -> Void

    init(deliver: @escaping (Envelope) -> Void, complain: @escaping (String) -> Void) {
        self.deliver = deliver
        self.complain = complain
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        do {
            deliver(try Framing.envelope(from: payload, decoder: decoder))
        } catch {
            complain("closing an inbound connection: \(error)")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        complain("closing an inbound connection: \(error)")
        context.close(promise: nil)
    }
}
