import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of this process's own (a test process's, or `market bench`'s): initdb'd
/// into a fresh directory under /tmp, listening on a socket in that directory and on a free
/// loopback port, and removed when the owning process ends however it ends. No test or bench
/// depends on a server started by hand.
///
/// `fsync` stays on: the benchmarks set PostgreSQL's commit beside SQLite's FULL and NORMAL
/// (`synchronous_commit` on and off), which means nothing if no commit reaches the disk; a
/// test that wants speed over durability sets `synchronous_commit = off` in its own session.
public final class PostgresServer: @unchecked Sendable {
    /// The directory holding the data directory, the socket, the log and the owner marker.
    public let directory: String
    public let socketDirectory: String
    public let port: Int
    public let password: String
    /// The directory of initdb, pg_ctl, postgres and psql.
    public let binDirectory: String

    private let dataDirectory: String
    private let logFile: String
    /// How the server's programs are started: as the `postgres` user when this process runs as root.
    private let asServerUser: [String]
    /// `ip netns exec NS` for a server that runs in a network namespace; empty: this one.
    private let inNamespace: [String]
    /// Where else than 127.0.0.1 it listens, and which clients may connect there without a
    /// password (a private network of test hosts, `NamespacedHosts`).
    private let network: PostgresNetwork?
    private let lock = NSLock()
    private var databases = 0
    /// The write end of the watchdog's standard input: when it closes (this process ends, or
    /// `closeWatchdog()`), the watchdog stops the server and removes `directory`.
    private var watchdogPipe: Int32 = -1
    private var watchdog: pid_t = 0

    static let owner = "owner"
    static let prefix = "market-pg-"
    static let parent = "/tmp"

    private static let sharedLock = NSLock()
    private nonisolated(unsafe) static var sharedResult: Result<PostgresServer, any Error>?

    /// One server per process, started on first use; `PostgresUnavailable` when PostgreSQL
    /// is not installed (every later call throws the same).
    public static func shared() throws -> PostgresServer {
        try sharedLock.withLock {
            if let sharedResult { return try sharedResult.get() }
            let result = Result { try PostgresServer() }
            sharedResult = result
            return try result.get()
        }
    }

