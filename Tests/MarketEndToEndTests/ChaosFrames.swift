import Foundation
import MarketCore
@testable import MarketRuntime
import NIOCore
import XCTest

/// The bad frames the chaos test sends: garbage, oversized, unproven, and forged under the
/// run's own secret.
extension EndToEndTests {
    /// Opens a connection to a peer's socket and writes `bytes`; false if it was refused.
    @discardableResult
    func write(_ bytes: [UInt8], toSocket socketPath: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let path = Array(socketPath.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: path)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return false }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    func framed(_ payload: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { Array($0) } + payload
    }

    /// Garbage, a frame over the cap, a frame before any hello, a hello under the wrong secret.
    func sendMalformedFrames(to peer: PeerID, in directory: RunDirectory, random: inout SplitMix64) -> Int {
        let socket = directory.socketPath(for: peer)
        let envelope = Framing.frame(Envelope(from: 0, to: peer, clock: 1, message: .election),
                                     allocator: ByteBufferAllocator())!.readableBytesView.dropFirst(4)
        let wrongHello = Array(Framing.hello(from: 0, proof: PeerProof.random()).readableBytesView)
        let frames: [[UInt8]] = [
            (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) },
            withUnsafeBytes(of: UInt32(1 << 30).bigEndian) { Array($0) },
            framed(Array(envelope)),
            wrongHello + framed(Array(envelope)),
            framed(Array("{\"hello\":".utf8)),
        ]
        return frames.filter { write($0, toSocket: socket) }.count
    }

    /// Frames under the run's own secret that no honest peer could send: in another peer's
    /// name, from a stranger, with impossible numbers or a clock at its top.
    func forgeFrames(to peer: PeerID, in directory: RunDirectory, peers: Int, random: inout SplitMix64) -> Int {
        guard let proof = directory.proof() else { return 0 }
        let me = (peer + 1 + Int(random.next() % UInt64(peers - 1))) % peers
        let other = (me + 1) % peers == peer ? (me + 2) % peers : (me + 1) % peers
        let messages: [Envelope] = [
            Envelope(from: other, to: peer, clock: 5, message: .election),
            Envelope(from: me, to: peer, clock: .max, message: .election),
            Envelope(from: me, to: peer, clock: 9, message: .coordinator(epoch: 1_000_000_000_000)),
            Envelope(from: me, to: peer, clock: 9, message: .buy(BuyRequest(
                id: RequestID(buyer: other, seq: 1_000), product: .salt, quantity: 5000, lamport: 1))),
            Envelope(from: me, to: peer, clock: 9, message: .deposit(Deposit(
                id: Deposit.makeID(seller: 999, seq: 0), seller: 999, product: .salt, quantity: 1 << 62))),
            Envelope(from: me, to: peer, clock: 9, message: .deposit(Deposit(
                id: Deposit.makeID(seller: me, seq: 77), seller: me, product: .salt, quantity: -500))),
            Envelope(from: me, to: peer, clock: 9, message: .heartbeat(epoch: 3, leader: 999)),
            // Well-formed words on who trades that the store never granted.
            Envelope(from: me, to: peer, clock: 9, message: .coordinator(epoch: 5_000)),
            Envelope(from: me, to: peer, clock: 9, message: .heartbeat(epoch: 6_000, leader: me)),
        ]
        var bytes = Array(Framing.hello(from: me, proof: proof).readableBytesView)
        for message in messages {
            bytes += Array(Framing.frame(message, allocator: ByteBufferAllocator())!.readableBytesView)
        }
        return write(bytes, toSocket: directory.socketPath(for: peer)) ? messages.count : 0
    }
}
