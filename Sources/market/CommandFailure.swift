import ArgumentParser
import Foundation
import MarketCore
import MarketRuntime
import MarketScenarioFile
import MarketStore

/// The exit codes of every command (the README's table). `market run`'s own are the
/// supervisor's: 3 when the run's end could not be recorded, 128 + N when signal N stopped it.
enum ExitStatus {
    /// The run failed, or a check (the run's verdict, `market check`, `market simulate`) found a violation.
    static let failed: Int32 = 1
    /// Refused before anything started: the command line, a scenario (name or file), or a database
    /// that cannot be used; for `market run`, also a peer that could not start.
    static let badInput: Int32 = 2
}

/// One error style for every command: `market <command>: <what is wrong>`, one line on
/// standard error, then the exit code of `ExitStatus`. ArgumentParser's own style (an `Error:`
/// prefix, the usage after it, exit 64) is replaced here, in one place.
enum CommandFailure {
    static func exit(_ error: Error, arguments: [String]) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        if MarketCommand.exitCode(for: error) == .success {
            // --help and its kind: asked for, so on standard output.
            DescriptorWriter.standardOutput.write(MarketCommand.fullMessage(for: error) + "\n")
            Foundation.exit(0)
        }
        DescriptorWriter.standardError.write("\(prefix(arguments)): \(message(error))\n")
        Foundation.exit(code(for: error))
    }

    static func code(for error: Error) -> Int32 {
        switch error {
        case is ScenarioError, is StoreError, is ValidationError: ExitStatus.badInput
        default: MarketCommand.exitCode(for: error) == .validationFailure ? ExitStatus.badInput : ExitStatus.failed
        }
    }

    static func message(_ error: Error) -> String {
        let text: String
        switch error {
        case let error as ScenarioError: text = Suggestion.describe(error)
        case let error as CustomStringConvertible where !(error is ValidationError): text = error.description
        default: text = unknownCommandHint(MarketCommand.message(for: error))
        }
        let line = text.split(whereSeparator: \.isNewline).joined(separator: "; ")
        return line.isEmpty ? "failed" : line
    }

    /// `market <command>` when the first argument names one, else `market`.
    static func prefix(_ arguments: [String]) -> String {
        guard let first = arguments.first, commandNames.contains(first) else { return "market" }
        return "market \(first)"
    }

    static var commandNames: [String] {
        MarketCommand.configuration.subcommands.map { $0._commandName }
    }

    /// ArgumentParser says `Unexpected argument 'rnu'` of a mistyped command; name the nearest one.
    private static func unknownCommandHint(_ message: String) -> String {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, !first.hasPrefix("-"), !commandNames.contains(first),
              message.contains("'\(first)'") else { return message }
        let visible = MarketCommand.configuration.subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
        let near = Suggestion.nearest(first, among: visible).map { "; did you mean '\($0)'?" } ?? ""
        return "unknown command '\(first)'\(near) (commands: \(visible.joined(separator: ", ")))"
    }
}
