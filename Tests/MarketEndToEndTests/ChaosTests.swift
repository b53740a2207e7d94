import Foundation
import GRDB
import MarketCore
import MarketStore
@testable import MarketRuntime
import NIOCore
import MarketTestKit
import XCTest

/// Real processes under fire: SIGKILL and SIGSTOP/SIGCONT of random peers (traders
/// included), forged and malformed frames on their sockets, and the database locked from
/// outside for longer than the busy timeout. Every run must complete, pass `market check`
/// with no false alarm, keep `integrity_check` ok and decide every request exactly once.
/// Bounded: each round has a wall-clock limit, and the faults stop well before it.
extension EndToEndTests {
    struct ChaosTally: CustomStringConvertible {
        var kills = 0
        var pauses = 0
        var forged = 0
        var malformed = 0
        var locks = 0

        var description: String {
            "\(kills) SIGKILLs, \(pauses) SIGSTOP/SIGCONT pauses, \(forged) forged and \(malformed) malformed frames, "
                + "\(locks) outside locks"
        }
    }

    func test_chaos_everyRunCompletesAndChecks() throws {
        let rounds = Int(ProcessInfo.processInfo.environment["MARKET_CHAOS_ROUNDS"] ?? "") ?? 2
        for round in 0..<rounds {
            try chaosRound(seed: UInt64(100 + round), lockTheDatabase: round == 0)
        }
    }

