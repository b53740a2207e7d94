import MarketPostgresServer

/// The tests' private PostgreSQL server is the product's (`market bench` starts the same one),
/// so its lifecycle, watchdog and removal of abandoned servers exist once.
public typealias PrivatePostgres = PostgresServer
public typealias PostgresUnavailable = MarketPostgresServer.PostgresUnavailable
public typealias PostgresCommandFailed = MarketPostgresServer.PostgresCommandFailed
