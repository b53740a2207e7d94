/// One peer's part in a scenario.
public struct PeerSpec: Hashable, Codable, Sendable {
    public var id: PeerID
    public var role: Role
    public var product: Product
    /// Never starts: it takes no part, as the lab's "sick from the start".
    public var downAtStart: Bool

    public init(id: PeerID, role: Role, product: Product, downAtStart: Bool = false) {
        self.id = id
        self.role = role
        self.product = product
        self.downAtStart = downAtStart
    }
}

/// A run's whole shape as data: who plays what, the knobs, and the seed.
public struct Scenario: Hashable, Codable, Sendable {
    public var name: String
    public var peers: [PeerSpec]
    public var requestsPerBuyer: Int
    public var quantity: Int = 1
    public var priceCents: Int = 100
    public var commissionPercent: Int = 10
    public var initialStock: Int = 100
    public var restock: Int = 100
    public var sickRate: Double = 0.005
    public var sickMode: SickMode = .silent
    public var recoverAfter: Duration = .milliseconds(500)
    public var seed: UInt64
    /// The peer that starts the first election.
    public var firstElection: PeerID
    /// The protocol's timeouts: the defaults, scaled with the peer count (`Timing.forPeers`).
    public var timing: Timing
    /// Nil: Bully. A scenario file may plant `claimAtOnce` to see `market check` catch it.
    public var electionRule: ElectionRule?
    /// Requests each buyer keeps in flight (`--in-flight`); nil: one, the protocol as it was.
    public var inFlight: Int?

    public init(name: String, peers: [PeerSpec], requestsPerBuyer: Int, seed: UInt64, firstElection: PeerID? = nil) {
        self.name = name
        self.peers = peers
        self.requestsPerBuyer = requestsPerBuyer
        self.seed = seed
        timing = .forPeers(peers.count)
        var random = SplitMix64.derive(seed, 0xE1EC)
        let live = peers.filter { !$0.downAtStart }.map(\.id)
        self.firstElection = firstElection ?? (live.isEmpty ? 0 : live[Int(random.next() % UInt64(live.count))])
    }

    public var peerIDs: [PeerID] { peers.map(\.id) }
    public var buyers: [PeerSpec] { peers.filter { $0.role == .buyer && !$0.downAtStart } }

    /// The configuration of one peer of this scenario.
    public func config(for id: PeerID) -> PeerConfig {
        let spec = peers[id]
        var config = PeerConfig(
            id: id, peers: peerIDs, role: spec.role, product: spec.product,
            requests: spec.role == .buyer ? requestsPerBuyer : 0, quantity: quantity,
            initialStock: initialStock, restock: restock, priceCents: priceCents,
            commissionPercent: commissionPercent, sickRate: sickRate, sickMode: sickMode,
            timing: timing, seed: seed, buyers: Set(peers.filter { $0.role == .buyer }.map(\.id)))
        config.electionRule = electionRule ?? .bully
        config.inFlight = inFlight ?? 1
        return config
    }

    /// Checks the knobs; the message says what is wrong in one line.
    public func validate() throws(ScenarioError) {
        guard !peers.isEmpty else { throw .invalid("a scenario needs at least one peer") }
        guard peers.map(\.id) == Array(0..<peers.count) else {
            throw .invalid("peer ids must be 0, 1, 2, … in order")
        }
        guard peers.contains(where: { !$0.downAtStart }) else { throw .invalid("every peer is down at start") }
        guard requestsPerBuyer >= 0 else { throw .invalid("requests per buyer must be 0 or more") }
        guard quantity >= 1 else { throw .invalid("quantity must be at least 1") }
        guard priceCents >= 0 else { throw .invalid("price must be 0 or more cents") }
        guard (0...100).contains(commissionPercent) else { throw .invalid("commission must be 0 to 100 percent") }
        guard initialStock >= 0, restock >= 0 else { throw .invalid("stock and restock must be 0 or more") }
        guard (0...1).contains(sickRate) else { throw .invalid("sick rate must be between 0 and 1") }
        guard recoverAfter >= .zero else { throw .invalid("recover-after must be 0 or more") }
        guard peers.indices.contains(firstElection), !peers[firstElection].downAtStart else {
            throw .invalid("the first election must start at a live peer")
        }
        try validateLimits()
    }
}

public enum ScenarioError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknown(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unknown(let name):
            "unknown scenario '\(name)'; built-in: \(BuiltInScenario.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalid(let why): "invalid scenario: \(why)"
        }
    }
}

/// The built-in scenarios of DESIGN.md.
public enum BuiltInScenario: String, CaseIterable, Sendable {
    case testCase1 = "test_case1"
    case testCase2 = "test_case2"
    case testCase3 = "test_case3"
    case normal
    case singlePair = "single_pair"
    case oneDown = "one_down"
    case lonePeer = "lone_peer"
    case noMatch = "no_match"
    case lab
    case manyBuyers = "many_buyers"

    /// Peers a scenario of variable size may have.
    public static let peerRange = 2...ScenarioLimits.maxPeers

