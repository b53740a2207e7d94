import Foundation

/// One finished child process: its exit status and everything it wrote.
struct ChildRun {
    var status: Int32
    var stdout: Data
    var stderr: Data
    /// It outlived its deadline and was sent SIGTERM.
    var timedOut: Bool

    var output: String { String(decoding: stdout, as: UTF8.self) }
    var errors: String { String(decoding: stderr, as: UTF8.self) }

    /// Runs `executable` with a deadline, reading both pipes to the end while it runs so a
    /// full pipe cannot stall it; one that outlives the deadline is terminated.
    static func run(_ executable: URL, _ arguments: [String], deadline: TimeInterval) throws -> ChildRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        var timedOut = false
        if finished.wait(timeout: .now() + deadline) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGTERM)
            _ = finished.wait(timeout: .now() + 10)
        }
        readers.wait()
        return ChildRun(status: process.terminationStatus, stdout: outData, stderr: errData, timedOut: timedOut)
    }

    /// The first of `names` found on PATH (or in the usual places), if any.
    static func find(_ names: [String]) -> URL? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/local/bin", "/bin"]
        for name in names {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
            }
        }
        return nil
    }
}
