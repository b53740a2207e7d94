import MarketCore
import NIOCore

/// Envelopes to one neighbour gathered into one frame: `WireCodec`'s forms one after
/// another behind the length prefix (each form says where it ends). The payload stays
/// within the frame cap once sealed, so a sealed link never writes a frame its receiver refuses.
struct EnvelopeBatch {
    static let capacity = Framing.maxFrame - FrameSeal.overhead

    private var buffer: ByteBuffer
    /// Envelopes in the frame.
    private(set) var count = 0

    init(allocator: ByteBufferAllocator) {
        buffer = allocator.buffer(capacity: 256)
        buffer.writeInteger(UInt32(0))
    }

    /// Adds `envelope`, or returns false and leaves the frame as it was when it would not fit.
    mutating func add(_ envelope: Envelope) -> Bool {
        let end = buffer.writerIndex
        WireCodec.write(envelope, into: &buffer)
        guard buffer.readableBytes - 4 <= Self.capacity else {
            buffer.moveWriterIndex(to: end)
            return false
        }
        count += 1
        return true
    }

    /// The frame: its length prefix, then the envelopes in the order added.
    func framed() -> ByteBuffer {
        var frame = buffer
        frame.setInteger(UInt32(frame.readableBytes - 4), at: frame.readerIndex, endianness: .big)
        return frame
    }
}
