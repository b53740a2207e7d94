#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a database path names, judged from its metadata alone (`stat`, `access`), never by
/// opening it: closing any descriptor of the file would drop every POSIX lock this process
/// holds on it through SQLite, and another process could then delete the WAL under it.
enum DatabaseFile {
    /// Refuses, in one line, a path that cannot hold the database: a directory, a device, a file
    /// this process may not write (when `writable`), a missing one (when `mustExist`), or a new
    /// file in a directory that is missing or read-only.
    static func vet(_ path: String, writable: Bool, mustExist: Bool) throws(StoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            guard code == ENOENT else { throw .cannotOpen(path: path, reason: describe(code)) }
            if mustExist { throw .noDatabase(path: path) }
            if let reason = directoryProblem(of: path) { throw .cannotOpen(path: path, reason: reason) }
            return
        }
        if let kind = nonRegularKind(info.st_mode) {
            throw .cannotOpen(path: path, reason: "it is \(kind), not a database file")
        }
        if writable {
            if access(path, W_OK) != 0 { throw .cannotOpen(path: path, reason: describe(errno)) }
            // SQLite creates its -wal and -shm files beside the database when they are not there.
            var companion = stat()
            let present = stat(path + "-wal", &companion) == 0 && stat(path + "-shm", &companion) == 0
            if !present, let reason = directoryProblem(of: path) { throw .cannotOpen(path: path, reason: reason) }
        }
    }

    /// Why SQLite could not open `path`, when the error it gave says no more than "cannot open".
    static func cannotOpenReason(_ path: String) -> String {
        var info = stat()
        if stat(path, &info) != 0 { return describe(errno) }
        if let kind = nonRegularKind(info.st_mode) { return "it is \(kind), not a database file" }
        if access(path, R_OK) != 0 { return describe(errno) }
        if let reason = directoryProblem(of: path) {
            return reason + " (SQLite needs to create its -shm file beside the database)"
        }
        return "SQLite could not open it"
    }

    /// The directory that holds (or would hold) `path` cannot take new files: why, or nil.
    static func directoryProblem(of path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(folder, &info) == 0 else {
            return errno == ENOENT ? "no such directory \(folder)" : describe(errno) + " (\(folder))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(folder) is not a directory" }
        guard access(folder, W_OK | X_OK) == 0 else {
            let code = errno
            return code == EROFS ? "read-only file system" : describe(code) + " to create files in \(folder)"
        }
        return nil
    }

    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a pipe"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case EROFS: "read-only file system"
        case EACCES, EPERM: "no permission"
        case ENOENT: "no such file or directory"
        case ENOTDIR: "a component of the path is not a directory"
        default: String(cString: strerror(code))
        }
    }
}
