import Foundation

/// The running `market` binary, to start it again: as `market peer` for each peer, or as
/// `market run` for the end-to-end benchmark.
public enum CurrentExecutable {
    public static var path: String {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        #endif
        let first = CommandLine.arguments[0]
        if first.contains("/") {
            return URL(fileURLWithPath: first).standardizedFileURL.path
        }
        return first
    }
}
