#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The private directory of one run: the peers' sockets, the resolved scenario and the
/// peers' log files. Created with `mkdtemp` under /tmp (mode 0700) so that socket paths stay
/// far below the 108 bytes of `sun_path`.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Makes a fresh private directory like `/tmp/market-Ab12Cd`.
    public static func create() throws -> RunDirectory {
        var template = Array("/tmp/market-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            mkdtemp(buffer.baseAddress!) != nil
        }
        guard made else { throw RuntimeError("cannot create a run directory under /tmp: \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o700)
        return RunDirectory(path: path)
    }

    public func socketPath(for peer: Int) -> String { "\(path)/p\(peer).sock" }
    public func logPath(for peer: Int) -> String { "\(path)/p\(peer).log" }
    public var scenarioPath: String { "\(path)/scenario.json" }

    /// Removes the sockets only, keeping logs and the scenario.
    public func removeSockets() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names where name.hasSuffix(".sock") {
            unlink("\(path)/\(name)")
        }
    }

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
