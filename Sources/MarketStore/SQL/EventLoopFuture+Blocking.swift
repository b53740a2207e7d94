import Foundation
import NIOCore
import NIOPosix

/// The result of a future, written on its loop and read once the semaphore says it is there.
private final class Outcome<Value>: @unchecked Sendable {
    var result: Result<Value, any Error>?
}

extension EventLoopFuture {
    /// Blocks the calling thread until the future completes. NIO's `wait()` refuses to run on
    /// any event-loop thread, but the supervisor and the peers call the store from their own
    /// loops, as they call SQLite: that is safe for every loop but the connection's own, which
    /// is a thread of the store's alone and never calls it.
    func blockingResult() throws -> Value {
        precondition(!eventLoop.inEventLoop, "a PostgreSQL call waited on its own connection's loop")
        let outcome = Outcome<Value>()
        let done = DispatchSemaphore(value: 0)
        whenComplete { result in
            outcome.result = result
            done.signal()
        }
        done.wait()
        return try outcome.result!.get()
    }
}

extension MultiThreadedEventLoopGroup {
    /// Stops the group's threads and waits for them, from any thread but theirs (NIO's
    /// `syncShutdownGracefully` refuses on every event-loop thread).
    func shutdownBlocking() {
        let done = DispatchSemaphore(value: 0)
        shutdownGracefully { _ in done.signal() }
        done.wait()
    }
}
