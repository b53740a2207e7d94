/// How a nemesis cut reaches the network (`--nemesis-cuts`): each peer's links layer loses
/// its own frames on cut links (`links`, everywhere), or, over `--hosts`, the hosts themselves
/// lose the packets through blackhole routes (`network`), as Jepsen cuts a network.
public enum NemesisCutMode: String, CaseIterable, Hashable, Sendable {
    case links
    case network
}
