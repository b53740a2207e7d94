#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A short command the supervisor runs to its end (an `ssh` that checks a host, or that
/// signals a remote peer): its exit status and what it wrote, killed at a deadline. Started
/// with posix_spawn and reaped by its own PID, so it never collects a peer's exit.
struct FinishedProcess: Sendable {
    var status: ExitStatus
    var output: String
    var errors: String
    var timedOut: Bool

    static func run(_ argv: [String], executable: String? = nil, deadline seconds: Double) throws -> FinishedProcess {
        var toChild: [Int32] = [-1, -1]
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { throw RuntimeError("pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            for fd in toChild + out + err where fd >= 0 { close(fd) }
            throw RuntimeError("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in toChild + out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let path = executable ?? argv[0]
        let cArguments = argv.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = ChildSpawnAttributes.with { attributes in
            (cArguments + [nil]).withUnsafeBufferPointer { buffer in
                posix_spawn(&pid, path, &actions, &attributes, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
            }
        }
        close(toChild[0]); close(out[1]); close(err[1])
        close(toChild[1])
        guard result == 0 else {
            close(out[0]); close(err[0])
            throw RuntimeError("cannot start \(path): \(String(cString: strerror(result)))")
        }
        let output = Collected()
        let errors = Collected()
        let readers = DispatchGroup()
        for (fd, sink) in [(out[0], output), (err[0], errors)] {
            DispatchQueue.global().async(group: readers) {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = read(fd, &buffer, buffer.count)
                    if count > 0 { sink.append(buffer[0..<count]) } else if count == 0 || errno != EINTR { break }
                }
                close(fd)
            }
        }
        // The readers end when the command and whatever inherited its pipes are gone; the
        // deadline kills the command's whole group.
        let timedOut = readers.wait(timeout: .now() + seconds) == .timedOut
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            readers.wait()
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return FinishedProcess(status: ExitStatus(raw: raw), output: output.text, errors: errors.text, timedOut: timedOut)
    }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []

    func append(_ bytes: ArraySlice<UInt8>) { lock.withLock { data.append(contentsOf: bytes) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
