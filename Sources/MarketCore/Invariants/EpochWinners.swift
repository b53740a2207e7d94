/// Epochs are claimed 1, 2, 3, … with one winner each, and every trade is made by the
/// winner of its epoch.
public struct EpochWinners: Sendable {
    public private(set) var winners: [Epoch: PeerID] = [:]
    public private(set) var claims = 0

    public init() {}

    public mutating func admit(epoch: Epoch, winner: PeerID) -> Violation? {
        claims += 1
        if winners[epoch] == nil { winners[epoch] = winner }
        guard epoch != claims else { return nil }
        return Violation(.epochWinner, "claim #\(claims) is for epoch \(epoch)")
    }

    public mutating func admit(_ claim: ElectionClaim) -> Violation? {
        admit(epoch: claim.epoch, winner: claim.leader)
    }

    public func check(_ trade: Trade) -> [Violation] {
        var violations: [Violation] = []
        if let winner = winners[trade.epoch] {
            if trade.trader != winner {
                violations.append(Violation(.epochWinner, "trade \(trade.tradeID) was made by P\(trade.trader) in epoch \(trade.epoch), won by P\(winner)"))
            }
        } else {
            violations.append(Violation(.epochWinner, "trade \(trade.tradeID) is of epoch \(trade.epoch), which no election gave anyone"))
        }
        return violations
    }

    /// A decision names an epoch somebody won.
    public func check(decidedIn epoch: Epoch, _ request: RequestID) -> Violation? {
        guard winners[epoch] == nil else { return nil }
        return Violation(.epochWinner, "request \(request) was decided in epoch \(epoch), which no election gave anyone")
    }
}

/// The trader writes under the epoch the store holds: the epoch is a fencing token.
public enum Fencing {
    public static func check(writer: Epoch, store: Epoch) -> Violation? {
        guard writer != store else { return nil }
        return Violation(.fencing, "decisions written with epoch \(writer) while the store holds epoch \(store)")
    }
}

/// Lamport's clock condition: a message is received at a later clock than it was sent at.
public enum ClockCondition {
    /// `what` names the message ("message 3 (ack P1→P4)").
    public static func check(_ what: String, sent: UInt64, received: UInt64) -> Violation? {
        guard received <= sent else { return nil }
        return Violation(.clockCondition, "\(what) sent at clock \(sent), received at clock \(received)")
    }
}
