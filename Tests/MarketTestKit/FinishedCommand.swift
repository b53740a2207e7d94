import Foundation

/// A command run to its end, or stopped at its deadline: its exit status and what it wrote.
public struct FinishedCommand: Sendable, CustomStringConvertible {
    public var status: Int32
    public var output: String
    public var errors: String
    /// It outlived its deadline and was sent SIGKILL.
    public var timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }

    public var description: String {
        let said = errors.trimmingCharacters(in: .whitespacesAndNewlines)
        return (timedOut ? "stopped at its deadline" : "exit \(status)") + (said.isEmpty ? "" : ": \(said)")
    }

    /// Runs `argv` (its first element found on PATH or in the system's sbin directories) with
    /// `environment` added to this process's; its pipes are read as it goes, so a full one
    /// cannot stall it. A command past `deadline` is killed. Once it has ended, its output is
    /// what reached the pipes within a few seconds: a process it left running may hold them open.
    public static func run(_ argv: [String], environment: [String: String] = [:], deadline: TimeInterval) throws -> FinishedCommand {
        guard let first = argv.first, let executable = find(first) else {
            throw CommandNotFound(name: argv.first ?? "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        var merged = ProcessInfo.processInfo.environment
        merged["PATH"] = searchPath.joined(separator: ":")
        merged.merge(environment) { $1 }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let readers = DispatchGroup()
        let outBox = DataBox()
        let errBox = DataBox()
        DispatchQueue.global().async(group: readers) { outBox.data = readAll(out) }
        DispatchQueue.global().async(group: readers) { errBox.data = readAll(err) }
        var timedOut = false
        if finished.wait(timeout: .now() + deadline) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        _ = readers.wait(timeout: .now() + 5)
        return FinishedCommand(status: process.terminationStatus, output: String(decoding: outBox.data, as: UTF8.self),
                               errors: String(decoding: errBox.data, as: UTF8.self), timedOut: timedOut)
    }

    /// PATH, then the directories where ip, sshd and friends live (a test's PATH may lack them).
    static var searchPath: [String] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return path + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].filter { !path.contains($0) }
    }

    static func find(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        return searchPath.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func readAll(_ pipe: Pipe) -> Data {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        try? pipe.fileHandleForReading.close()
        return data
    }
}

/// A command a test meant to run is not installed.
public struct CommandNotFound: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name) is not installed (not on PATH nor in /usr/sbin, /sbin)" }
}

/// Written by a reader thread, read by the caller once the reader is done or given up on.
private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()

    var data: Data {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
