import Foundation
import PostgresNIO

/// A PostgreSQL database named by libpq's URL form,
/// `postgresql://[user[:password]@][host][:port][/dbname][?param=value&…]`, with libpq's
/// defaults: the user is PGUSER or the login name; the database is named after the user; the
/// port is PGPORT or 5432; with no host, the Unix socket in /var/run/postgresql (or
/// `?host=/socket/dir`); the password, when the URL has none, is PGPASSWORD's or the first
/// matching line of ~/.pgpass (PGPASSFILE).
public struct PostgresAddress: Equatable, Sendable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// A host name or address for TCP; nil when `socketDirectory` is used.
    public var host: String?
    public var socketDirectory: String?
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// The URL as given, password hidden: what messages show.
    public var display: String

    static let defaultSocketDirectory = "/var/run/postgresql"

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) {
        let schemeEnd = url.range(of: "://")!
        let display = Self.hidingPassword(url)
        func bad(_ reason: String) -> StoreError { .badDatabaseURL(url: display, reason: reason) }

        var rest = Substring(url[schemeEnd.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var authority = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], bad)
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], bad)
            } else {
                user = try Self.decode(userInfo, bad)
            }
        }
        var host: String?
        var port: String?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad("unterminated [ in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) } else if !after.isEmpty { throw bad("unexpected \(after) after the host") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = try Self.decode(authority[..<colon], bad)
            port = String(authority[authority.index(after: colon)...])
        } else if !authority.isEmpty {
            host = try Self.decode(authority, bad)
        }
        if authority.contains(",") { throw bad("several hosts are not supported") }
        var database = path.isEmpty ? nil : try Self.decode(path, bad)
        var sslMode: SSLMode = .prefer
        for pair in query.split(separator: "&") where !pair.isEmpty {
            guard let equals = pair.firstIndex(of: "=") else { throw bad("parameter \(pair) has no value") }
            let key = String(pair[..<equals])
            let value = try Self.decode(pair[pair.index(after: equals)...], bad)
            switch key {
            case "host": host = value
            case "port": port = value
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "application_name", "connect_timeout": break
            default: throw bad("unknown parameter \(key)")
            }
        }
        if let text = port ?? environment["PGPORT"] {
            guard let number = Int(text), (1...65535).contains(number) else { throw bad("port \(text) is not a port number") }
            self.port = number
        } else {
            self.port = 5432
        }
        let resolvedUser = user ?? environment["PGUSER"] ?? Self.loginName()
        guard !resolvedUser.isEmpty else { throw bad("no user name") }
        self.user = resolvedUser
        self.database = database ?? environment["PGDATABASE"] ?? resolvedUser
        if let host, host.hasPrefix("/") {
            self.host = nil
            self.socketDirectory = host
        } else if let host, !host.isEmpty {
            self.host = host
            self.socketDirectory = nil
        } else if let fromEnvironment = environment["PGHOST"], !fromEnvironment.isEmpty {
            self.host = fromEnvironment.hasPrefix("/") ? nil : fromEnvironment
            self.socketDirectory = fromEnvironment.hasPrefix("/") ? fromEnvironment : nil
        } else {
            self.host = nil
            self.socketDirectory = Self.defaultSocketDirectory
        }
        self.sslMode = sslMode
        self.display = display
        self.password = password ?? environment["PGPASSWORD"] ?? Self.passwordFile(
            environment: environment, host: self.host ?? "localhost", port: self.port, database: self.database,
            user: self.user)
        if let directory = socketDirectory {
            let socket = directory + "/.s.PGSQL.\(self.port)"
            guard socket.utf8.count < 108 else { throw bad("the socket path \(socket) is longer than 107 bytes") }
        }
    }

    /// The postgres-nio configuration for this address.
    func configuration() throws -> PostgresConnection.Configuration {
        if let directory = socketDirectory {
            return PostgresConnection.Configuration(
                unixSocketPath: directory + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return PostgresConnection.Configuration(
            host: host ?? "localhost", port: port, username: user, password: password, database: database,
            tls: try PostgresTLS.tls(for: sslMode, host: host ?? "localhost"))
    }

    static func decode(_ text: Substring, _ bad: (String) -> StoreError) throws(StoreError) -> String {
        guard let decoded = String(text).removingPercentEncoding else { throw bad("bad percent-encoding in \(text)") }
        return decoded
    }

    static func hidingPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterScheme = url[scheme.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var shown = url
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            shown = String(url[..<colon]) + ":***" + String(url[at...])
        }
        if let range = shown.range(of: #"([?&])password=[^&]*"#, options: .regularExpression) {
            let separator = shown[range].first!
            shown.replaceSubrange(range, with: "\(separator)password=***")
        }
        return shown
    }

    static func loginName() -> String {
        if let name = getpwuid(geteuid())?.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? ""
    }

    /// The password of the first line of the password file that matches (libpq's ~/.pgpass:
    /// `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped).
    /// libpq ignores a file others can read; so does this.
    static func passwordFile(environment: [String: String], host: String, port: Int, database: String, user: String) -> String? {
        let path = environment["PGPASSFILE"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass")
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 == 0,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = splitFields(line)
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in field == "*" || field == value }
            if matches { return fields[4] }
        }
        return nil
    }

    static func splitFields(_ line: Substring) -> [String] {
        var fields: [String] = [""]
        var escaped = false
        for character in line {
            if escaped {
                fields[fields.count - 1].append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 5 {
                fields.append("")
            } else {
                fields[fields.count - 1].append(character)
            }
        }
        return fields
    }
}
