#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a peer started over SSH (`market peer --over-ssh`) gets what a local peer finds in
/// the run's directory: the supervisor writes two lines first on the session's stdin, the
/// run's secret and the resolved scenario, so the secret is never on a command line (where
/// `ps` on either host would show it). The peer makes a private directory of its own on its
/// host for them and its log, and listens on the address the SSH session arrived at, the one
/// the supervisor reached this host by.
public enum RemotePeerStart {
    /// The first line the supervisor writes: `secret <hex>`.
    static func secretLine(_ proof: PeerProof) -> String { "secret \(proof.text)\n" }

    /// The second: `scenario <base64 of the scenario's JSON>`.
    static func scenarioLine(_ json: Data) -> String { "scenario \(json.base64EncodedString())\n" }

    /// Reads the two lines, makes this host's directory with them and fills in `options`.
    public static func prepare(_ options: inout PeerOptions,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let connection = environment["SSH_CONNECTION"] else {
            throw RuntimeError("--over-ssh: no SSH_CONNECTION here; this peer was not started by ssh")
        }
        let words = connection.split(separator: " ")
        guard words.count == 4 else { throw RuntimeError("--over-ssh: SSH_CONNECTION is not 'client port server port': \(connection)") }
        let secretText = try field("secret", of: try readLine())
        guard PeerProof(text: secretText) != nil else { throw RuntimeError("--over-ssh: the secret line is malformed") }
        guard let scenario = Data(base64Encoded: try field("scenario", of: try readLine())) else {
            throw RuntimeError("--over-ssh: the scenario line is not base64")
        }
        let directory = try RunDirectory.create(secret: secretText)
        guard FileManager.default.createFile(atPath: directory.scenarioPath, contents: scenario,
                                             attributes: [.posixPermissions: 0o600]) else {
            directory.remove()
            throw RuntimeError("cannot write the scenario in \(directory.path)")
        }
        options.directory = directory.path
        options.tcpHost = String(words[2])
    }

    private static func field(_ name: String, of line: String) throws -> String {
        guard line.hasPrefix(name + " ") else { throw RuntimeError("--over-ssh: expected the \(name) line first") }
        return String(line.dropFirst(name.count + 1))
    }

    /// One line from stdin, a byte at a time: nothing after it is read, so the line protocol
    /// that follows finds the rest of the pipe untouched.
    private static func readLine() throws -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            if count == 1 {
                if byte == UInt8(ascii: "\n") { break }
                bytes.append(byte)
                guard bytes.count <= 4 << 20 else { throw RuntimeError("--over-ssh: a start line is longer than 4 MiB") }
            } else if count == 0 {
                throw RuntimeError("--over-ssh: the session ended before the run's secret and scenario")
            } else if errno != EINTR {
                throw RuntimeError("--over-ssh: cannot read stdin: \(String(cString: strerror(errno)))")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
