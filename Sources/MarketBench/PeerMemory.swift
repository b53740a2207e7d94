import Foundation

/// The peak resident memory of a supervisor's peer processes, read from /proc while they run
/// (each process's `VmHWM`, its high-water mark, so a peak between two looks still counts).
/// Elsewhere than Linux it reads nothing and says 0.
final class PeerMemory {
    let supervisor: Int32
    private(set) var largest = 0

    init(supervisor: Int32) {
        self.supervisor = supervisor
    }

    func sample() {
        for pid in children() {
            if let peak = Self.peakResident(of: pid) { largest = max(largest, peak) }
        }
    }

    /// The processes whose parent is the supervisor: its peers.
    private func children() -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == supervisor ? pid : nil
        }
    }

    /// `VmHWM` of /proc/PID/status, in bytes.
    static func peakResident(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes * 1024
    }
}
