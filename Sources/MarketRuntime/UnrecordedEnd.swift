#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MarketStore

/// The end of a run that the database would not take (a full disk, a read-only file, a server
/// gone): kept in the run's directory, which stays for the user, until the next `market run`
/// on the same database writes it there. So a run that failed on a full disk reads `failed` once the disk
/// has room, not `interrupted` as an abandoned one would.
struct UnrecordedEnd: Codable, Equatable {
    /// The database file, resolved (`realpath`), so that any spelling of its path finds it; or
    /// the server's database (`resolve`).
    var database: String
    var runID: Int64
    var status: RunStatus
    var finishedAt: String

    static let fileName = "unrecorded-end.json"

    /// Leaves the end in `directory`; false if even that could not be written.
    @discardableResult
    func keep(in directory: RunDirectory) -> Bool {
        guard let data = try? JSONEncoder().encode(self) else { return false }
        return FileManager.default.createFile(atPath: "\(directory.path)/\(Self.fileName)", contents: data)
    }

    /// Writes every end left for `databasePath` by earlier runs into it, and forgets each one
    /// written (or no longer wanted: its run is not `running` any more).
    static func catchUp(_ database: MarketDatabase, databasePath: String) {
        guard let resolved = resolve(databasePath) else { return }
        for file in RunDirectory.keptFiles(named: fileName) {
            guard let data = FileManager.default.contents(atPath: file),
                  let end = try? JSONDecoder().decode(UnrecordedEnd.self, from: data), end.database == resolved else {
                continue
            }
            if (try? database.recordLateEnd(runID: end.runID, status: end.status, finishedAt: end.finishedAt)) != nil {
                unlink(file)
            }
        }
    }

    /// A server's database is named by where it is (user, host or socket, port, database),
    /// never by its password, so the end kept in the run's directory holds none.
    static func resolve(_ path: String) -> String? {
        if case .postgres(let address)? = try? DatabaseLocation.parse(path) {
            return "postgresql://\(address.user)@\(address.host ?? address.socketDirectory ?? "")"
                + ":\(address.port)/\(address.database)"
        }
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
