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

/// A joinable thread running `body`, or `CannotCreateThread` saying why not (the two threads
/// of a peer, its event loop and its store, start here).
func startThread(purpose: String, _ body: @escaping @Sendable () -> Void) throws(CannotCreateThread) -> pthread_t {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let result = pthread_create(&thread, nil, { context in
        Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
        return nil
    }, context)
    guard result == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        throw CannotCreateThread(purpose: purpose, code: result)
    }
    #if canImport(Glibc)
    return thread
    #else
    return thread!
    #endif
}

/// What a new thread runs, carried through `pthread_create`'s one pointer.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
