#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A peer process started with `posix_spawn`: its stdin and stdout are pipes to the
/// supervisor, its stderr is the supervisor's own. Every descriptor the supervisor makes is
/// close-on-exec, so no peer holds another peer's pipe (a peer sees end-of-file on stdin as
/// soon as the supervisor is gone). Peers get their own process group: Ctrl-C on the
/// terminal reaches the supervisor only, which then stops them in order.
struct ChildProcess {
    let pid: pid_t
    /// The supervisor's end of the peer's stdin.
    let stdinWrite: Int32
    /// The supervisor's end of the peer's stdout.
    let stdoutRead: Int32

    static func spawn(executable: String, arguments: [String]) throws -> ChildProcess {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard makePipe(&toChild) else { throw RuntimeError("pipe: \(String(cString: strerror(errno)))") }
        guard makePipe(&fromChild) else {
            close(toChild[0]); close(toChild[1])
            throw RuntimeError("pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)


        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = ChildSpawnAttributes.with { attributes in
            (argv + [nil]).withUnsafeBufferPointer { buffer in
                posix_spawn(&pid, executable, &actions, &attributes,
                            UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
            }
        }
        close(toChild[0])
        close(fromChild[1])
        guard result == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw RuntimeError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid, stdinWrite: toChild[1], stdoutRead: fromChild[0])
    }

    /// A close-on-exec pipe (only the supervisor's loop thread starts processes).
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }
}

/// How a reaped process ended.
enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(raw status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signalled(status & 0x7f)
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signalled(let signal): "signal \(signal)"
        }
    }
}
