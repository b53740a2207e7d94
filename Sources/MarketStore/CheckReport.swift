import MarketCore

/// What `market check` found: each invariant it checked, on how many things, and every
/// violation in one line each.
public struct CheckReport: Hashable, Codable, Sendable {
    public struct Item: Hashable, Codable, Sendable {
        public var kind: Violation.Kind
        /// How many things were checked, and what they were ("trades", "elections", …).
        public var checked: Int
        public var unit: String
        public var violations: [Violation]

        public init(_ kind: Violation.Kind, checked: Int, unit: String, violations: [Violation]) {
            self.kind = kind
            self.checked = checked
            self.unit = unit
            self.violations = violations
        }

        public var name: String { Self.title(of: kind) }
        public var passed: Bool { violations.isEmpty }

        // JSON keeps the shape it had when violations were lines: a name and the lines,
        // now with the kind beside them.
        private enum CodingKeys: String, CodingKey {
            case name, kind, checked, unit, violations
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let kind = try container.decode(Violation.Kind.self, forKey: .kind)
            self.init(kind, checked: try container.decode(Int.self, forKey: .checked),
                      unit: try container.decode(String.self, forKey: .unit),
                      violations: try container.decode([String].self, forKey: .violations).map { Violation(kind, $0) })
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(kind, forKey: .kind)
            try container.encode(checked, forKey: .checked)
            try container.encode(unit, forKey: .unit)
            try container.encode(violations.map(\.detail), forKey: .violations)
        }

        /// How a report names each invariant.
        public static func title(of kind: Violation.Kind) -> String {
            switch kind {
            case .decidedOnce: "no request is decided twice"
            case .outcomeMatchesTrades: "bought ⇔ exactly one trade, failed or pending ⇔ none"
            case .lamportOrder: "decisions in (lamport_ts, buyer_id) order within each view, each view's after the last"
            case .views: "views numbered from 0 in each epoch, members as their rows say, every decision in one"
            case .epochsOnlyAdvance: "decisions never go back to an older epoch"
            case .epochWinner: "epochs 1..n, one winner each, trades made by their epoch's winner"
            case .fencing: "every trader write under the store's epoch"
            case .goodsConserved: "goods conserved: deposited − sold = stock ≥ 0"
            case .ledgersEqualBooks: "ledgers equal the books from trades"
            case .bully: "Bully: the highest peer not down wins"
            case .clockCondition: "clock condition: recv_clock > send_clock"
            case .requestsInSequence: "each buyer's requests numbered 0, 1, 2, … with none missing"
            case .noSellerOnlyWhenNone: "`no seller` only when no seller can sell"
            case .liveness: "the run settles"
            case .store: "the store carries out every request"
            }
        }
    }

    public var runID: Int64
    public var items: [Item]

    public var passed: Bool { items.allSatisfy(\.passed) }
    public var violationCount: Int { items.reduce(0) { $0 + $1.violations.count } }

    /// The item that checked `kind`, if this report has one.
    public func item(_ kind: Violation.Kind) -> Item? { items.first { $0.kind == kind } }

    /// One line per check, then its violations indented (at most `limit` shown per check).
    public func lines(limit: Int = 20) -> [String] {
        var lines: [String] = []
        for item in items {
            lines.append("\(item.passed ? "ok  " : "FAIL") \(item.name) (\(item.checked) \(item.unit))")
            for violation in item.violations.prefix(limit) {
                lines.append("     - \(violation.detail)")
            }
            if item.violations.count > limit {
                lines.append("     - … and \(item.violations.count - limit) more")
            }
        }
        return lines
    }

    /// "passed: 9 checks" or "FAILED: 3 violations in 2 of 9 checks".
    public var verdict: String {
        if passed { return "passed: \(items.count) checks, no violation" }
        let failing = items.filter { !$0.passed }.count
        return "FAILED: \(violationCount) violation\(violationCount == 1 ? "" : "s") in \(failing) of \(items.count) checks"
    }
}
