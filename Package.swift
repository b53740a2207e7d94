// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "market",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "market", targets: ["market"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Already in the graph through postgres-nio; named here for HMAC-SHA256 on peer links.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.9.0"..<"6.0.0"),
    ],
    targets: [
        // The protocol as a pure state machine: the standard library only.
        .target(name: "MarketCore"),
        .target(
            name: "MarketSimulation",
            dependencies: ["MarketCore", .product(name: "HeapModule", package: "swift-collections")]
        ),
        .target(
            name: "MarketStore",
            dependencies: [
                "MarketCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [
                .embedInCode("Migrations/0001_history.sql"),
                .embedInCode("Migrations/0002_election_origin.sql"),
                .embedInCode("Migrations/0003_run_supervisor.sql"),
                .embedInCode("Migrations/0004_run_stopping.sql"),
                .embedInCode("Migrations/0005_time_microseconds.sql"),
                .embedInCode("Migrations/0006_store_functions.sql"),
                .embedInCode("Migrations/0007_peer_host.sql"),
                .embedInCode("Migrations/0008_nemesis.sql"),
                .embedInCode("Migrations/0009_fault_reachability.sql"),
                .embedInCode("Migrations/0010_leader_lease.sql"),
                .embedInCode("Migrations/0011_views.sql"),
                .embedInCode("Migrations/0012_pipelining.sql"),
                // The same steps for PostgreSQL; ".pg" keeps their generated names apart from SQLite's.
                .embedInCode("Migrations/postgresql/0001_history.pg.sql"),
                .embedInCode("Migrations/postgresql/0002_election_origin.pg.sql"),
                .embedInCode("Migrations/postgresql/0003_run_supervisor.pg.sql"),
                .embedInCode("Migrations/postgresql/0004_run_stopping.pg.sql"),
                .embedInCode("Migrations/postgresql/0005_time_microseconds.pg.sql"),
                .embedInCode("Migrations/postgresql/0006_store_functions.pg.sql"),
                .embedInCode("Migrations/postgresql/0007_peer_host.pg.sql"),
                .embedInCode("Migrations/postgresql/0008_nemesis.pg.sql"),
                .embedInCode("Migrations/postgresql/0009_fault_reachability.pg.sql"),
                .embedInCode("Migrations/postgresql/0010_leader_lease.pg.sql"),
                .embedInCode("Migrations/postgresql/0011_views.pg.sql"),
                .embedInCode("Migrations/postgresql/0012_pipelining.pg.sql"),
            ]
        ),
        // The supervisor's decisions as a pure state machine: MarketCore only, no IO.
        .target(name: "MarketSupervision", dependencies: ["MarketCore"]),
        .target(
            name: "MarketRuntime",
            dependencies: [
                "MarketCore", "MarketStore", "MarketSupervision",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Scenario files (JSON), read where both `market run` and `market simulate` use them.
        .target(name: "MarketScenarioFile", dependencies: ["MarketCore"]),
        // `market report`: a run's history drawn as one HTML page (inline SVG and CSS).
        .target(name: "MarketReport", dependencies: ["MarketCore", "MarketStore", "MarketSimulation"]),
        // A private PostgreSQL server (initdb, pg_ctl, a watchdog): `market bench` and the tests start one.
        .target(name: "MarketPostgresServer"),
        .target(
            name: "MarketBench",
            dependencies: [
                "MarketCore", "MarketSimulation", "MarketStore", "MarketPostgresServer", "MarketRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "market",
            dependencies: [
                "MarketCore", "MarketSimulation", "MarketStore", "MarketRuntime", "MarketBench", "MarketReport",
                "MarketScenarioFile", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share: fixtures, temporary directories (as SWIM ships SWIMTestKit).
        .target(name: "MarketTestKit", dependencies: ["MarketCore", "MarketPostgresServer"], path: "Tests/MarketTestKit"),
        .testTarget(name: "MarketCoreTests", dependencies: ["MarketCore", "MarketTestKit"]),
        .testTarget(name: "MarketSupervisionTests", dependencies: ["MarketCore", "MarketSupervision"]),
        .testTarget(name: "MarketSimulationTests", dependencies: ["MarketCore", "MarketSimulation", "MarketTestKit"]),
        .testTarget(name: "MarketScenarioFileTests", dependencies: ["MarketCore", "MarketSimulation", "MarketScenarioFile"]),
        .testTarget(name: "MarketStoreTests", dependencies: ["MarketCore", "MarketStore", "MarketSimulation", "MarketTestKit"]),
        .testTarget(
            name: "MarketReportTests",
            dependencies: ["MarketCore", "MarketStore", "MarketReport", "MarketSimulation", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "MarketRuntimeTests",
            dependencies: [
                "MarketCore", "MarketStore", "MarketRuntime", "MarketTestKit", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MarketEndToEndTests",
            dependencies: [
                "MarketCore", "MarketStore", "MarketRuntime", "MarketTestKit", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
