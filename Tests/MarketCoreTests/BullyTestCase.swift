import MarketTestKit
import XCTest
@testable import MarketCore

/// What the Bully tests share. Peers are 0...3 unless a test says otherwise.
class BullyTestCase: XCTestCase {
    let all: [PeerID] = [0, 1, 2, 3]
    let allTimers: [PeerTimer] = [.heartbeat, .election, .coordinator, .request, .deposit]

    func claim(_ epoch: Epoch, by leader: PeerID, initiator: PeerID? = nil, _ reason: ElectionReason) -> ElectionClaim {
        ElectionClaim(epoch: epoch, leader: leader, initiator: initiator ?? leader, reason: reason)
    }
}
