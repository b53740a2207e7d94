import Crypto
import Foundation

extension Floors {
    /// Ping-pong of a 64-byte message over TCP on 127.0.0.1 (Nagle off), echoed by a thread,
    /// each way sealed as peers seal frames over TCP: an 8-byte sequence number and a 16-byte
    /// HMAC-SHA256 tag, checked on arrival. Beside the Unix socket round trip, it is what a
    /// link between hosts costs before the network's own latency.
    public static func sealedTCPRoundTrip(iterations: Int = 20_000, repetitions: Int = 5) throws -> BenchFigure {
        let (near, far) = try loopbackPair()
        defer { close(near) }
        let key = SymmetricKey(size: .bits256)
        let echo = Thread { sealedEcho(far, key: key) }
        echo.start()
        return try sealedRoundTrip(near, key: key, name: "TCP round trip, sealed (64 B)", iterations: iterations,
                                   repetitions: repetitions, note: "floor: two peers over TCP with every frame's MAC checked")
    }

    /// Echoes every sealed frame on `fd`, sealed again, until the other end closes or sends
    /// one that fails its check; closes `fd`.
    static func sealedEcho(_ fd: Int32, key: SymmetricKey) {
        let seal = Seal(key: key)
        var buffer = [UInt8](repeating: 0, count: Seal.size)
        while readFully(fd, &buffer), seal.open(buffer) {
            let reply = seal.sealed(Array(buffer[8..<(8 + 64)]))
            guard writeFully(fd, reply) else { break }
        }
        close(fd)
    }

    /// The median round trip of a 64-byte sealed frame over `fd` to a `sealedEcho` under `key`.
    static func sealedRoundTrip(_ fd: Int32, key: SymmetricKey, name: String, iterations: Int, repetitions: Int,
                                note: String) throws -> BenchFigure {
        let seal = Seal(key: key)
        let payload = [UInt8](repeating: 7, count: 64)
        var buffer = [UInt8](repeating: 0, count: Seal.size)
        return try BenchFigure.median(name, repetitions: repetitions, operations: iterations, note: note) {
            for _ in 0..<iterations {
                guard writeFully(fd, seal.sealed(payload)), readFully(fd, &buffer) else {
                    throw BenchError.system("TCP ping-pong broke: errno \(errno)")
                }
                guard seal.open(buffer) else { throw BenchError.system("TCP ping-pong: a reply failed its MAC") }
            }
        }
    }

    /// One side's sequence numbers and key: what it sends, and what it expects next.
    final class Seal {
        static let size = 8 + 64 + 16
        private let keyed: HMAC<SHA256>
        private var sent: UInt64 = 0
        private var expected: UInt64 = 0

        init(key: SymmetricKey) {
            keyed = HMAC<SHA256>(key: key)
        }

        func sealed(_ payload: [UInt8]) -> [UInt8] {
            var frame = withUnsafeBytes(of: sent.bigEndian) { Array($0) } + payload
            sent += 1
            frame += tag(frame)
            return frame
        }

        func open(_ frame: [UInt8]) -> Bool {
            let body = Array(frame[0..<(Self.size - 16)])
            let sequence = body[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard tag(body) == Array(frame[(Self.size - 16)...]), sequence == expected else { return false }
            expected += 1
            return true
        }

        private func tag(_ body: [UInt8]) -> [UInt8] {
            var hmac = keyed
            hmac.update(data: body)
            return Array(hmac.finalize().prefix(16))
        }
    }

    /// Two ends of one TCP connection on 127.0.0.1, Nagle off on both.
    private static func loopbackPair() throws -> (Int32, Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw BenchError.system("socket failed: errno \(errno)") }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 1) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError.system("cannot listen on 127.0.0.1: errno \(errno)") }
        let near = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(near, $0, length) == 0 }
        }
        guard near >= 0, connected else { throw BenchError.system("cannot connect on 127.0.0.1: errno \(errno)") }
        let far = accept(listener, nil, nil)
        guard far >= 0 else { throw BenchError.system("accept failed: errno \(errno)") }
        var on: Int32 = 1
        for fd in [near, far] {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return (near, far)
    }
}
