import Foundation
import MarketCore
import XCTest

/// Runs the `sqlite3` shell on a database, with `input` on its standard input.
func sqlite3(_ path: String, _ input: String) throws -> String {
    let process = try SQLiteShell(path)
    try process.send(input)
    return try process.finish()
}

/// The `sqlite3` shell as a second process, talked to through pipes.
final class SQLiteShell {
    static let executable = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/bin/sqlite3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    private var pending = Data()

    init(_ path: String) throws {
        guard let executable = Self.executable else { throw XCTSkip("the sqlite3 shell is not installed") }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-batch", path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    func send(_ text: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Reads standard output until a line equal to `line` arrives.
    func waitForLine(_ line: String) throws {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let got = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if got == line { return }
                continue
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ShellError("sqlite3 ended before printing '\(line)'") }
            pending.append(chunk)
        }
    }

    /// Closes standard input, waits for the shell to exit, and returns the rest of its output.
    func finish() throws -> String {
        try input.fileHandleForWriting.close()
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, problems.isEmpty else {
            throw ShellError("sqlite3 failed: \(String(decoding: problems, as: UTF8.self))")
        }
        return String(decoding: pending + rest, as: UTF8.self)
    }
}

struct ShellError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}
