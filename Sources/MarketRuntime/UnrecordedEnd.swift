#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MarketStore

/// The end of a run that the database would not take (a full disk, a read-only file): kept
/// in the run's directory, which stays for the user, until the next `market run` on the same
/// database writes it there. So a run that failed on a full disk reads `failed` once the disk
/// has room, not `interrupted` as an abandoned one would.
struct UnrecordedEnd: Codable, Equatable {
    /// The database file, resolved (`realpath`), so that any spelling of its path finds it.
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

    static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
