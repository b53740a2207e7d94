/// Hosts cannot be made here (not root, no network namespaces, no sshd): the test is skipped with `reason`.
public struct NamespacedHostsUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Making, changing or removing a set failed where it could have worked: a failure, not a skip.
public struct NamespacedHostsFailed: Error, CustomStringConvertible {
    public let description: String
}
