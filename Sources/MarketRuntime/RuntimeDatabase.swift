import Foundation
import MarketCore
import MarketStore

/// What the supervisor watches while a run is live.
public struct RunSnapshot: Sendable, Hashable {
    /// Requests decided (bought or failed).
    public var decided: Int
    public var bought: Int
    public var pending: Int
    /// Results and payouts committed but not confirmed by their recipients.
    public var undelivered: Int
    public var epoch: Int
    public var leader: PeerID?
    public var elections: Int

    public init(decided: Int = 0, bought: Int = 0, pending: Int = 0, undelivered: Int = 0, epoch: Int = 0,
                leader: PeerID? = nil, elections: Int = 0) {
        self.decided = decided
        self.bought = bought
        self.pending = pending
        self.undelivered = undelivered
        self.epoch = epoch
        self.leader = leader
        self.elections = elections
    }
}

/// The run as the store has it at the end, for the summary.
public struct RunHistory: Sendable, Hashable, Codable {
    public struct PeerRow: Sendable, Hashable, Codable {
        public var peer: PeerID
        public var role: String
        public var product: String
        public var bought: Int?
        public var sold: Int?
        public var cashCents: Int?
        public var finalClock: Int?
    }

    public struct ElectionRow: Sendable, Hashable, Codable {
        public var epoch: Int
        public var initiator: PeerID
        public var winner: PeerID
        public var reason: String
    }

    public var peers: [PeerRow] = []
    public var elections: [ElectionRow] = []
    public var decided = 0
    public var bought = 0
    public var failed = 0
    /// Requests the buyers made (decided or still pending).
    public var made = 0
    /// Requests decided in a later epoch than the one they were received in.
    public var takeovers = 0

    public init() {}
}

/// The database as one peer process uses it: one connection per process.
public protocol PeerDatabase: AnyObject {
    /// The trading post's store for this run.
    var store: any TradingPostStore { get }
    func recordLedger(peer: PeerID, ledger: Ledger, finalClock: UInt64) throws
    func recordMessages(_ messages: [TracedMessage]) throws
}

/// The database as the supervisor uses it.
public protocol SupervisorDatabase: AnyObject {
    /// Starts a run and returns its id.
    func beginRun(scenario: Scenario) throws -> Int64
    func recordFault(peer: PeerID, kind: FaultKind, at date: Date) throws
    func recordPID(peer: PeerID, pid: Int32) throws
    func finishRun(_ status: RunStatus) throws
    func snapshot() throws -> RunSnapshot
    func record() throws -> RunHistory
    /// Re-verifies the run's invariants (the store's history check).
    func check() throws -> CheckOutcome
}

/// Opens databases; the runtime is given one, so that it does no SQL of its own.
public protocol DatabaseOpener: Sendable {
    func openForPeer(path: String, durability: Durability, runID: Int64) throws -> any PeerDatabase
    func openForSupervisor(path: String, durability: Durability) throws -> any SupervisorDatabase
}

/// What the history check said: its one-line verdict and every violation in one line.
public struct CheckOutcome: Sendable, Hashable {
    public var verdict: String
    public var violations: [String]

    public init(verdict: String, violations: [String]) {
        self.verdict = verdict
        self.violations = violations
    }
}
