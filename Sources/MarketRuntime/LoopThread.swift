#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import NIOCore
import NIOPosix

/// The one event loop of a process, on a thread this type creates itself: NIO's own
/// `MultiThreadedEventLoopGroup` traps when it cannot create a thread (a user at their
/// process limit, `ulimit -u`), and a trap is a backtrace in the user's output. Here it is an
/// error the caller can say in one line (`CannotCreateThread`).
final class LoopThread: @unchecked Sendable {
    let loop: EventLoop
    private let thread: pthread_t

    private init(loop: EventLoop, thread: pthread_t) {
        self.loop = loop
        self.thread = thread
    }

    /// Starts the thread and returns once its loop runs.
    static func start() throws(CannotCreateThread) -> LoopThread {
        let handoff = Handoff()
        let thread = try startThread(purpose: "event-loop") {
            // Returns when the loop is shut down.
            MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { loop in
                handoff.loop = loop
                handoff.ready.signal()
            }
        }
        handoff.ready.wait()
        return LoopThread(loop: handoff.loop!, thread: thread)
    }

    /// Stops the loop (closing what is still open on it) and waits for its thread to end.
    func shutdown() {
        let stopped = DispatchSemaphore(value: 0)
        loop.shutdownGracefully { _ in stopped.signal() }
        stopped.wait()
        pthread_join(thread, nil)
    }

    /// Unchecked: `loop` is written before `ready` is signalled and read only after it is.
    private final class Handoff: @unchecked Sendable {
        var loop: EventLoop?
        let ready = DispatchSemaphore(value: 0)
    }
}