    public var summary: String {
        switch self {
        case .testCase1: "7 peers: buyers of salt (P0) and fish (P3), five sellers; the trader falls sick now and then"
        case .testCase2: "5 peers: one salt buyer sends 1000 requests; P4 is down from the start, so P3 trades first"
        case .testCase3: "7 peers: as test_case1, but P0 and P3 both buy salt, and Lamport order decides between them"
        case .normal: "N peers (default 6) with roles and products drawn from the seed"
        case .singlePair: "3 peers: one seller, one buyer, and the peer that becomes trader"
        case .oneDown: "4 peers: one buyer, two sellers, and the highest peer down from the start"
        case .lonePeer: "1 peer: it elects itself and has nobody to trade with"
        case .noMatch: "3 peers: a fish buyer and a boar seller; every buy fails with \"no seller\""
        case .lab: "5 peers as in the lab's experiment: 3 salt buyers of 1000 requests each, 1 salt seller, and P4 that trades"
        case .manyBuyers: "N peers (default 16): the lower three quarters buy, the rest sell, stock that never runs out"
        }
    }

    public static func named(_ name: String) throws(ScenarioError) -> BuiltInScenario {
        guard let scenario = BuiltInScenario(rawValue: name) else { throw .unknown(name) }
        return scenario
    }

    /// The scenario with its defaults; `peers` applies to `normal` and `many_buyers` only.
    public func scenario(seed: UInt64, peers count: Int? = nil) throws(ScenarioError) -> Scenario {
        func spec(_ id: PeerID, _ role: Role, _ product: Product, down: Bool = false) -> PeerSpec {
            PeerSpec(id: id, role: role, product: product, downAtStart: down)
        }
        switch self {
        case .testCase1, .testCase3:
            let secondBuyerProduct: Product = self == .testCase1 ? .fish : .salt
            return Scenario(name: rawValue, peers: [
                spec(0, .buyer, .salt), spec(1, .seller, .salt), spec(2, .seller, .boar),
                spec(3, .buyer, secondBuyerProduct), spec(4, .seller, .fish), spec(5, .seller, .salt),
                spec(6, .seller, .boar),
            ], requestsPerBuyer: 1000, seed: seed)
        case .testCase2:
            return Scenario(name: rawValue, peers: [
                spec(0, .buyer, .salt), spec(1, .seller, .salt), spec(2, .seller, .boar),
                spec(3, .seller, .fish), spec(4, .seller, .boar, down: true),
            ], requestsPerBuyer: 1000, seed: seed)
        case .normal:
            let n = count ?? 6
            guard Self.peerRange.contains(n) else {
                throw .invalid("normal needs \(Self.peerRange.lowerBound) to \(Self.peerRange.upperBound) peers")
            }
            var random = SplitMix64.derive(seed, 0x5CE7)
            var peers: [PeerSpec] = (0..<n).map { id in
                spec(id, random.next() % 2 == 0 ? .buyer : .seller,
                     Product.allCases[Int(random.next() % UInt64(Product.allCases.count))])
            }
            // The highest peer is the likely trader: make sure someone else buys and sells.
            if n >= 3, !peers[0..<(n - 1)].contains(where: { $0.role == .buyer }) { peers[0].role = .buyer }
            if n >= 3, !peers[0..<(n - 1)].contains(where: { $0.role == .seller }) { peers[n - 2].role = .seller }
            return Scenario(name: rawValue, peers: peers, requestsPerBuyer: 200, seed: seed)
        case .singlePair:
            return Scenario(name: rawValue, peers: [
                spec(0, .seller, .salt), spec(1, .buyer, .salt), spec(2, .seller, .boar),
            ], requestsPerBuyer: 200, seed: seed)
        case .oneDown:
            return Scenario(name: rawValue, peers: [
                spec(0, .buyer, .boar), spec(1, .seller, .boar), spec(2, .seller, .fish),
                spec(3, .seller, .salt, down: true),
            ], requestsPerBuyer: 200, seed: seed)
        case .lonePeer:
            return Scenario(name: rawValue, peers: [spec(0, .seller, .salt)], requestsPerBuyer: 200, seed: seed)
        case .noMatch:
            return Scenario(name: rawValue, peers: [
                spec(0, .buyer, .fish), spec(1, .seller, .boar), spec(2, .seller, .boar),
            ], requestsPerBuyer: 200, seed: seed)
        case .lab:
            // The lab's sick rate stays a knob (`--sick-rate`); its table used 0.1 % to 0.5 %.
            return Scenario(name: rawValue, peers: [
                spec(0, .buyer, .salt), spec(1, .buyer, .salt), spec(2, .buyer, .salt),
                spec(3, .seller, .salt), spec(4, .seller, .boar),
            ], requestsPerBuyer: 1000, seed: seed)
        case .manyBuyers:
            let n = count ?? 16
            guard Self.peerRange.contains(n) else {
                throw .invalid("many_buyers needs \(Self.peerRange.lowerBound) to \(Self.peerRange.upperBound) peers")
            }
            let buyers = max(1, n * 3 / 4)
            // The highest peer, the likely trader, sells: every buyer is one that can buy.
            let peers = (0..<n).map { id in
                spec(id, id < buyers ? .buyer : .seller, Product.allCases[id % Product.allCases.count])
            }
            var scenario = Scenario(name: rawValue, peers: peers, requestsPerBuyer: 200, seed: seed)
            scenario.initialStock = 1_000_000
            return scenario
        }
    }
}
