import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A command run to its end: its exit status and what it wrote.
///
/// Started with posix_spawn and reaped with waitpid, not with Foundation's Process: on Linux,
/// Process.waitUntilExit was seen waiting for ever on a `runuser` child that had already exited
/// (a zombie nobody reaped).
struct CommandRun {
    var status: Int32
    var output: String
    var errors: String

    /// Runs `argv` with `input` on its standard input (none: /dev/null) in `directory`, without
    /// the caller's PG* variables (a PGPASSWORD or PGHOST of the user must not steer a test's client).
    static func run(_ argv: [String], input: String? = nil, directory: String? = nil) throws -> CommandRun {
        let stdin = try ClosingPipe()
        let stdout = try ClosingPipe()
        let stderr = try ClosingPipe()
        let pid = try spawn(argv, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write, directory: directory)
        stdin.closeRead()
        stdout.closeWrite()
        stderr.closeWrite()
        // Every pipe is served while the command runs, so a full one cannot stall it.
        let readers = DispatchGroup()
        let errBox = DataBox()
        DispatchQueue.global().async(group: readers) { errBox.data = stderr.readAll() }
        let writer = stdin.takeWrite()
        DispatchQueue.global().async(group: readers) {
            let handle = FileHandle(fileDescriptor: writer, closeOnDealloc: true)
            if let input { try? handle.write(contentsOf: Data(input.utf8)) }
            try? handle.close()
        }
        let outData = stdout.readAll()
        let status = wait(for: pid)
        readers.wait()
        return CommandRun(status: status, output: String(decoding: outData, as: UTF8.self),
                          errors: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Starts `argv` with the given descriptors as its standard ones (in `directory`, through
    /// `sh` since posix_spawn has no portable chdir); returns its PID.
    static func spawn(_ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32, directory: String? = nil) throws -> pid_t {
        let command = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + argv } ?? argv
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of ours: a server counts every descriptor it inherits against its own
        // `max_files_per_process`, and refused to start ("System allows 45, we need at least
        // 58") under a test process that held some nine hundred.
        _ = closeFrom.map { $0(&actions, 3) }
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }.map { "\($0.key)=\($0.value)" }
        let cArguments = command.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, command[0], &actions, nil, cArguments, cEnvironment)
        guard result == 0 else {
            throw PostgresCommandFailed(description: "cannot start \(command[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for `pid` to end; its exit status, or 128 + the signal that ended it.
    static func wait(for pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The first executable of `names` in `directories`, then on PATH.
    static func find(_ names: [String], in directories: [String] = []) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in directories + path + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            for name in names where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        return nil
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up when first
/// used: Swift's Glibc module does not declare it. Nil on a C library without it.
private let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(
        symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

/// A pipe whose two ends are close-on-exec, so only the child they are given to holds them.
/// (Swift's Glibc has no pipe2: a child spawned by another thread between pipe and fcntl could
/// still inherit an end; the tests and the bench start their servers one at a time.)
final class ClosingPipe: @unchecked Sendable {
    private(set) var read: Int32 = -1
    private(set) var write: Int32 = -1

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw PostgresCommandFailed(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        read = fds[0]
        write = fds[1]
        _ = fcntl(read, F_SETFD, FD_CLOEXEC)
        _ = fcntl(write, F_SETFD, FD_CLOEXEC)
    }

    func closeRead() {
        if read >= 0 { close(read) }
        read = -1
    }

    func closeWrite() {
        if write >= 0 { close(write) }
        write = -1
    }

    /// The write end, now the caller's to close.
    func takeWrite() -> Int32 {
        defer { write = -1 }
        return write
    }

    /// Everything until end of file; closes the read end.
    func readAll() -> Data {
        let handle = FileHandle(fileDescriptor: read, closeOnDealloc: true)
        read = -1
        return handle.readDataToEndOfFile()
    }

    deinit {
        closeRead()
        closeWrite()
    }
}

/// Written by one reader thread, read after the group it ran in was waited on.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
