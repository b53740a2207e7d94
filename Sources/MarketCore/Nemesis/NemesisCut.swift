/// One direction of one link: frames `from` → `to`.
public struct DirectedLink: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var from: PeerID
    public var to: PeerID

    public init(_ from: PeerID, _ to: PeerID) {
        self.from = from
        self.to = to
    }

    public static func < (lhs: DirectedLink, rhs: DirectedLink) -> Bool {
        (lhs.from, lhs.to) < (rhs.from, rhs.to)
    }

    /// `1>3`, as the line protocol and the history write it.
    public var description: String { "\(from)>\(to)" }

    /// Parses `1>3`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ">")
        guard parts.count == 2, let from = PeerID(parts[0]), let to = PeerID(parts[1]), from >= 0, to >= 0 else { return nil }
        self.init(from, to)
    }
}

/// The links an action has cut, with the groups it was drawn from (for the history and the
/// report; a bridge peer is in both groups).
public struct NemesisCut: Hashable, Sendable {
    public var kind: NemesisKind
    public var groups: [[PeerID]]
    public var links: Set<DirectedLink>

    public init(kind: NemesisKind, groups: [[PeerID]], links: Set<DirectedLink>) {
        self.kind = kind
        self.groups = groups
        self.links = links
    }

    /// Every link between a peer of `one` and a peer of `other`, neither of them in both (a
    /// bridge hears everyone), in the given direction only unless `bothWays`.
    public static func between(_ one: [PeerID], _ other: [PeerID], bothWays: Bool) -> Set<DirectedLink> {
        var links: Set<DirectedLink> = []
        for a in one where !other.contains(a) {
            for b in other where !one.contains(b) {
                links.insert(DirectedLink(a, b))
                if bothWays { links.insert(DirectedLink(b, a)) }
            }
        }
        return links
    }

    /// `0 1 2 | 3 4`, the groups as the history writes them.
    public var groupsText: String {
        groups.map { $0.map(String.init).joined(separator: " ") }.joined(separator: " | ")
    }

    /// `0>3,3>0`, sorted, as the line protocol writes a cut.
    public var linksText: String { Self.text(links) }

    public static func text(_ links: Set<DirectedLink>) -> String {
        links.sorted().map(\.description).joined(separator: ",")
    }

    /// Parses `0>3,3>0` (empty: no link).
    public static func links(_ text: some StringProtocol) -> Set<DirectedLink>? {
        var links: Set<DirectedLink> = []
        for part in text.split(separator: ",") {
            guard let link = DirectedLink(part) else { return nil }
            links.insert(link)
        }
        return links
    }
}
