import Foundation

/// How the supervisor reaches another host: OpenSSH's `ssh` client, or the command the
/// `MARKET_SSH` variable names (split into words as a shell would, as `GIT_SSH_COMMAND` is),
/// always in batch mode so that a missing key is a refusal and never a prompt. The user's
/// ssh config applies as it does to any `ssh`.
public struct SSHCommand: Hashable, Sendable {
    /// The client and its own options, before the destination.
    public let words: [String]

    public init(words: [String]) {
        self.words = words
    }

    /// `MARKET_SSH` when it is set and not blank, else `ssh`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(SSHCommandError) -> SSHCommand {
        guard let text = environment["MARKET_SSH"], !text.allSatisfy(\.isWhitespace) else {
            return SSHCommand(words: ["ssh"])
        }
        return SSHCommand(words: try ShellWords.split(text))
    }

    /// The argv that runs `remote` (words, each quoted for the remote shell) on `destination`.
    /// `-T`: no terminal, so the session's stdin and stdout are plain pipes end to end. A peer's
    /// session (`session`) asks the host for a sign of life every 2 s and ends after three
    /// unanswered: a host cut off is then found in about 6 s, where TCP alone would wait for
    /// many minutes.
    public func argv(destination: String, remote: [String], connectTimeout: Int = 10, session: Bool = false) -> [String] {
        words + ["-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)"]
            + (session ? ["-o", "ServerAliveInterval=2", "-o", "ServerAliveCountMax=3"] : [])
            + ["--", destination, remote.map(ShellWords.quote).joined(separator: " ")]
    }

    /// The client's path, for `posix_spawn`: a bare name is looked up on PATH.
    public var executable: String {
        let first = words.first ?? "ssh"
        if first.contains("/") { return first }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(first)") {
            return "\(directory)/\(first)"
        }
        return first
    }
}

/// `MARKET_SSH` that cannot be split into words.
public struct SSHCommandError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Words as a POSIX shell splits them (quotes and backslashes, no expansions), and quoting
/// for the remote shell ssh hands its command line to.
enum ShellWords {
    static func split(_ text: String) throws(SSHCommandError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch quote {
            case "'":
                if character == "'" { quote = nil } else { current.append(character) }
            case "\"":
                if character == "\"" { quote = nil } else if character == "\\" { escaped = true } else { current.append(character) }
            default:
                if character == "'" || character == "\"" {
                    quote = character
                    inWord = true
                } else if character == "\\" {
                    escaped = true
                    inWord = true
                } else if character.isWhitespace {
                    if inWord { words.append(current) }
                    current = ""
                    inWord = false
                } else {
                    current.append(character)
                    inWord = true
                }
            }
        }
        if quote != nil || escaped {
            throw SSHCommandError(description: "MARKET_SSH has an unclosed quote or a trailing backslash: \(text)")
        }
        if inWord { words.append(current) }
        guard !words.isEmpty else { throw SSHCommandError(description: "MARKET_SSH names no command") }
        return words
    }

    /// One word for a POSIX shell: as it is when nothing in it is special, else in single quotes.
    static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0)) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
