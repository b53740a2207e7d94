/// The largest scenario the market accepts. Every number a scenario carries is bounded, so
/// that no product of them (price × quantity × requests, goods ever deposited) can overflow
/// a 64-bit integer, and no file can ask for more processes or time than a machine can give.
public enum ScenarioLimits {
    public static let maxPeers = 256
    public static let maxRequestsPerBuyer = 1_000_000
    public static let maxQuantity = 1_000_000
    /// Requests a buyer keeps in flight: a trader's book holds up to this many of each buyer's.
    public static let maxInFlight = 1024
    public static let maxPriceCents = 100_000_000
    public static let maxStock = 1_000_000_000
    /// Longest sickness, and longest protocol timeout.
    public static let maxRecoverAfter: Duration = .seconds(3600)
    public static let maxTimeout: Duration = .seconds(600)
    /// A run's wall-clock limit, in seconds.
    public static let maxTimeLimitSeconds = 7 * 24 * 3600.0
    public static let maxNameLength = 64
    /// A scenario file larger than this is refused before it is parsed.
    public static let maxFileBytes = 1 << 20
    /// The most money or goods that may ever move in one run: far below `Int.max`, so sums
    /// over a whole history cannot overflow either.
    static let maxTotal = 1 << 60

    /// A name is printed in summaries, progress lines and reports: printable text only.
    public static func isPrintableName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maxNameLength
            && name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }
    }
}

extension Scenario {
    /// The bounds of `ScenarioLimits`, checked after the shape (see `validate`).
    func validateLimits() throws(ScenarioError) {
        typealias L = ScenarioLimits
        guard L.isPrintableName(name) else {
            throw .invalid("the name must be 1 to \(L.maxNameLength) printable characters")
        }
        guard peers.count <= L.maxPeers else { throw .invalid("at most \(L.maxPeers) peers (asked for \(peers.count))") }
        guard requestsPerBuyer <= L.maxRequestsPerBuyer else {
            throw .invalid("requests per buyer must be at most \(L.maxRequestsPerBuyer)")
        }
        if let inFlight, !(1...L.maxInFlight).contains(inFlight) {
            throw .invalid("requests in flight must be 1 to \(L.maxInFlight) (asked for \(inFlight))")
        }
        guard quantity <= L.maxQuantity else { throw .invalid("quantity must be at most \(L.maxQuantity)") }
        guard priceCents <= L.maxPriceCents else { throw .invalid("price must be at most \(L.maxPriceCents) cents") }
        guard initialStock <= L.maxStock, restock <= L.maxStock else {
            throw .invalid("stock and restock must be at most \(L.maxStock)")
        }
        guard recoverAfter <= L.maxRecoverAfter else { throw .invalid("recover-after must be at most 3600 s") }
        for (name, value) in timing.named {
            guard value > .zero, value <= L.maxTimeout else {
                throw .invalid("timing '\(name)' must be more than 0 and at most 600 s")
            }
        }
        // Every buy moves at most price × quantity of money; every restock follows a sale.
        let buys = product(requestsPerBuyer, peers.count)
        let money = buys.flatMap { product(priceCents, quantity, max(1, $0)) }
        let goods = buys.flatMap { product(restock, max(1, $0)) }
        let firstStock = product(initialStock, peers.count)
        guard let money, let goods, let firstStock,
              money <= L.maxTotal, goods <= L.maxTotal, firstStock <= L.maxTotal else {
            throw .invalid("price × quantity × requests, or the goods deposited, would overflow")
        }
    }
}

/// The product of the factors, or nil where it overflows.
private func product(_ factors: Int...) -> Int? {
    var result = 1
    for factor in factors {
        let (value, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = value
    }
    return result
}

extension Timing {
    /// Each timeout with its scenario-file name.
    var named: [(String, Duration)] {
        Self.fields.map { ($0.name, self[keyPath: $0.path]) }
    }
}
