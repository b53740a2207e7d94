import Crypto
import Foundation
import MarketCore
import NIOCore

/// How two peers open an authenticated link (over TCP, see `PeerAddress.isAuthenticated`).
/// A fixed hello would prove nothing to a listener once someone on the network has seen it,
/// so each side brings a fresh nonce and proves it knows the run's secret for both:
///
///     dialler  → listener   hello      [1][dialler id: 8][dialler nonce: 16]
///     listener → dialler    challenge  [2][listener id: 8][listener nonce: 16][listener proof: 32]
///     dialler  → listener   answer     [3][dialler proof: 32]
///
/// each in a frame of its own (`Framing`'s length prefix). A proof is HMAC-SHA256 under the
/// run's secret of a label, both ids and both nonces; the session key is the same with
/// another label, so it is new on every connection. After the answer, every frame the
/// dialler sends is sealed (`FrameSeal`). A recorded handshake is worth nothing: the other
/// side's nonce is new, and the recorded proof is for the old one.
enum LinkHandshake {
    static let nonceSize = 16
    static let proofSize = 32

    private enum Kind: UInt8 {
        case hello = 1, challenge = 2, answer = 3
    }

    /// What both proofs and the session key are bound to.
    struct Binding: Sendable {
        var dialler: PeerID
        var listener: PeerID
        var diallerNonce: [UInt8]
        var listenerNonce: [UInt8]

        private func mac(_ label: String, under secret: PeerProof) -> [UInt8] {
            var hmac = HMAC<SHA256>(key: secret.symmetricKey)
            hmac.update(data: Array(label.utf8))
            withUnsafeBytes(of: Int64(dialler).bigEndian) { hmac.update(data: $0) }
            withUnsafeBytes(of: Int64(listener).bigEndian) { hmac.update(data: $0) }
            hmac.update(data: diallerNonce)
            hmac.update(data: listenerNonce)
            return Array(hmac.finalize())
        }

        func listenerProof(_ secret: PeerProof) -> [UInt8] { mac("market link: listener proof", under: secret) }
        func diallerProof(_ secret: PeerProof) -> [UInt8] { mac("market link: dialler proof", under: secret) }
        func sessionKey(_ secret: PeerProof) -> SymmetricKey {
            SymmetricKey(data: mac("market link: session key", under: secret))
        }
    }

    static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceSize).map { _ in generator.next() }
    }

    static func hello(from peer: PeerID, nonce: [UInt8]) -> ByteBuffer {
        framed(.hello) { buffer in
            buffer.writeInteger(Int64(peer))
            buffer.writeBytes(nonce)
        }
    }

    static func challenge(from peer: PeerID, nonce: [UInt8], proof: [UInt8]) -> ByteBuffer {
        framed(.challenge) { buffer in
            buffer.writeInteger(Int64(peer))
            buffer.writeBytes(nonce)
            buffer.writeBytes(proof)
        }
    }

    static func answer(proof: [UInt8]) -> ByteBuffer {
        framed(.answer) { $0.writeBytes(proof) }
    }

    static func readHello(_ payload: ByteBuffer) -> (peer: PeerID, nonce: [UInt8])? {
        var buffer = payload
        guard buffer.readInteger(as: UInt8.self) == Kind.hello.rawValue, let peer = buffer.readInteger(as: Int64.self),
              let nonce = buffer.readBytes(length: nonceSize), buffer.readableBytes == 0,
              let id = PeerID(exactly: peer) else { return nil }
        return (id, nonce)
    }

    static func readChallenge(_ payload: ByteBuffer) -> (peer: PeerID, nonce: [UInt8], proof: [UInt8])? {
        var buffer = payload
        guard buffer.readInteger(as: UInt8.self) == Kind.challenge.rawValue,
              let peer = buffer.readInteger(as: Int64.self), let nonce = buffer.readBytes(length: nonceSize),
              let proof = buffer.readBytes(length: proofSize), buffer.readableBytes == 0,
              let id = PeerID(exactly: peer) else { return nil }
        return (id, nonce, proof)
    }

    static func readAnswer(_ payload: ByteBuffer) -> [UInt8]? {
        var buffer = payload
        guard buffer.readInteger(as: UInt8.self) == Kind.answer.rawValue,
              let proof = buffer.readBytes(length: proofSize), buffer.readableBytes == 0 else { return nil }
        return proof
    }

    /// Equal, in a time that does not depend on where they differ.
    static func same(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }

    private static func framed(_ kind: Kind, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + 1 + 8 + nonceSize + proofSize)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(kind.rawValue)
        body(&buffer)
        buffer.setInteger(UInt32(buffer.readableBytes - 4), at: buffer.readerIndex, endianness: .big)
        return buffer
    }
}

/// One direction of an authenticated link: every frame carries its sequence number and a
/// MAC of both under the session key, so a frame made up, changed, replayed or moved is
/// told from the real ones. On the wire: `[length][sequence: 8][envelopes][tag: 16]`.
final class FrameSeal {
    static let tagSize = 16
    static let overhead = 8 + tagSize

    /// HMAC with the key taken in: each frame's tag starts from a copy, which saves hashing
    /// the key's two blocks again for every frame.
    private let keyed: HMAC<SHA256>
    /// The sequence number of the next frame sealed (by the sender) or expected (by the receiver).
    private(set) var next: UInt64 = 0

    init(key: SymmetricKey) {
        keyed = HMAC<SHA256>(key: key)
    }

    /// The framed envelope `frame` (length prefix and payload), sealed as the next frame.
    func seal(_ frame: ByteBuffer) -> ByteBuffer {
        var payload = frame
        payload.moveReaderIndex(forwardBy: 4)
        let sequence = next
        next += 1
        var sealed = ByteBufferAllocator().buffer(capacity: frame.readableBytes + Self.overhead)
        sealed.writeInteger(UInt32(payload.readableBytes + Self.overhead))
        sealed.writeInteger(sequence)
        sealed.writeImmutableBuffer(payload)
        sealed.writeBytes(tag(sequence, payload))
        return sealed
    }

    /// The envelope inside a sealed frame's payload, if it is the next frame and untouched.
    func open(_ payload: ByteBuffer) throws(Framing.Failure) -> ByteBuffer {
        guard payload.readableBytes > Self.overhead,
              let sequence = payload.getInteger(at: payload.readerIndex, as: UInt64.self),
              let envelope = payload.getSlice(at: payload.readerIndex + 8, length: payload.readableBytes - Self.overhead),
              let tag = payload.getBytes(at: payload.readerIndex + payload.readableBytes - Self.tagSize, length: Self.tagSize)
        else { throw .undecodable("a sealed frame of \(payload.readableBytes) bytes is too short") }
        guard LinkHandshake.same(tag, self.tag(sequence, envelope)) else { throw .forged }
        guard sequence == next else { throw .outOfOrder(sequence, expected: next) }
        next += 1
        return envelope
    }

    private func tag(_ sequence: UInt64, _ envelope: ByteBuffer) -> [UInt8] {
        var hmac = keyed
        withUnsafeBytes(of: sequence.bigEndian) { hmac.update(data: $0) }
        envelope.withUnsafeReadableBytes { hmac.update(data: $0) }
        return Array(hmac.finalize().prefix(Self.tagSize))
    }
}
