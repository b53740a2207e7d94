import Crypto
import Foundation

/// How a connection proves which peer dialled it. The supervisor draws a fresh 128-bit
/// secret for every run and leaves it in the run's private directory (mode 0700, the file
/// 0600); a peer that dials opens the connection with a hello frame carrying its id and
/// SipHash-2-4 of that id under the secret. The listening peer believes no frame before a
/// valid hello, and afterwards only envelopes whose `from` is the proven id.
///
/// That hello is for Unix sockets. Over TCP, where others can watch and replay, a link opens
/// with a challenge each way and every frame is sealed under a key of that connection
/// (`LinkHandshake`, `FrameSeal`), with the same secret.
///
/// What this guards against is a buggy or stray local process — one that does not know the
/// run's secret — not a hostile one running as the same user (that one could read the
/// secret, or trace the peers). A key rather than the kernel's SO_PEERCRED also serves the
/// day peers run on several hosts.
struct PeerProof: Hashable, Sendable {
    let key: (UInt64, UInt64)

    static func == (lhs: PeerProof, rhs: PeerProof) -> Bool { lhs.key == rhs.key }
    func hash(into hasher: inout Hasher) {
        hasher.combine(key.0)
        hasher.combine(key.1)
    }

    init(key: (UInt64, UInt64)) {
        self.key = key
    }

    /// A fresh secret from the system's random source.
    static func random() -> PeerProof {
        var generator = SystemRandomNumberGenerator()
        return PeerProof(key: (generator.next(), generator.next()))
    }

    /// The secret as 32 hex digits, as it is kept on disk.
    var text: String { hex(key.0) + hex(key.1) }

    init?(text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count == 32, let high = UInt64(trimmed.prefix(16), radix: 16),
              let low = UInt64(trimmed.suffix(16), radix: 16) else { return nil }
        key = (high, low)
    }

    /// The secret as an HMAC key (its 16 bytes, big-endian).
    var symmetricKey: SymmetricKey {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: key.0.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: key.1.bigEndian) { bytes += $0 }
        return SymmetricKey(data: bytes)
    }

    /// What peer `id` shows in its hello.
    func token(for id: Int) -> UInt64 {
        SipHash24.hash(UInt64(bitPattern: Int64(id)), key: key)
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// SipHash-2-4 of one 64-bit word (Aumasson and Bernstein): a keyed hash made to authenticate
/// short inputs.
enum SipHash24 {
    static func hash(_ word: UInt64, key: (UInt64, UInt64)) -> UInt64 {
        var v0: UInt64 = 0x736f6d6570736575 ^ key.0
        var v1: UInt64 = 0x646f72616e646f6d ^ key.1
        var v2: UInt64 = 0x6c7967656e657261 ^ key.0
        var v3: UInt64 = 0x7465646279746573 ^ key.1
        func round() {
            v0 &+= v1; v1 = v1.rotatedLeft(13); v1 ^= v0; v0 = v0.rotatedLeft(32)
            v2 &+= v3; v3 = v3.rotatedLeft(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotatedLeft(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotatedLeft(17); v1 ^= v2; v2 = v2.rotatedLeft(32)
        }
        // One 8-byte block, then the final block holding only the length (8) in its top byte.
        for block in [word, UInt64(8) << 56] {
            v3 ^= block
            round(); round()
            v0 ^= block
        }
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

private extension UInt64 {
    func rotatedLeft(_ count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
