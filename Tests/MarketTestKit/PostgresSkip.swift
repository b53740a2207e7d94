import XCTest

extension XCTestCase {
    /// The test process's PostgreSQL server; without PostgreSQL the test is skipped, saying why.
    public func privatePostgres() throws -> PrivatePostgres {
        try skippingWithoutPostgres { try PrivatePostgres.shared() }
    }

    /// Runs `body`, turning `PostgresUnavailable` into XCTSkip with its reason.
    public func skippingWithoutPostgres<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let unavailable as PostgresUnavailable {
            throw XCTSkip(unavailable.reason)
        }
    }
}