    /// A server of its own, owned by `ownerPID` (this process unless a test plays a dead one);
    /// with `watchdog` false nothing removes it but `removeAbandoned()`.
    public init(ownerPID: Int32 = getpid(), watchdog: Bool = true, network: PostgresNetwork? = nil) throws {
        self.network = network
        inNamespace = network.map { [CommandRun.find(["ip"]) ?? "/usr/sbin/ip", "netns", "exec", $0.namespace] } ?? []
        guard let bin = Self.findBinDirectory() else {
            throw PostgresUnavailable(reason: "PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin or on PATH")
        }
        binDirectory = bin
        asServerUser = try Self.serverUserPrefix()
        Self.removeAbandoned()

        var template = Array("\(Self.parent)/\(Self.prefix)XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PostgresCommandFailed(description: "cannot make a directory for PostgreSQL under \(Self.parent): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        socketDirectory = directory
        dataDirectory = directory + "/data"
        logFile = directory + "/server.log"
        password = Self.randomHex(bytes: 16)
        // The marker names the owner by PID and start time, so a PID reused by another process
        // still reads as dead.
        let mark = "\(ownerPID) \(ProcessStart.ticks(of: ownerPID) ?? "?")\n"
        try Data(mark.utf8).write(to: URL(fileURLWithPath: directory + "/" + Self.owner))
        port = try Self.freeLoopbackPort()
        do {
            try giveToServerUser(directory)
            if watchdog { try startWatchdog() }
            try initialise()
            try start()
            _ = try runPSQL(["-U", "postgres", "-d", "postgres"], """
                CREATE ROLE market LOGIN CREATEDB PASSWORD '\(password)';
                """)
        } catch {
            removeNow()
            throw error
        }
    }

    /// A fresh empty database owned by role `market`; its URL over the socket (trust).
    public func createDatabase(_ prefix: String = "t") throws -> String {
        let clean = String(prefix.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(40))
        let number = lock.withLock { () -> Int in
            databases += 1
            return databases
        }
        let name = "\(clean.isEmpty ? "t" : clean)_\(number)_\(Self.randomHex(bytes: 3))"
        _ = try runPSQL(["-U", "postgres", "-d", "postgres"], "CREATE DATABASE \(name) OWNER market;")
        return socketURL(database: name)
    }

    /// libpq's form: the socket directory and port as parameters (the socket file's name holds the port).
    public func socketURL(database: String) -> String {
        "postgresql://market@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// Over TCP to 127.0.0.1, where the password is checked (scram-sha-256).
    public func tcpURL(database: String, password: String?) -> String {
        let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return "postgresql://market\(secret)@127.0.0.1:\(port)/\(database)"
    }

    /// Over TCP to the network's address (see `PostgresNetwork`), as the hosts reach it.
    public func networkURL(database: String) -> String? {
        network.map { "postgresql://market@\($0.address):\(port)/\(database)" }
    }

    /// Runs `sql` (statements and psql meta-commands) in the psql shell as role `market` over the
    /// socket; returns standard output (unaligned, no headers). Throws with psql's error text.
    public func psql(database: String, _ sql: String) throws -> String {
        try runPSQL(["-U", "market", "-d", database], sql)
    }

    /// The same, against any connection URL (for instance `tcpURL`, to see a password refused).
    public func psql(url: String, _ sql: String) throws -> String {
        try runPSQL(["-d", url], sql)
    }

    /// `pg_ctl stop -m immediate`: the server dies as if killed; `start()` brings it back.
    public func stopImmediately() throws {
        try serverCommand(["pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// `pg_ctl start -w`: returns once the server accepts connections.
    public func start() throws {
        try serverCommand(["pg_ctl", "-D", dataDirectory, "-l", logFile, "-w", "-t", "120", "start"], prefix: inNamespace)
    }

    /// Whether the server answers on its socket now (`pg_isready`).
    public var isReady: Bool {
        (try? CommandRun.run([binDirectory + "/pg_isready", "-q", "-h", socketDirectory, "-p", "\(port)"]))?.status == 0
    }

    /// Closes the watchdog's pipe, as the end of this process would, and waits for the watchdog
    /// to finish stopping the server and removing its directory.
    public func closeWatchdog() {
        let (pipe, pid) = lock.withLock { () -> (Int32, pid_t) in
            defer {
                watchdogPipe = -1
                watchdog = 0
            }
            return (watchdogPipe, watchdog)
        }
        if pipe >= 0 { close(pipe) }
        if pid > 0 { _ = CommandRun.wait(for: pid) }
    }

    /// Stops and removes every server under /tmp whose owner process is gone (a test or bench process
    /// that crashed or was killed before its watchdog could act); returns their directories.
    @discardableResult
    public static func removeAbandoned() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let directory = parent + "/" + name
            // No marker yet: a server still being set up, or not one of ours.
            guard let mark = try? String(contentsOfFile: directory + "/" + owner, encoding: .utf8) else { continue }
            let fields = mark.split(whereSeparator: \.isWhitespace)
            guard let first = fields.first, let pid = Int32(first) else { continue }
            let started = fields.count > 1 && fields[1] != "?" ? String(fields[1]) : nil
            if ProcessStart.isAlive(pid, started: started) { continue }
            if let bin = findBinDirectory(), let prefix = try? serverUserPrefix() {
                _ = try? CommandRun.run(prefix + [bin + "/pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"],
                                        directory: directory)
            }
            try? FileManager.default.removeItem(atPath: directory)
            removed.append(directory)
        }
        return removed
    }

    // MARK: - Setting up

    private func initialise() throws {
        // --no-sync only skips flushing initdb's own files: a crash during setup loses nothing a test needs.
        try serverCommand(["initdb", "-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        let hba = """
            # Written by market: the socket is for this machine's tests and bench, TCP checks the password.
            local all all trust
            host all all 127.0.0.1/32 scram-sha-256

            """ + (network.map { "host all market \($0.clients) trust\n" } ?? "")
        try write(hba, to: dataDirectory + "/pg_hba.conf", append: false)
        let settings = """

            # Added by market's PostgresServer.
            listen_addresses = '127.0.0.1\(network.map { "," + $0.address } ?? "")'
            port = \(port)
            unix_socket_directories = '\(socketDirectory)'
            password_encryption = 'scram-sha-256'
            max_connections = 300
            fsync = on
            logging_collector = off

            """
        try write(settings, to: dataDirectory + "/postgresql.conf", append: true)
    }

    private func write(_ text: String, to path: String, append: Bool) throws {
        let handle: FileHandle
        if append, let existing = FileHandle(forWritingAtPath: path) {
            handle = existing
            try handle.seekToEnd()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let created = FileHandle(forWritingAtPath: path) else {
                throw PostgresCommandFailed(description: "cannot write \(path)")
            }
            handle = created
        }
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        try giveToServerUser(path)
    }

    /// A child `sh` that waits for end of file on its standard input, a pipe only this process
    /// writes to: when this process ends, however it ends, the kernel closes the pipe and the
    /// watchdog stops the server and removes its directory. Nothing polls.
    private func startWatchdog() throws {
        let pipe = try ClosingPipe()
        let script = """
            base=$1; data=$2; shift 2
            trap '' INT HUP TERM QUIT
            while read -r _; do :; done
            "$@" -D "$data" -m immediate -w stop >/dev/null 2>&1
            rm -rf "$base"
            """
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let pid = try CommandRun.spawn(["/bin/sh", "-c", script, "sh", directory, dataDirectory] + asServerUser + [binDirectory + "/pg_ctl"],
                                       stdin: pipe.read, stdout: null, stderr: null, directory: "/")
        pipe.closeRead()
        lock.withLock {
            watchdogPipe = pipe.takeWrite()
            watchdog = pid
        }
    }

    /// Runs one of the server's programs as the server's user; throws with its error output.
    private func serverCommand(_ argv: [String], prefix: [String] = []) throws {
        let run = try CommandRun.run(prefix + asServerUser + [binDirectory + "/" + argv[0]] + argv.dropFirst(), directory: directory)
        guard run.status == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            throw PostgresCommandFailed(description: "\(argv[0]) failed (exit \(run.status)): \(run.errors.trimmingCharacters(in: .whitespacesAndNewlines))"
                + (log.isEmpty ? "" : "; server log: \(log)"))
        }
    }

    private func runPSQL(_ target: [String], _ sql: String) throws -> String {
        var arguments = [binDirectory + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        if !target.contains(where: { $0.contains("://") }) {
            arguments += ["-h", socketDirectory, "-p", "\(port)"]
        }
        let run = try CommandRun.run(arguments + target, input: sql, directory: directory)
        guard run.status == 0 else {
            throw PostgresCommandFailed(description: "psql failed (exit \(run.status)): \(run.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return run.output
    }

    /// Stops the server now and removes its directory (what the watchdog does at the end).
    public func remove() {
        removeNow()
    }

    private func removeNow() {
        closeWatchdog()
        _ = try? CommandRun.run(asServerUser + [binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                                directory: "/")
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func giveToServerUser(_ path: String) throws {
        guard getuid() == 0 else { return }
        guard let user = getpwnam("postgres"), chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw PostgresCommandFailed(description: "cannot give \(path) to the postgres user: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Finding things

    /// The newest /usr/lib/postgresql/N/bin with initdb (Debian's layout), else initdb on PATH.
    static func findBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { name in Int(name).map { ($0, root + "/" + name + "/bin") } }
            .sorted { $0.0 > $1.0 }
        if let found = versions.first(where: { FileManager.default.isExecutableFile(atPath: $0.1 + "/initdb") }) {
            return found.1
        }
        return CommandRun.find(["initdb"]).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
    static func serverUserPrefix() throws -> [String] {
        guard getuid() == 0 else { return [] }
        guard getpwnam("postgres") != nil else {
            throw PostgresUnavailable(reason: "PostgreSQL cannot run as root and there is no postgres user to run it as")
        }
        if let runuser = CommandRun.find(["runuser"]) { return [runuser, "-u", "postgres", "--"] }
        if let setpriv = CommandRun.find(["setpriv"]) {
            guard let user = getpwnam("postgres") else { return [] }
            return [setpriv, "--reuid=\(user.pointee.pw_uid)", "--regid=\(user.pointee.pw_gid)", "--clear-groups"]
        }
        throw PostgresUnavailable(reason: "PostgreSQL cannot run as root and neither runuser nor setpriv is installed")
    }

    /// A loopback port nobody listens on now (the kernel's choice for a bind to port 0).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresCommandFailed(description: "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw PostgresCommandFailed(description: "cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
