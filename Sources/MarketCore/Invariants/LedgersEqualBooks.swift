/// At rest, every peer's own ledger equals the books kept from the trades.
public enum LedgersEqualBooks {
    public static func check(_ peer: PeerID, ledger: Ledger, books: [PeerID: Ledger]) -> Violation? {
        let expected = books[peer] ?? Ledger()
        guard ledger != expected else { return nil }
        return Violation(.ledgersEqualBooks, """
            P\(peer)'s ledger says bought \(ledger.bought), sold \(ledger.sold), cash \(ledger.cashCents)¢; \
            the trades say bought \(expected.bought), sold \(expected.sold), cash \(expected.cashCents)¢
            """)
    }
}
