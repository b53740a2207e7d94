extension NamespacedHosts {
    /// A shell command that runs `tools/hosts.sh WORD {host}` on this set, for a program that
    /// takes a command with `{host}` in it (`market bench --cut-host-command`).
    public func hostsCommand(_ word: String) -> String {
        "MARKET_HOSTS_PREFIX='\(prefix)' MARKET_HOSTS_DIR='\(directory)' bash '\(Self.script)' \(word) {host}"
    }
}
