import XCTest

extension XCTestCase {
    /// `count` namespaced hosts for this test, removed when it ends, passed or failed; where hosts
    /// cannot be made the test is skipped, saying why.
    public func namespacedHosts(_ count: Int = 3) throws -> NamespacedHosts {
        let hosts = try skippingWithoutHosts { try NamespacedHosts(hosts: count) }
        addTeardownBlock {
            if let problem = hosts.remove() { XCTFail("the hosts set \(hosts.prefix) was not removed: \(problem)") }
        }
        return hosts
    }

    /// The test process's three hosts that tests only look at (`NamespacedHosts.shared()`):
    /// whatever a test changes on them it puts back itself.
    public func sharedNamespacedHosts() throws -> NamespacedHosts {
        try skippingWithoutHosts { try NamespacedHosts.shared() }
    }

    /// Runs `body`, turning `NamespacedHostsUnavailable` into XCTSkip with its reason.
    public func skippingWithoutHosts<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let unavailable as NamespacedHostsUnavailable {
            throw XCTSkip("no namespaced hosts here: \(unavailable.reason)")
        }
    }
}
