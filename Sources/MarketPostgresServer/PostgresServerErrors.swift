import Foundation

/// PostgreSQL is not installed here (or cannot run): the tests skip with `reason`, the bench says it skipped.
public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// A command of the private server failed (initdb, pg_ctl, psql): not a reason to skip.
public struct PostgresCommandFailed: Error, CustomStringConvertible {
    public let description: String
}
