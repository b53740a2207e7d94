import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// When a process started, so that a PID the kernel has since given to another process reads
/// as dead: what a private server or a set of test hosts records of its owner.
public enum ProcessStart {
    /// Field 22 of /proc/PID/stat: clock ticks since boot.
    public static func ticks(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name in parentheses come fields 3, 4, …; field 22 is the 20th of them.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether `pid` is the process that started at `started`; with no start time known (nil),
    /// the PID alone decides.
    public static func isAlive(_ pid: Int32, started: String?) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let started, let now = ticks(of: pid) else { return true }
        return now == started
    }
}
