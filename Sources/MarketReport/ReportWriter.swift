import Foundation
import MarketCore
import MarketStore

/// Which traced messages the space-time diagram shows, as `--window` spells it.
public struct ReportWindow: Hashable, Sendable, CustomStringConvertible {
    public static let messagesBefore = 16
    public static let messagesAfter = 32
    public static let messageLimit = 160

    public let window: MessageWindow
    public let description: String

    /// The first re-election (or the first election) and the messages around it.
    public static let firstElection = ReportWindow(
        window: .election(epoch: nil, before: messagesBefore, after: messagesAfter), description: "election")

    /// `election`, `election:N` (the election that opened epoch N), or `A-B` (seconds since the
    /// run started, by receive time).
    public init(parsing text: String) throws(ReportWindowError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "election" {
            self = .firstElection
        } else if trimmed.hasPrefix("election:") {
            guard let epoch = Int(trimmed.dropFirst("election:".count)), epoch >= 1 else { throw ReportWindowError(text) }
            self.init(window: .election(epoch: epoch, before: Self.messagesBefore, after: Self.messagesAfter), description: trimmed)
        } else {
            let bounds = trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let from = Double(bounds[0]), let to = Double(bounds[1]), from >= 0, from <= to else {
                throw ReportWindowError(text)
            }
            self.init(window: .time(fromMs: from * 1000, toMs: to * 1000), description: "\(trimmed) s")
        }
    }

    init(window: MessageWindow, description: String) {
        self.window = window
        self.description = description
    }
}

public struct ReportWindowError: Error, CustomStringConvertible, LocalizedError {
    public let text: String
    init(_ text: String) { self.text = text }
    public var description: String {
        "--window '\(text)' is not a window: use election, election:EPOCH, or FROM-TO in seconds since the run started (e.g. 1.5-2)"
    }
    public var errorDescription: String? { description }
}

/// Reads a run from the database and writes its report.
public enum ReportWriter {
    /// The page for `runID`, from what the database holds now (also of a live run).
    public static func html(database: MarketDatabase, runID: Int64, window: ReportWindow = .firstElection) throws(StoreError) -> String {
        let readAt = Timestamp.now()
        let inspection = try database.inspect(runID: runID)
        let chronicle = try database.chronicle(runID: runID, window: window.window, messageLimit: ReportWindow.messageLimit)
        var input = ReportInput(inspection: inspection, chronicle: chronicle, windowLabel: window.description,
                                databasePath: database.path, readAt: readAt)
        input.failures = try database.failureReasons(runID: runID)
        return ReportPage.html(input)
    }

    /// Writes the page to `path` (replacing it whole, never half-written); its size in bytes.
    @discardableResult
    public static func write(database: MarketDatabase, runID: Int64, window: ReportWindow = .firstElection,
                             to path: String) throws -> Int {
        let data = Data(try html(database: database, runID: runID, window: window).utf8)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return data.count
    }
}
