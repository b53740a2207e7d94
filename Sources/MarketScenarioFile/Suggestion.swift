import MarketCore

/// "Did you mean": the known name nearest a mistyped one, if it is near enough to be a typo.
public enum Suggestion {
    public static func nearest(_ word: String, among names: [String]) -> String? {
        let typed = Array(word.lowercased())
        let ranked = names.map { (name: $0, distance: distance(typed, Array($0.lowercased()))) }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
        // A third of the word may be wrong (at least 2 edits), or the name may start the same way.
        guard let best = ranked.first,
              best.distance <= max(2, typed.count / 3) || (typed.count >= 3 && best.name.hasPrefix(word.lowercased()))
        else { return nil }
        return best.name
    }

    /// The clause added to an error: `; did you mean 'requests'?`, or nothing.
    public static func clause(_ word: String, among names: [String]) -> String {
        nearest(word, among: names).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// A scenario error as the command line says it: an unknown name gets the nearest built-in one.
    public static func describe(_ error: ScenarioError) -> String {
        guard case .unknown(let name) = error,
              let near = nearest(name, among: BuiltInScenario.allCases.map(\.rawValue)) else { return error.description }
        return "unknown scenario '\(name)'; did you mean '\(near)'? (`market scenarios` lists them)"
    }

    /// Levenshtein distance, with a transposition counting as one edit (`reqeusts`).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    row[j] = min(row[j], previous2[j - 2] + 1)
                }
            }
            previous2 = previous
            previous = row
        }
        return previous[b.count]
    }
}
