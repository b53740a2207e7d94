import NIOCore
import PostgresNIO

/// The connection was closed (by the server: its idle timeout, a restart, a terminated backend)
/// before a query could be sent on it.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection to the server was closed" }
}

extension PostgresConnection {
    /// Sends what `send` sends, and waits for its answer, only while the connection is open.
    /// postgres-nio (1.33) loses a query written to a connection the server has already closed:
    /// the write fails with nobody told and the query's future is never completed, so the caller
    /// would wait for ever (a trader whose session the idle timeout ended, once it resumes). The
    /// check and the write happen together on the connection's loop, where the channel cannot
    /// close between them; a close after that fails the query as it should.
    func whileOpen<T: Sendable>(_ send: @escaping @Sendable () -> EventLoopFuture<T>) throws -> T {
        try eventLoop.flatSubmit { () -> EventLoopFuture<T> in
            guard !self.isClosed else { return self.eventLoop.makeFailedFuture(PostgresConnectionClosed()) }
            return send()
        }.blockingResult()
    }
}
