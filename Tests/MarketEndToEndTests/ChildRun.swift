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

    /// Runs `executable` with a deadline; one that outlives it is terminated.
    static func run(_ executable: URL, _ arguments: [String], deadline: TimeInterval) throws -> ChildRun {
        try Running(executable, arguments).finish(deadline: deadline)
    }

    /// A child still running, its pipes read to the end as it goes so a full pipe cannot stall it.
    /// Unchecked: each buffer is written by its reader alone and read only after `readers.wait()`.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let finished = DispatchSemaphore(value: 0)
        private let readers = DispatchGroup()
        private var outData = Data()
        private var errData = Data()

        init(_ executable: URL, _ arguments: [String]) throws {
            process.executableURL = executable
            process.arguments = arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.terminationHandler = { [finished] _ in finished.signal() }
            try process.run()
            // Each read end is closed once read: left to the Pipe's deinit, two descriptors a run
            // stayed open in the test process (some 1,300 over the suite).
            DispatchQueue.global().async(group: readers) { self.outData = Self.readAll(out) }
            DispatchQueue.global().async(group: readers) { self.errData = Self.readAll(err) }
        }

        private static func readAll(_ pipe: Pipe) -> Data {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            try? pipe.fileHandleForReading.close()
            return data
        }

        /// Waits for the child to end; past the deadline it is sent SIGTERM (and `timedOut` says so).
        func finish(deadline: TimeInterval) -> ChildRun {
            var timedOut = false
            if finished.wait(timeout: .now() + deadline) == .timedOut {
                timedOut = true
                kill(process.processIdentifier, SIGTERM)
                _ = finished.wait(timeout: .now() + 10)
            }
            readers.wait()
            return ChildRun(status: process.terminationStatus, stdout: outData, stderr: errData, timedOut: timedOut)
        }
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
