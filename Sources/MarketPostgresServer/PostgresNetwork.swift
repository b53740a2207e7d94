/// A private server reachable from a private network of hosts (namespaced test hosts): it
/// runs inside the network namespace `namespace`, listens on `address` there besides
/// 127.0.0.1, and lets role `market` in from `clients` (a CIDR block) without a password,
/// since that network exists only inside this machine's namespaces and a password would
/// have to travel on the peers' command lines.
public struct PostgresNetwork: Sendable {
    public let namespace: String
    public let address: String
    public let clients: String

    public init(namespace: String, address: String, clients: String) {
        self.namespace = namespace
        self.address = address
        self.clients = clients
    }
}
