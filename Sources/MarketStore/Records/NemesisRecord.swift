import MarketCore

/// A row of `nemesis`: one action of the network's nemesis, or a heal.
public struct NemesisRecord: Hashable, Codable, Sendable {
    public var nemesisID: Int64
    /// A `NemesisKind`'s name, or `heal`.
    public var action: String
    /// `0 2 5 | 1 3 4`: the sides the action drew.
    public var groups: String
    /// `0>1,1>0`: the directed links cut from then on.
    public var links: String
    public var at: String

    public init(nemesisID: Int64, action: String, groups: String, links: String, at: String) {
        self.nemesisID = nemesisID
        self.action = action
        self.groups = groups
        self.links = links
        self.at = at
    }

    public var isHeal: Bool { action == Self.heal }

    public static let heal = "heal"
}