    func chaosRound(seed: UInt64, lockTheDatabase: Bool) throws {
        let path = try temporaryDatabasePath()
        let scenario = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("chaos.json")
        try Data("""
            {"name": "chaos", "peers": [
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"},
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "boar"},
               {"role": "buyer", "product": "boar"}, {"role": "seller", "product": "salt"}],
             "requests": 1000, "sick_rate": 0, "recover_after_ms": 150, "seed": \(seed), "time_limit_s": 110}
            """.utf8).write(to: scenario)
        let running = try ChildRun.Running(try Self.marketBinary(), ["run", "--scenario", scenario.path, "--db", path, "--json"])
        let process = running.process
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var random = SplitMix64(seed: seed)
        var tally = ChaosTally()
        _ = try waitFor(path, "the first trade") { db -> Int? in
            let trades = try Int.fetchOne(db, sql: "SELECT count(*) FROM trades") ?? 0
            return trades > 0 ? trades : nil
        }
        let directory = try runDirectory(of: process.processIdentifier)
        let chaosEnds = Date().addingTimeInterval(15)
        let lockHolder = DispatchGroup()
        if lockTheDatabase {
            // Held on another thread, so that peers die and pause while the lock is held too.
            tally.locks += 1
            let seconds = Self.busyTimeout + 1
            DispatchQueue.global().async(group: lockHolder) {
                do {
                    try Self.holdExclusiveLock(path, seconds: seconds)
                } catch {
                    print("chaos: could not take the lock from outside: \(error)")
                }
            }
        }
        while Date() < chaosEnds, process.isRunning {
            let pids = try livePIDs(path)
            guard !pids.isEmpty else { break }
            let (peer, pid) = pids[Int(random.next() % UInt64(pids.count))]
            switch random.next() % 9 {
            case 0, 1:
                if kill(pid, SIGKILL) == 0 { tally.kills += 1 }
            case 2, 3:
                if kill(pid, SIGSTOP) == 0 {
                    tally.pauses += 1
                    usleep(UInt32(50_000 + random.next() % 400_000))
                    kill(pid, SIGCONT)
                }
            case 4, 5, 6:
                tally.forged += forgeFrames(to: peer, in: directory, peers: 6, random: &random)
            default:
                tally.malformed += sendMalformedFrames(to: peer, in: directory, random: &random)
            }
            usleep(UInt32(100_000 + random.next() % 200_000))
        }
        lockHolder.wait()
        let run = running.finish(deadline: 150)
        XCTAssertFalse(run.timedOut, "round \(seed): the run did not end")
        let stdout = run.output
        let stderr = run.errors
        print("chaos round \(seed): \(tally)")
        XCTAssertEqual(process.terminationStatus, 0, "round \(seed): \(tally)\n\(stdout)\n\(stderr.suffix(3000))")
        let check = try market(["check", "--db", path], deadline: 60)
        XCTAssertEqual(check.status, 0, "round \(seed): market check\n\(check.stdout)")
        let db = try readOnly(path)
        try db.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "PRAGMA integrity_check"), ["ok"])
        }
        try assertDecidedExactlyOnce(db, runID: 1, expected: 3000)
    }

    /// The store's busy timeout: a lock held past it makes every waiting writer give up once.
    static var busyTimeout: Double { MarketDatabase.busyTimeout }

    /// The run directory of the supervisor with this pid.
    func runDirectory(of supervisor: pid_t) throws -> RunDirectory {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/tmp")
        let name = try XCTUnwrap(names.first { $0.hasPrefix("market-\(supervisor)-") }, "no run directory")
        return RunDirectory(path: "/tmp/\(name)")
    }

    func livePIDs(_ path: String) throws -> [(PeerID, pid_t)] {
        try readOnly(path).read { db in
            try Row.fetchAll(db, sql: "SELECT peer_id, pid FROM peers WHERE run_id = 1 AND pid IS NOT NULL")
                .map { ($0["peer_id"], $0["pid"]) }
        }
    }

    /// Takes the write lock from outside and holds it; the run must wait, not fail, and its
    /// history must still be true.
    static func holdExclusiveLock(_ path: String, seconds: Double) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            usleep(UInt32(seconds * 1_000_000))
            try db.execute(sql: "COMMIT")
        }
    }

    /// Opens a connection to a peer's socket and writes `bytes`; false if it was refused.
    @discardableResult
    func write(_ bytes: [UInt8], toSocket socketPath: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let path = Array(socketPath.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: path)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return false }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    func framed(_ payload: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { Array($0) } + payload
    }

    /// Garbage, a frame over the cap, a frame before any hello, a hello under the wrong secret.
    func sendMalformedFrames(to peer: PeerID, in directory: RunDirectory, random: inout SplitMix64) -> Int {
        let socket = directory.socketPath(for: peer)
        let envelope = Framing.frame(Envelope(from: 0, to: peer, clock: 1, message: .election),
                                     allocator: ByteBufferAllocator())!.readableBytesView.dropFirst(4)
        let wrongHello = Array(Framing.hello(from: 0, proof: PeerProof.random()).readableBytesView)
        let frames: [[UInt8]] = [
            (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) },
            withUnsafeBytes(of: UInt32(1 << 30).bigEndian) { Array($0) },
            framed(Array(envelope)),
            wrongHello + framed(Array(envelope)),
            framed(Array("{\"hello\":".utf8)),
        ]
        return frames.filter { write($0, toSocket: socket) }.count
    }

    /// Frames under the run's own secret that no honest peer could send: in another peer's
    /// name, from a stranger, with impossible numbers or a clock at its top.
    func forgeFrames(to peer: PeerID, in directory: RunDirectory, peers: Int, random: inout SplitMix64) -> Int {
        guard let proof = directory.proof() else { return 0 }
        let me = (peer + 1 + Int(random.next() % UInt64(peers - 1))) % peers
        let other = (me + 1) % peers == peer ? (me + 2) % peers : (me + 1) % peers
        let messages: [Envelope] = [
            Envelope(from: other, to: peer, clock: 5, message: .election),
            Envelope(from: me, to: peer, clock: .max, message: .election),
            Envelope(from: me, to: peer, clock: 9, message: .coordinator(epoch: 1_000_000_000_000)),
            Envelope(from: me, to: peer, clock: 9, message: .buy(BuyRequest(
                id: RequestID(buyer: other, seq: 1_000), product: .salt, quantity: 5000, lamport: 1))),
            Envelope(from: me, to: peer, clock: 9, message: .deposit(Deposit(
                id: Deposit.makeID(seller: 999, seq: 0), seller: 999, product: .salt, quantity: 1 << 62))),
            Envelope(from: me, to: peer, clock: 9, message: .deposit(Deposit(
                id: Deposit.makeID(seller: me, seq: 77), seller: me, product: .salt, quantity: -500))),
            Envelope(from: me, to: peer, clock: 9, message: .heartbeat(epoch: 3, leader: 999)),
            // Well-formed words on who trades that the store never granted.
            Envelope(from: me, to: peer, clock: 9, message: .coordinator(epoch: 5_000)),
            Envelope(from: me, to: peer, clock: 9, message: .heartbeat(epoch: 6_000, leader: me)),
        ]
        var bytes = Array(Framing.hello(from: me, proof: proof).readableBytesView)
        for message in messages {
            bytes += Array(Framing.frame(message, allocator: ByteBufferAllocator())!.readableBytesView)
        }
        return write(bytes, toSocket: directory.socketPath(for: peer)) ? messages.count : 0
    }
}
