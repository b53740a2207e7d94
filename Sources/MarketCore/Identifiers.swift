/// Peers are numbered 0..<n; Bully ranks them by this number.
public typealias PeerID = Int

/// An epoch is the term of one trader: claimed in the store, it fences every later write.
public typealias Epoch = Int

/// Goods of the Gauls' trading post.
public enum Product: String, CaseIterable, Codable, Sendable, Comparable {
    case salt, boar, fish

    public static func < (lhs: Product, rhs: Product) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

public enum Role: String, Codable, Sendable, CaseIterable {
    case buyer, seller
}

/// A buy request's identity, stable across retries: `P<buyer>-<seq>`.
public struct RequestID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var buyer: PeerID
    public var seq: Int

    public init(buyer: PeerID, seq: Int) {
        self.buyer = buyer
        self.seq = seq
    }

    /// Parses the text form `P0-17`, exactly as `description` writes it (no signs, no leading zeros).
    public init?(_ text: String) {
        guard text.first == "P" else { return nil }
        let parts = text.dropFirst().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let buyer = Int(parts[0]), let seq = Int(parts[1]), buyer >= 0, seq >= 0 else {
            return nil
        }
        self.init(buyer: buyer, seq: seq)
        guard description == text else { return nil }
    }

    public var description: String { "P\(buyer)-\(seq)" }

    public static func < (lhs: RequestID, rhs: RequestID) -> Bool {
        (lhs.buyer, lhs.seq) < (rhs.buyer, rhs.seq)
    }
}
