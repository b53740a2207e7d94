import Foundation
import GRDB

/// Another connection that holds a database's write lock (an IMMEDIATE transaction), on a
/// thread of its own, from `init` until `letGo()` (or its deinit): what a store call meets when
/// someone else is writing.
final class WriteLockHolder: @unchecked Sendable {
    private let release = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var released = false

    /// Returns once the lock is held; throws if it could not be taken within 30 s.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let holder = try DatabaseQueue(path: path, configuration: configuration)
        let locked = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { [release, done] in
            try? holder.inTransaction(.immediate) { _ in
                locked.signal()
                release.wait()
                return .rollback
            }
            done.signal()
        }
        guard locked.wait(timeout: .now() + 30) == .success else {
            release.signal()
            throw CocoaError(.fileLocking, userInfo: [NSLocalizedDescriptionKey: "the other connection never took the lock"])
        }
    }

    /// Ends the transaction and waits for the connection to let the lock go.
    func letGo() {
        guard !released else { return }
        released = true
        release.signal()
        _ = done.wait(timeout: .now() + 30)
    }

    deinit { letGo() }
}
