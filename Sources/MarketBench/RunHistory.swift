import MarketStore

/// The figures of one recorded run, read back through the store (the database a bench run
/// writes holds that one run).
public struct RunHistory {
    let database: MarketDatabase
    let runID: Int64

    public init(path: String) throws {
        database = try MarketDatabase.openReadOnly(path: path)
        runID = try database.resolveRun(nil)
    }

    public func decisions() throws -> DecisionSpan { try database.decisionSpan(runID: runID) }
    public func elections() throws -> Int { try database.electionCount(runID: runID) }
    public func wire() throws -> WireCounts? { try database.wireCounts(runID: runID) }
    public func perBuy() throws -> [Double] { try database.decisionGaps(runID: runID) }
    public func messagesPerBuy() throws -> Double { try database.messagesPerBuy(runID: runID) }
    /// The trader's faults of `kind` (the sick rate strikes only the trader).
    public func failovers(kind: FaultKind) throws -> [Double] { try database.failovers(runID: runID, kind: kind) }
}
