#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a peer on the supervisor's own host listens in a run whose other peers are on other
/// hosts (`local` in `--hosts`): an address those hosts can dial back. Not 127.0.0.1 (no other
/// host reaches it) nor what this machine's name resolves to (often 127.0.1.1 on Debian): the
/// source address the kernel would use toward the first remote host, the one its route there
/// leaves from. That host's address is the one ssh reached it by (the server side of its
/// `SSH_CONNECTION`), since a destination may be an ssh config alias only ssh can resolve.
enum OutwardAddress {
    static func toward(host: String, ssh: SSHCommand) throws -> String {
        let argv = ssh.argv(destination: host, remote: ["sh", "-c", "echo $SSH_CONNECTION"])
        let run = try FinishedProcess.run(argv, executable: ssh.executable, deadline: RemoteHostCheck.deadline)
        let words = run.output.split(whereSeparator: \.isWhitespace)
        guard !run.timedOut, run.status == .exited(0), words.count == 4 else {
            throw RuntimeError("cannot find this machine's address toward \(host): its SSH_CONNECTION was '\(run.output.trimmingCharacters(in: .whitespacesAndNewlines))' (\(run.status))")
        }
        return try sourceAddress(toward: String(words[2]))
    }

    /// getsockname of a UDP socket connected to `address`: connecting a datagram socket sends
    /// nothing, it only fixes the route, and with it the local address.
    static func sourceAddress(toward address: String) throws -> String {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, "9", &hints, &found) == 0, let found else {
            throw RuntimeError("cannot find this machine's address toward \(address): not a numeric address")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(found.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, found.pointee.ai_addr, found.pointee.ai_addrlen) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard named else {
            throw RuntimeError("cannot find this machine's address toward \(address): \(String(cString: strerror(errno)))")
        }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard status == 0 else { throw RuntimeError("cannot find this machine's address toward \(address)") }
        return String(cString: text)
    }
}
