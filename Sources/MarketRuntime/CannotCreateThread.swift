#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread the process needs could not be created (a user at their process limit,
/// `ulimit -u`): an error the caller can say in one line, where NIO's own threads would trap.
struct CannotCreateThread: Error, CustomStringConvertible {
    /// What the thread is for: `event-loop`, `store`.
    let purpose: String
    let code: Int32
    var description: String { "cannot create its \(purpose) thread: \(String(cString: strerror(code)))" }
}
