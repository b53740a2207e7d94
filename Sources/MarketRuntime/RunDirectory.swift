#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The private directory of one run: the peers' sockets, the resolved scenario, the run's
/// secret (see `PeerProof`) and the peers' log files. Created with `mkdtemp` under /tmp
/// (mode 0700) so that socket paths stay far below the 108 bytes of `sun_path`; its name
/// carries the supervisor's pid, so that the directory of a run whose supervisor was killed
/// is recognised and removed by the next run.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Makes a fresh private directory like `/tmp/market-4242-Ab12Cd` with a new secret in it
    /// (or `secret`, a remote peer's copy of its supervisor's), after removing the directories
    /// of runs whose supervisor is gone.
    public static func create(secret given: String? = nil) throws -> RunDirectory {
        removeAbandoned()
        var template = Array("\(parent)/\(prefix)\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            mkdtemp(buffer.baseAddress!) != nil
        }
        guard made else { throw RuntimeError("cannot create a run directory under /tmp: \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o700)
        let directory = RunDirectory(path: path)
        let secret = given ?? PeerProof.random().text
        guard FileManager.default.createFile(atPath: directory.secretPath, contents: Data(secret.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw RuntimeError("cannot write the run's secret in \(path)")
        }
        return directory
    }

    private static let parent = "/tmp"
    private static let prefix = "market-"

    /// Removes `/tmp/market-<pid>-*` directories whose supervisor process no longer exists,
    /// except those it kept for the user on purpose.
    static func removeAbandoned() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1)
            guard rest.count == 2, rest[1].count == 6, let pid = Int32(rest[0]), pid > 0 else { continue }
            let kept = FileManager.default.fileExists(atPath: "\(parent)/\(name)/kept")
            if !kept, kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "\(parent)/\(name)")
            }
        }
    }

    /// The file `name` in every directory kept for the user.
    static func keptFiles(named name: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [] }
        return names.filter { $0.hasPrefix(prefix) }.map { "\(parent)/\($0)" }.filter {
            FileManager.default.fileExists(atPath: "\($0)/kept") && FileManager.default.fileExists(atPath: "\($0)/\(name)")
        }.map { "\($0)/\(name)" }
    }

    /// What a peer of a run whose supervisor died does on its way out: its log goes, and the
    /// last peer to leave (no other's socket or log remains) removes the directory.
    func removeAfterPeer(_ peer: Int) {
        unlink(logPath(for: peer))
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path),
              !names.contains(where: { $0.hasSuffix(".sock") || $0.hasSuffix(".log") }) else { return }
        remove()
    }

    /// The run's secret, as the supervisor left it.
    func proof() -> PeerProof? {
        FileManager.default.contents(atPath: secretPath).flatMap { PeerProof(text: String(decoding: $0, as: UTF8.self)) }
    }

    public func socketPath(for peer: Int) -> String { "\(path)/p\(peer).sock" }
    public func logPath(for peer: Int) -> String { "\(path)/p\(peer).log" }
    public var scenarioPath: String { "\(path)/scenario.json" }
    var secretPath: String { "\(path)/secret" }

    /// Keeps the logs and the scenario for the user (a failed run, `--keep-logs`): the sockets
    /// and the secret go, and a mark says the directory outlives its supervisor on purpose.
    /// False when the mark could not be written: the next run may then take the directory for
    /// an abandoned one and remove it.
    @discardableResult
    public func keepForTheUser() -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        for name in names where name.hasSuffix(".sock") {
            unlink("\(path)/\(name)")
        }
        unlink(secretPath)
        return FileManager.default.createFile(atPath: keptMarkPath, contents: Data())
    }

    var keptMarkPath: String { "\(path)/kept" }

    /// Removes the whole directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A one-line error for the user.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
