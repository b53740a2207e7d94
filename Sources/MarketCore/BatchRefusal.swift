/// Why a store refuses a decision batch whole, writing none of it. Both are a trader's bug,
/// never a race: a race (a request another trader decided first) is answered, not refused
/// (`StoreResult.committed`'s `alreadyDecided`). Every store refuses the same batches.
public enum BatchRefusal: Error, Hashable, Codable, Sendable, CustomStringConvertible {
    /// The batch names one request twice.
    case namedTwice(RequestID)
    /// A decision sells goods the inventory does not hold (after the batch's earlier sales).
    case insufficientStock(seller: PeerID, product: Product, quantity: Int)

    public var description: String {
        switch self {
        case .namedTwice(let id): "the batch decides request \(id) twice; the batch was not written"
        case .insufficientStock(let seller, let product, let quantity):
            "P\(seller) does not hold \(quantity) \(product.rawValue) in the inventory; the batch was not written"
        }
    }
}
