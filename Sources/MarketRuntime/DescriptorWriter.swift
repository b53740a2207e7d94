#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to a file descriptor with `write(2)`, and drops what cannot be written.
///
/// What the program says to the user's terminal or pipe is never worth dying for: a reader
/// that went away (`… | head -1`: EPIPE, SIGPIPE being ignored) or a full disk must not stop
/// a run before it records its end. Foundation's `FileHandle.write(_: Data)` traps on such an
/// error, so every write to stdout, stderr and the peers' logs goes through here instead.
public struct DescriptorWriter: Sendable {
    public let fd: Int32

    public init(fd: Int32) {
        self.fd = fd
    }

    public static let standardOutput = DescriptorWriter(fd: 1)
    public static let standardError = DescriptorWriter(fd: 2)

    /// Writes all of `text` (retrying interrupted and partial writes), or as much as the
    /// descriptor takes before it fails; returns whether all of it went.
    @discardableResult
    public func write(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return true }
            var offset = 0
            while offset < bytes.count {
                let n = sysWrite(fd, base + offset, bytes.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    // A descriptor someone else made non-blocking: wait as a blocking one would.
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&ready, 1, -1) < 0 && errno != EINTR { return false }
                } else {
                    return false  // EPIPE, EIO, ENOSPC, a closed descriptor: dropped
                }
            }
            return true
        }
    }

    /// `text` and a newline, in one write where it fits (lines of several processes share stderr).
    @discardableResult
    public func writeLine(_ text: String) -> Bool {
        write(text + "\n")
    }
}

private func sysWrite(_ fd: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, bytes, count)
    #else
    Darwin.write(fd, bytes, count)
    #endif
}
