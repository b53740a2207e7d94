import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// When a process started, so that a PID the kernel gave to another process reads as dead.
enum ProcessStart {
    /// Field 22 of /proc/PID/stat: clock ticks since boot.
    static func ticks(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// A start time of "0" is unknown: then the PID alone decides.
    static func isAlive(_ pid: Int32, started: String) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard started != "0", let now = ticks(of: pid) else { return true }
        return now == started
    }
}
