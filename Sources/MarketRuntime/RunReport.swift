import Foundation
import MarketCore
import MarketStore

/// What `market run` prints at the end, as text or (with `--json`) as one JSON object.
public struct RunReport: Codable, Sendable {
    public struct PeerLine: Codable, Sendable {
        public var peer: PeerID
        public var role: String
        public var product: String
        public var downAtStart: Bool
        /// Epochs this peer led.
        public var tradedEpochs: [Int]
        public var bought: Int?
        public var sold: Int?
        public var cashCents: Int?
        public var finalClock: Int?
        /// The SSH destination it ran on, in a run over hosts.
        public var host: String? = nil
    }

    public struct ElectionLine: Codable, Sendable {
        public var epoch: Int
        public var winner: PeerID
        public var initiator: PeerID
        public var reason: String
    }

    public var runID: Int64
    public var scenario: String
    public var seed: UInt64
    public var database: String
    public var status: String
    public var seconds: Double
    /// Requests the scenario plans (requests per buyer × live buyers).
    public var requests: Int
    /// Requests the buyers made; fewer than planned when a buyer became the trader (a trader
    /// does not buy while it trades).
    public var made: Int
    public var decided: Int
    public var bought: Int
    public var failed: Int
    /// Failed decisions by the reason the trader recorded (`no seller`).
    public var failedByReason: [String: Int] = [:]
    /// Requests decided in a later epoch than the one they were received in.
    public var takeovers: Int
    /// Decisions a second from the first request received to the last decided (the history's
    /// `received_at` and `decided_at`): start-up and the end of the run left out.
    public var decidedPerSecond: Double
    /// Requests each buyer kept in flight (`--in-flight`).
    public var inFlight = 1
    /// Envelopes (messages) and frames (writes) the peers sent each other, per decision,
    /// start-up and the end included (nil: no peer recorded them).
    public var envelopesPerDecision: Double?
    public var framesPerDecision: Double?
    public var peers: [PeerLine]
    public var elections: [ElectionLine]
    public var faults: [FaultKind: Int]
    /// Invariant violations found by the check; empty when it passed.
    public var violations: [String]
    /// Why the run did not complete, if it did not.
    public var problem: String?
    /// The history check's verdict (`market check`), when it ran.
    public var check: String?
    public var passed: Bool
    /// Every nemesis action and heal, in order (`--nemesis`).
    public var nemesis: [NemesisLine] = []
    /// Elections per cause, rates during cuts, settle times: only in a run with a nemesis.
    public var liveness: LivenessFigures?
    /// How many times each epoch's trader changed the buyers it waited for (epochs with none left out).
    public var viewChanges: [ViewChangeCount] = []

    public struct ViewChangeCount: Codable, Sendable {
        public var epoch: Int
        public var changes: Int
    }

    public struct NemesisLine: Codable, Sendable {
        /// A nemesis kind, or `heal`.
        public var action: String
        public var groups: String
        public var links: String
        public var at: String
    }

    public func text() -> String {
        var out: [String] = []
        let verdict = passed ? "PASS" : "FAIL"
        out.append("run \(runID) · \(scenario) · seed \(seed) · \(status) in \(String(format: "%.2f", seconds)) s")
        if let problem { out.append("problem: \(problem)") }
        out.append("")
        let overHosts = peers.contains { $0.host != nil }
        var rows = [["peer", "role", "product", "bought", "sold", "cash", "traded in epochs"] + (overHosts ? ["host"] : [])]
        for peer in peers {
            func number(_ value: Int?) -> String { value.map(String.init) ?? "-" }
            let cash = peer.cashCents.map { String(format: "%.2f", Double($0) / 100) } ?? "-"
            let role = peer.downAtStart ? "\(peer.role) (down)" : peer.role
            let epochs = peer.tradedEpochs.isEmpty ? "" : peer.tradedEpochs.map(String.init).joined(separator: ",")
            rows.append(["P\(peer.peer)", role, peer.product, number(peer.bought), number(peer.sold), cash, epochs]
                + (overHosts ? [peer.host ?? "-"] : []))
        }
        out.append(contentsOf: TextTable.lines(rows, rightAligned: [3, 4, 5]))
        out.append("")
        out.append("elections: \(elections.count)")
        for election in elections {
            out.append("  epoch \(election.epoch): P\(election.winner) (\(election.reason), started by P\(election.initiator))")
        }
        if !faults.isEmpty {
            out.append("faults: " + faults.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) ×\($0.value)" }.joined(separator: ", "))
        }
        if !nemesis.isEmpty {
            var kinds: [String: Int] = [:]
            for line in nemesis where line.action != NemesisRecord.heal { kinds[line.action, default: 0] += 1 }
            let heals = nemesis.count - kinds.values.reduce(0, +)
            out.append("nemesis: " + kinds.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
                + ", heal ×\(heals)")
            for line in nemesis where line.action != NemesisRecord.heal {
                out.append("  \(line.at) \(line.action): \(line.groups.isEmpty ? "nobody cut off" : line.groups)")
            }
        }
        if let liveness { out.append(contentsOf: Self.lines(liveness)) }
        if !viewChanges.isEmpty {
            out.append("view changes: \(viewChanges.reduce(0) { $0 + $1.changes }) ("
                + viewChanges.map { "epoch \($0.epoch) ×\($0.changes)" }.joined(separator: ", ") + ")")
        }
        let reasons = failedByReason.isEmpty ? "" : ": " + Self.reasonsText(failedByReason)
        out.append("requests: \(decided)/\(made) decided (\(bought) bought, \(failed) failed\(reasons)); takeovers: \(takeovers)"
            + (status == RunStatus.interrupted.rawValue ? "; \(requests) planned"
                : made < requests ? "; \(requests) planned, but a buyer that trades does not buy" : ""))
        out.append("throughput: \(String(format: "%.1f", decidedPerSecond)) decisions/s, first received to last decided"
            + (inFlight > 1 ? " (\(inFlight) requests in flight a buyer)" : ""))
        if let envelopesPerDecision, let framesPerDecision {
            out.append(String(format: "wire: %.1f envelopes in %.1f frames a decision", envelopesPerDecision, framesPerDecision))
        }
        if status == RunStatus.interrupted.rawValue {
            // Not a pass (the run did not finish), but what was recorded can still be sound.
            let recorded = violations.isEmpty ? "what was recorded holds every invariant" : "what was recorded violates an invariant"
            out.append("verdict: INTERRUPTED; \(recorded)" + (check.map { " (check \($0))" } ?? ""))
        } else {
            out.append("verdict: \(verdict)" + (check.map { " (check \($0))" } ?? ""))
        }
        for violation in violations.prefix(30) { out.append("  ✗ \(violation)") }
        if violations.count > 30 { out.append("  … and \(violations.count - 30) more") }
        return out.joined(separator: "\n")
    }

    /// `no seller ×1800, trader gone ×2`: the commonest reason first.
    static func reasonsText(_ reasons: [String: Int]) -> String {
        FailureCount.text(reasons.map { FailureCount(reason: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.reason) < ($0.count, $1.reason) })
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
