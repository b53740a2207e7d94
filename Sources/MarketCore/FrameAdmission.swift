/// Why a well-formed frame is not believed. A frame is checked against what the run's
/// scenario makes possible before it touches any state: one buggy or stray local process
/// must not be able to buy in another buyer's name, sell goods nobody deposited, or push a
/// number past what the arithmetic downstream can hold.
public enum FrameRejection: Hashable, Sendable, CustomStringConvertible {
    case notForThisPeer(PeerID)
    case unknownPeer(PeerID)
    case fromItself
    case stampOutOfRange(UInt64)
    case epochOutOfRange(Epoch)
    /// A request, deposit or payout names a party other than the one that must send or get it.
    case wrongParty(String)
    case numberOutOfRange(String)

    public var description: String {
        switch self {
        case .notForThisPeer(let peer): "addressed to P\(peer)"
        case .unknownPeer(let peer): "P\(peer) is not a peer of this run"
        case .fromItself: "claims to come from this peer itself"
        case .stampOutOfRange(let stamp): "Lamport stamp \(stamp) is out of range"
        case .epochOutOfRange(let epoch): "epoch \(epoch) is out of range"
        case .wrongParty(let what): what
        case .numberOutOfRange(let what): "\(what) is out of range"
        }
    }
}

/// Bounds no honest peer comes near in a run: far below the points where the clock or the
/// epoch arithmetic would overflow.
public enum WireLimits {
    public static let maxStamp: UInt64 = 1 << 62
    public static let maxEpoch: Epoch = 1 << 32
    /// Request ids one `delivered` may carry: far inside a frame's 64 KiB in any encoding.
    public static let maxDeliveredIDs = 1_000
}

extension Envelope {
    /// Nil when this frame could have come from an honest peer of the run `config` is part of.
    public func rejection(by config: PeerConfig) -> FrameRejection? {
        let members = config.peers
        guard to == config.id else { return .notForThisPeer(to) }
        guard members.contains(from) else { return .unknownPeer(from) }
        guard from != config.id else { return .fromItself }
        guard clock <= WireLimits.maxStamp else { return .stampOutOfRange(clock) }
        func member(_ peer: PeerID) -> Bool { members.contains(peer) }
        func epochInRange(_ epoch: Epoch) -> Bool { (0...WireLimits.maxEpoch).contains(epoch) }
        switch message {
        case .election, .ok, .doneBuying:
            return nil
        case .coordinator(let epoch), .resign(let epoch):
            return epochInRange(epoch) ? nil : .epochOutOfRange(epoch)
        case .heartbeat(let epoch, let leader):
            guard epochInRange(epoch) else { return .epochOutOfRange(epoch) }
            if let leader, !member(leader) { return .unknownPeer(leader) }
            return nil
        case .buy(let request, _):
            guard request.buyer == from else { return .wrongParty("a buy for P\(request.buyer) sent by P\(from)") }
            guard request.quantity == config.quantity else { return .numberOutOfRange("quantity \(request.quantity)") }
            guard request.lamport <= clock else { return .stampOutOfRange(request.lamport) }
            guard request.id.seq >= 0 else { return .numberOutOfRange("request number \(request.id.seq)") }
            return nil
        case .ack(let id), .queued(let id), .restamp(let id):
            return member(id.buyer) && id.seq >= 0 ? nil : .unknownPeer(id.buyer)
        case .delivered(let ids):
            guard ids.count <= WireLimits.maxDeliveredIDs else { return .numberOutOfRange("\(ids.count) confirmations") }
            let stray = ids.first { !member($0.buyer) || $0.seq < 0 }
            return stray.map { .unknownPeer($0.buyer) }
        case .buyResult(let id, let outcome):
            guard id.buyer == to else { return .wrongParty("a result of P\(id.buyer)'s request sent to P\(to)") }
            guard id.seq >= 0 else { return .numberOutOfRange("request number \(id.seq)") }
            if let trade = outcome.trade { return tradeRejection(trade, config: config) }
            return nil
        case .deposit(let deposit):
            guard deposit.seller == from, Deposit.seller(ofID: deposit.id) == from else {
                return .wrongParty("a deposit for P\(deposit.seller) sent by P\(from)")
            }
            guard deposit.quantity > 0, deposit.quantity == config.initialStock || deposit.quantity == config.restock else {
                return .numberOutOfRange("deposit of \(deposit.quantity)")
            }
            return nil
        case .depositAccepted(let depositID):
            return Deposit.seller(ofID: depositID) == to ? nil : .wrongParty("deposit \(depositID) is not P\(to)'s")
        case .payout(let id, let trade):
            guard member(id.buyer) else { return .unknownPeer(id.buyer) }
            guard id.seq >= 0 else { return .numberOutOfRange("request number \(id.seq)") }
            guard trade.seller == to else { return .wrongParty("a payout of P\(trade.seller) sent to P\(to)") }
            return tradeRejection(trade, config: config)
        }
    }

    /// A trade carries exactly what the scenario's price and commission make of its quantity.
    private func tradeRejection(_ trade: Trade, config: PeerConfig) -> FrameRejection? {
        guard config.peers.contains(trade.seller), config.peers.contains(trade.trader) else {
            return .unknownPeer(config.peers.contains(trade.seller) ? trade.trader : trade.seller)
        }
        guard (0...WireLimits.maxEpoch).contains(trade.epoch) else { return .epochOutOfRange(trade.epoch) }
        guard trade.tradeID >= 0 else { return .numberOutOfRange("trade \(trade.tradeID)") }
        let price = config.priceCents * config.quantity
        guard trade.quantity == config.quantity, trade.priceCents == price,
              trade.commissionCents == price * config.commissionPercent / 100 else {
            return .numberOutOfRange("trade of \(trade.quantity) for \(trade.priceCents) cents")
        }
        return nil
    }
}
