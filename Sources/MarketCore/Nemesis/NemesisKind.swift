/// What a nemesis action does to the links; every action is undone by the heal that follows it.
public enum NemesisKind: String, CaseIterable, Hashable, Sendable, Codable {
    /// Random halves that cannot hear each other.
    case partition
    /// Whoever is trader when the action starts, alone on its side.
    case isolateTrader = "isolate-trader"
    /// Random halves, one direction cut: the first group's frames to the second are lost.
    case oneWay = "one-way"
    /// Two sides that share one peer: the bridge hears both, the sides not each other.
    case bridge
    /// Random links go down and up again several times during the action.
    case flaky

    /// The kinds of a comma-separated list such as `partition,one-way`.
    public static func list(_ text: String) throws(NemesisError) -> [NemesisKind] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard !names.isEmpty else { throw NemesisError("no nemesis kind given") }
        var kinds: [NemesisKind] = []
        for name in names {
            guard let kind = NemesisKind(rawValue: name) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw NemesisError("unknown nemesis kind '\(name)' (known: \(known))")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }
}

/// A nemesis setting that cannot be taken as given, in one line.
public struct NemesisError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
