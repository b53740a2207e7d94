import Foundation

extension StoreError {
    /// Runs `body`, and again every `interval` while another connection holds the database's
    /// lock (`.busy`), for `patience` at most; then the last `.busy` is thrown. `onWait` hears
    /// the first refusal. For writers that have nothing better to do than wait: a peer's loop
    /// must not block here (its store requests wait on the loop instead).
    public static func persevering<T>(
        patience: Duration, every interval: Duration, onWait: () -> Void = {}, _ body: () throws -> T
    ) throws -> T {
        let start = ContinuousClock.now
        var told = false
        while true {
            do {
                return try body()
            } catch StoreError.busy(let message) {
                guard ContinuousClock.now - start < patience else { throw StoreError.busy(message) }
                if !told {
                    told = true
                    onWait()
                }
                Thread.sleep(forTimeInterval: Double(interval.nanoseconds) / 1e9)
            }
        }
    }
}
