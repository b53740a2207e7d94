import MarketCore

extension ScenarioFile {
    /// The file's `network`: a nemesis schedule and the links' latency and loss, as
    /// `--nemesis`, `--nemesis-interval`, `--latency` and `--loss` give them (the flags win).
    ///
    /// ```json
    /// "network": {"nemesis": "partition,isolate-trader", "nemesis_interval_s": 5, "latency": "5ms:exponential", "loss": 0.05}
    /// ```
    public struct Network: Sendable, Hashable {
        public var plan: NemesisPlan?
        public var links = LinkConditions()

        static let keys = ["latency", "loss", "nemesis", "nemesis_interval_s"]

        static func parse(_ value: Any?) throws(ScenarioError) -> Network? {
            guard let value else { return nil }
            guard let object = value as? [String: Any] else { throw .invalid("'network' must be an object") }
            if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
                throw .invalid("unknown key '\(unknown)' in 'network'" + Suggestion.clause(unknown, among: keys))
            }
            var network = Network()
            do {
                if let kinds = object["nemesis"] {
                    guard let text = kinds as? String else { throw NemesisError("'network.nemesis' must be a string such as \"partition,one-way\"") }
                    var interval = NemesisPlan.defaultInterval
                    if let seconds = object["nemesis_interval_s"] {
                        guard let number = JSONNumber.finite(seconds), number >= 0.01, number <= 3600 else {
                            throw NemesisError("'network.nemesis_interval_s' must be 0.01 to 3600 seconds")
                        }
                        interval = .milliseconds(Int64(number * 1000))
                    }
                    network.plan = NemesisPlan(kinds: try NemesisKind.list(text), interval: interval)
                } else if object["nemesis_interval_s"] != nil {
                    throw NemesisError("'network.nemesis_interval_s' needs 'network.nemesis'")
                }
                if let latency = object["latency"] {
                    guard let text = latency as? String else { throw NemesisError("'network.latency' must be a string such as \"5ms\"") }
                    (network.links.latency, network.links.distribution) = try LinkConditions.latency(text)
                }
                if let loss = object["loss"] {
                    guard let number = JSONNumber.finite(loss) else { throw NemesisError("'network.loss' must be a number") }
                    network.links.loss = try LinkConditions.loss(String(number))
                }
            } catch {
                throw .invalid("network: \(error)")
            }
            return network
        }
    }
}
