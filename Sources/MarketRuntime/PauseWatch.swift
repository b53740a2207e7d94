#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What sees a peer over SSH stopped from outside (SIGSTOP on its host) and continued: the
/// supervisor cannot `waitpid` a process on another host, and a stopped process sees nothing,
/// its threads included. So the peer starts this small process beside it on its host (`market
/// pause-watch`), which reads the peer's state in `/proc` every 20 ms and writes `paused` and
/// `continued` on the peer's own standard output, the ssh session, where the supervisor reads
/// them as it reads the peer's reports (a line that short is written whole). It ends with the
/// peer, or with the session.
public enum PauseWatch {
    static let every: useconds_t = 20_000

    /// Starts the watch of this process; where there is no `/proc` (not Linux) there is none.
    static func start(executable: String) {
        let pid = getpid()
        guard FileManager.default.fileExists(atPath: "/proc/\(pid)/stat") else { return }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The session, as a descriptor the child surely inherits whatever flags fd 1 carries here.
        let session = dup(1)
        guard session >= 0 else { return }
        defer { close(session) }
        posix_spawn_file_actions_adddup2(&actions, session, 1)
        let words: [String] = [executable, "pause-watch", "--pid", String(pid)]
        let argv = words.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        _ = ChildSpawnAttributes.with { attributes in
            (argv + [nil]).withUnsafeBufferPointer { buffer in
                posix_spawn(&child, executable, &actions, &attributes, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
            }
        }
    }

    /// The watch itself: until `pid` is gone, or the session cannot be written to.
    public static func run(pid: Int32) {
        signal(SIGPIPE, SIG_IGN)
        var paused = false
        while let state = state(of: pid), state != "Z", state != "X" {
            let stopped = state == "T" || state == "t"
            if stopped != paused {
                paused = stopped
                guard say(stopped ? "paused\n" : "continued\n") else { return }
            }
            usleep(every)
        }
    }

    /// The session's pipe may be non-blocking (the peer's event loop set it so): a full pipe
    /// is waited out, anything else ends the watch.
    private static func say(_ text: String) -> Bool {
        let line = Array(text.utf8)
        while true {
            let written = write(1, line, line.count)
            if written == line.count { return true }
            guard written < 0, errno == EAGAIN || errno == EINTR else { return false }
            usleep(every)
        }
    }

    /// The state letter of `/proc/PID/stat` (after the command's closing parenthesis).
    static func state(of pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].first { !$0.isWhitespace }
    }
}
