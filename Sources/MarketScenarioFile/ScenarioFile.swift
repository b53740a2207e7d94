import Foundation
import MarketCore

/// A scenario from a JSON file (documented in docs/scenario-file.md): the knobs of the
/// built-in scenarios, optionally starting from one of them.
public struct ScenarioFile: Sendable {
    public struct PeerEntry: Sendable {
        public var role: Role
        public var product: Product
        public var downAtStart: Bool
        /// The SSH destination this peer runs on (`market run` over hosts); nil: placed round-robin.
        public var host: String? = nil
    }

    public var name: String?
    public var base: BuiltInScenario?
    public var peerCount: Int?
    public var peers: [PeerEntry]?
    public var requests: Int?
    public var inFlight: Int?
    public var quantity: Int?
    public var priceCents: Int?
    public var commissionPercent: Int?
    public var initialStock: Int?
    public var restock: Int?
    public var sickRate: Double?
    public var sickMode: SickMode?
    public var recoverAfterMS: Int?
    public var seed: UInt64?
    public var firstElection: PeerID?
    public var timingMS: [String: Int] = [:]
    public var timeLimitSeconds: Double?
    /// A bug planted on purpose, for seeing `market check` catch it: `claim_at_once`.
    public var plantedBug: ElectionRule?
    /// SSH destinations the peers are placed on, round-robin where a peer names none.
    public var hosts: [String]?
    /// Network faults and link conditions (`ScenarioFile+Network.swift`).
    public var network: Network?

    static let keys: Set<String> = [
        "name", "base", "peer_count", "peers", "requests", "in_flight", "quantity", "price_cents", "commission_percent",
        "initial_stock", "restock", "sick_rate", "sick_mode", "recover_after_ms", "seed", "first_election",
        "timing_ms", "time_limit_s", "planted_bug", "hosts", "network",
    ]
    static let timingKeys = Set(Timing.fields.map(\.name))

    /// The file a `--scenario` value names, or nil when it names a built-in scenario: a value
    /// that is no built-in name and holds a dot or a slash is a path.
    public static func load(argument: String) throws(ScenarioError) -> ScenarioFile? {
        guard BuiltInScenario(rawValue: argument) == nil, argument.contains(".") || argument.contains("/") else { return nil }
        return try load(path: argument)
    }

