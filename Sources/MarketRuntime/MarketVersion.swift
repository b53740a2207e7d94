/// The version of `market`, in one place: `market --version` prints it, and a supervisor
/// starting peers on another host can compare it with that host's `market --version`.
public enum MarketVersion {
    public static let current = "0.17.0"
}
