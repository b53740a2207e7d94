#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

/// The far end of the sealed TCP round trip between hosts (`market sealed-echo`, started on a
/// host over ssh by the bench's hosts plan). The key comes on standard input, as a remote
/// peer's secret does, never on a command line; it listens where the ssh session arrived (the
/// address the bench reached this host by), says where on standard output, echoes one
/// connection's sealed frames, and exits when that connection ends.
public enum SealedEchoServer {
    /// The key as the one line the bench writes: `key <hex>`.
    static func keyLine(_ key: SymmetricKey) -> String {
        "key " + key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } + "\n"
    }

    static func key(fromLine line: String) -> SymmetricKey? {
        guard line.hasPrefix("key ") else { return nil }
        let hex = Array(line.dropFirst(4).utf8)
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: hex.count, by: 2) {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return SymmetricKey(data: bytes)
    }

    /// Reads the key, listens, prints `listening <address> <port>`, echoes one connection.
    public static func serve(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let connection = environment["SSH_CONNECTION"], connection.split(separator: " ").count == 4 else {
            throw BenchError.system("sealed-echo: no SSH_CONNECTION here; it is started by market bench over ssh")
        }
        let address = String(connection.split(separator: " ")[2])
        guard let line = readLine(strippingNewline: true), let key = key(fromLine: line) else {
            throw BenchError.system("sealed-echo: expected the key line first on standard input")
        }
        let (listener, port) = try SocketPair.listening(on: address)
        guard Floors.writeFully(1, Array("listening \(address) \(port)\n".utf8)) else {
            throw BenchError.system("sealed-echo: cannot say where it listens")
        }
        let far = accept(listener, nil, nil)
        close(listener)
        guard far >= 0 else { throw BenchError.system("sealed-echo: accept failed: \(String(cString: strerror(errno)))") }
        SocketPair.noDelay(far)
        Floors.sealedEcho(far, key: key)
    }
}

/// TCP sockets by numeric address, IPv4 or IPv6, Nagle off: what the floors between hosts use.
enum SocketPair {
    static func listening(on host: String) throws -> (Int32, Int) {
        let address = try resolve(host, port: 0)
        defer { freeaddrinfo(address) }
        let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError.system("socket: \(String(cString: strerror(errno)))") }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let listening = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bound in
                bind(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 && listen(fd, 1) == 0
                    && getsockname(fd, bound, &length) == 0
            }
        }
        guard listening else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw BenchError.system("cannot listen on \(host): \(why)")
        }
        let port = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, port)
    }

    static func connected(to host: String, port: Int) throws -> Int32 {
        let address = try resolve(host, port: port)
        defer { freeaddrinfo(address) }
        let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError.system("socket: \(String(cString: strerror(errno)))") }
        guard connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw BenchError.system("cannot connect to \(host) port \(port): \(why)")
        }
        noDelay(fd)
        return fd
    }

    static func noDelay(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    private static func resolve(_ host: String, port: Int) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let result else {
            throw BenchError.system("'\(host)' is not a numeric address: \(String(cString: gai_strerror(status)))")
        }
        return result
    }
}