    /// Reads and validates the shape of a scenario file; errors are one line.
    public static func load(path: String) throws(ScenarioError) -> ScenarioFile {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if let size, size > ScenarioLimits.maxFileBytes {
            throw .invalid("the scenario file is \(size) bytes; at most \(ScenarioLimits.maxFileBytes) are read")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid("cannot read the scenario file \(path): \(unreadable(path))")
        }
        guard data.count <= ScenarioLimits.maxFileBytes else {
            throw .invalid("the scenario file is larger than \(ScenarioLimits.maxFileBytes) bytes")
        }
        do {
            try StrictJSON.check(Array(data))
        } catch {
            throw .invalid("\(path):\(error.line):\(error.column): \(error.expected)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalid("\(path) is not a JSON object (a scenario file is one {…} with its knobs)")
        }
        return try parse(object, stem: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// Why a file could not be read, in the words of the system (no such file, a directory, …).
    static func unreadable(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return String(cString: strerror(errno)).lowercased() }
        if status.st_mode & S_IFMT == S_IFDIR { return "it is a directory" }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return String(cString: strerror(errno)).lowercased() }
        close(descriptor)
        return "it could not be read"
    }

    static func parse(_ object: [String: Any], stem: String) throws(ScenarioError) -> ScenarioFile {
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw .invalid("unknown key '\(unknown)' in the scenario file" + Suggestion.clause(unknown, among: keys.sorted()))
        }
        func int(_ key: String) throws(ScenarioError) -> Int? {
            guard let value = object[key] else { return nil }
            guard let number = JSONNumber.integer(value) else { throw .invalid("'\(key)' must be an integer") }
            return number
        }
        func double(_ key: String) throws(ScenarioError) -> Double? {
            guard let value = object[key] else { return nil }
            guard let number = JSONNumber.finite(value) else { throw .invalid("'\(key)' must be a finite number") }
            return number
        }
        func string(_ key: String) throws(ScenarioError) -> String? {
            guard let value = object[key] else { return nil }
            guard let text = value as? String else { throw .invalid("'\(key)' must be a string") }
            return text
        }
        var file = ScenarioFile()
        file.name = try string("name") ?? stem
        if let base = try string("base") {
            guard let named = BuiltInScenario(rawValue: base) else {
                throw .invalid("'base' must be a built-in scenario, not '\(base)'"
                    + Suggestion.clause(base, among: BuiltInScenario.allCases.map(\.rawValue)))
            }
            file.base = named
        }
        file.peerCount = try int("peer_count")
        file.requests = try int("requests")
        file.inFlight = try int("in_flight")
        file.quantity = try int("quantity")
        file.priceCents = try int("price_cents")
        file.commissionPercent = try int("commission_percent")
        file.initialStock = try int("initial_stock")
        file.restock = try int("restock")
        file.sickRate = try double("sick_rate")
        if let mode = try string("sick_mode") {
            guard let parsed = SickMode(rawValue: mode) else { throw .invalid("sick_mode must be silent, crash or resign") }
            file.sickMode = parsed
        }
        file.recoverAfterMS = try int("recover_after_ms")
        if let seed = object["seed"] {
            guard let number = JSONNumber.integer(seed), number >= 0 else {
                throw .invalid("'seed' must be an integer from 0 to \(Int64.max)")
            }
            file.seed = UInt64(number)
        }
        file.firstElection = try int("first_election")
        file.timeLimitSeconds = try double("time_limit_s")
        if let bug = try string("planted_bug") {
            guard bug == "claim_at_once" else { throw .invalid("'planted_bug' can only be claim_at_once") }
            file.plantedBug = .claimAtOnce
        }
        if let limit = file.timeLimitSeconds, !(limit > 0 && limit <= ScenarioLimits.maxTimeLimitSeconds) {
            throw .invalid("'time_limit_s' must be more than 0 and at most \(Int(ScenarioLimits.maxTimeLimitSeconds)) seconds")
        }
        if let count = file.peerCount, !(1...ScenarioLimits.maxPeers).contains(count) {
            throw .invalid("'peer_count' must be 1 to \(ScenarioLimits.maxPeers)")
        }
        if let timing = object["timing_ms"] {
            guard let table = timing as? [String: Any] else { throw .invalid("'timing_ms' must be an object") }
            for (key, value) in table {
                guard timingKeys.contains(key) else {
                    throw .invalid("unknown timing '\(key)'" + Suggestion.clause(key, among: timingKeys.sorted()))
                }
                guard let number = JSONNumber.integer(value), number > 0,
                      number <= Int(ScenarioLimits.maxTimeout.components.seconds) * 1000 else {
                    throw .invalid("timing '\(key)' must be a whole number of milliseconds from 1 to 600000")
                }
                file.timingMS[key] = number
            }
        }
        if let hosts = object["hosts"] {
            guard let list = hosts as? [String], !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) else {
                throw .invalid("'hosts' must be a list of SSH destinations (strings), at least one")
            }
            file.hosts = list
        }
        if let peers = object["peers"] {
            guard let list = peers as? [[String: Any]] else { throw .invalid("'peers' must be a list of objects") }
            guard list.count <= ScenarioLimits.maxPeers else {
                throw .invalid("at most \(ScenarioLimits.maxPeers) peers (the file lists \(list.count))")
            }
            var entries: [PeerEntry] = []
            for (index, entry) in list.enumerated() {
                if let unknown = entry.keys.sorted().first(where: { !["role", "product", "down_at_start", "host"].contains($0) }) {
                    throw .invalid("unknown key '\(unknown)' in peer \(index)"
                        + Suggestion.clause(unknown, among: ["down_at_start", "host", "product", "role"]))
                }
                var host: String?
                if let value = entry["host"] {
                    guard let text = value as? String, !text.isEmpty else { throw .invalid("peer \(index): 'host' must be an SSH destination (a string)") }
                    host = text
                }
                guard let role = (entry["role"] as? String).flatMap(Role.init(rawValue:)) else {
                    throw .invalid("peer \(index) needs a role: buyer or seller")
                }
                guard let product = (entry["product"] as? String).flatMap(Product.init(rawValue:)) else {
                    throw .invalid("peer \(index) needs a product: salt, boar or fish")
                }
                let down: Bool
                switch entry["down_at_start"] {
                case nil: down = false
                case let value?:
                    guard let flag = JSONNumber.boolean(value) else {
                        throw .invalid("peer \(index): 'down_at_start' must be true or false")
                    }
                    down = flag
                }
                entries.append(PeerEntry(role: role, product: product, downAtStart: down, host: host))
            }
            file.peers = entries
        }
        file.network = try Network.parse(object["network"])
        if file.base == nil && file.peers == nil {
            throw .invalid("a scenario file needs 'peers' or a built-in 'base'")
        }
        return file
    }

    /// The hosts the file's peers name, by peer id.
    public var chosenHosts: [PeerID: String] {
        var chosen: [PeerID: String] = [:]
        for (index, entry) in (peers ?? []).enumerated() { if let host = entry.host { chosen[index] = host } }
        return chosen
    }

    /// The scenario this file describes, with `seed`.
    public func scenario(seed: UInt64, peerCount override: Int?) throws(ScenarioError) -> Scenario {
        var scenario: Scenario
        if let peers {
            let specs = peers.enumerated().map { index, entry in
                PeerSpec(id: index, role: entry.role, product: entry.product, downAtStart: entry.downAtStart)
            }
            let baseRequests = try base?.scenario(seed: seed, peers: override ?? peerCount).requestsPerBuyer ?? 200
            scenario = Scenario(name: name ?? "file", peers: specs, requestsPerBuyer: baseRequests, seed: seed,
                                firstElection: firstElection)
        } else {
            scenario = try base!.scenario(seed: seed, peers: override ?? peerCount)
            if let name { scenario.name = name }
            if let firstElection { scenario.firstElection = firstElection }
        }
        if let requests { scenario.requestsPerBuyer = requests }
        if let inFlight { scenario.inFlight = inFlight }
        if let quantity { scenario.quantity = quantity }
        if let priceCents { scenario.priceCents = priceCents }
        if let commissionPercent { scenario.commissionPercent = commissionPercent }
        if let initialStock { scenario.initialStock = initialStock }
        if let restock { scenario.restock = restock }
        if let sickRate { scenario.sickRate = sickRate }
        if let sickMode { scenario.sickMode = sickMode }
        if let plantedBug { scenario.electionRule = plantedBug }
        if let recoverAfterMS {
            guard recoverAfterMS >= 0, recoverAfterMS <= 3_600_000 else {
                throw .invalid("'recover_after_ms' must be 0 to 3600000")
            }
            scenario.recoverAfter = .milliseconds(recoverAfterMS)
        }
        for (key, ms) in timingMS {
            if let field = Timing.fields.first(where: { $0.name == key }) {
                scenario.timing[keyPath: field.path] = .milliseconds(ms)
            }
        }
        return scenario
    }
}

/// JSON numbers as `JSONSerialization` hands them over, told apart strictly: `true` is not
/// 1, 1.5 is not an integer, and 2^64 − 1 is not −1.
enum JSONNumber {
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        switch String(cString: number.objCType) {
        case "c", "C", "s", "S", "i", "I", "l", "q": return number.intValue
        case "L", "Q": return number.uint64Value <= UInt64(Int.max) ? Int(number.uint64Value) : nil
        default:
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 9e15 ? Int(double) : nil
        }
    }

    static func finite(_ value: Any) -> Double? {
        guard let number = value as? NSNumber, !isBoolean(number), number.doubleValue.isFinite else { return nil }
        return number.doubleValue
    }

    static func boolean(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, isBoolean(number) else { return nil }
        return number.boolValue
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(describing: type(of: number)).contains("Boolean")
    }
}
