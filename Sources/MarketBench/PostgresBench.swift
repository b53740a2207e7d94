import Foundation
import MarketStore

/// PostgreSQL beside SQLite in one `market bench`: the server's own floors, and the same runs on
/// both engines at matching durability (SQLite NORMAL beside `synchronous_commit=off`, FULL
/// beside `on`), with the issue's goals as ratios measured in the same run.
public enum PostgresBench {
    /// A round trip and a one-row commit at each `synchronous_commit`, through the store's client; medians.
    public static func floors(on target: PostgresTarget, roundTrips: Int, commits: Int, repetitions: Int) throws -> PostgresFloors {
        let url = try target.freshDatabase("floors")
        let off = try PostgresFloor(url: url, durability: .normal)
        defer { off.close() }
        let on = try PostgresFloor(url: url, durability: .full)
        defer { on.close() }
        let roundTrip = try BenchFigure.median(
            "PostgreSQL round trip (SELECT 1)", repetitions: repetitions, operations: roundTrips,
            note: "floor: postgres-nio, as the store uses it"
        ) {
            for _ in 0..<roundTrips { try off.roundTrip() }
        }
        return PostgresFloors(
            roundTrip: roundTrip, commitOff: try commit(off, commits: commits, repetitions: repetitions),
            commitOn: try commit(on, commits: commits, repetitions: repetitions))
    }

    /// The one-row commit alone, again: a flush on this shared disk costs 0.6 ms one minute and
    /// 4 ms the next, so a run's ratio is taken against a floor measured just before it.
    public static func commitFloor(on target: PostgresTarget, durability: Durability, commits: Int, repetitions: Int) throws -> BenchFigure {
        let floor = try PostgresFloor(url: try target.freshDatabase("floors"), durability: durability)
        defer { floor.close() }
        return try commit(floor, commits: commits, repetitions: repetitions)
    }

    private static func commit(_ floor: PostgresFloor, commits: Int, repetitions: Int) throws -> BenchFigure {
        try BenchFigure.median(
            "PostgreSQL one-row commit (synchronous_commit=\(floor.durability == .full ? "on" : "off"))",
            repetitions: repetitions, operations: commits, note: "floor: BEGIN, INSERT, COMMIT as a store write"
        ) {
            for value in 0..<commits { try floor.commitOneRow(value) }
        }
    }
}

public struct PostgresFloors: Sendable, Encodable {
    public var roundTrip: BenchFigure
    public var commitOff: BenchFigure
    public var commitOn: BenchFigure

    enum CodingKeys: String, CodingKey {
        case roundTrip = "round_trip"
        case commitOff = "commit_synchronous_off"
        case commitOn = "commit_synchronous_on"
    }
}

/// One engine at one durability: 1000 sequential buys and 16-peer throughput.
public struct EngineFigures: Sendable, Encodable {
    /// "SQLite NORMAL", "PostgreSQL synchronous_commit=off", …
    public var label: String
    public var sequentialSeconds: Double
    public var sequentialP50: Double
    public var sequentialP99: Double
    public var throughput: Double

    public init(label: String, sequential: SystemBench.Sequential, sixteenPeers: SystemBench.ScalePoint) {
        self.label = label
        sequentialSeconds = sequential.seconds
        sequentialP50 = sequential.p50
        sequentialP99 = sequential.p99
        throughput = sixteenPeers.buysPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case label
        case sequentialSeconds = "sequential_s"
        case sequentialP50 = "sequential_p50_us"
        case sequentialP99 = "sequential_p99_us"
        case throughput = "throughput_buys_per_s"
    }
}

/// SQLite and PostgreSQL at the same durability, and the goals as this run's ratios.
public struct LikeForLike: Sendable, Encodable {
    public var durability: String
    public var sqlite: EngineFigures
    public var postgres: EngineFigures
    /// Two Unix socket round trips and one PostgreSQL commit at this durability, in µs.
    public var floorSequentialBuy: Double
    /// PostgreSQL's sequential buy (p50) over that floor; the goal is at most 2.
    public var sequentialRatio: Double
    /// SQLite's 16-peer throughput over PostgreSQL's; the goal is at most 2.
    public var throughputRatio: Double

    public init(durability: Durability, sqlite: EngineFigures, postgres: EngineFigures, udsRoundTrip: Double, postgresCommit: Double) {
        self.durability = durability.rawValue
        self.sqlite = sqlite
        self.postgres = postgres
        floorSequentialBuy = 2 * udsRoundTrip + postgresCommit
        sequentialRatio = postgres.sequentialP50 / floorSequentialBuy
        throughputRatio = sqlite.throughput / postgres.throughput
    }

    enum CodingKeys: String, CodingKey {
        case durability, sqlite, postgres
        case floorSequentialBuy = "floor_sequential_buy_us"
        case sequentialRatio = "sequential_p50_over_floor"
        case throughputRatio = "sqlite_over_postgres_throughput"
    }
}

/// Everything the PostgreSQL plan measured.
public struct PostgresFigures: Sendable, Encodable {
    public var server: String
    public var floors: PostgresFloors
    public var pairs: [LikeForLike]

    public init(server: String, floors: PostgresFloors, pairs: [LikeForLike]) {
        self.server = server
        self.floors = floors
        self.pairs = pairs
    }
}

extension SystemBench {
    /// This bench's half of a like-against-like pair: sequential buys, then 16 peers.
    public mutating func engineFigures(_ label: String) throws -> EngineFigures {
        let sequential = try sequential()
        let sixteen = try scale(peers: 16)
        return EngineFigures(label: label, sequential: sequential, sixteenPeers: sixteen)
    }
}
